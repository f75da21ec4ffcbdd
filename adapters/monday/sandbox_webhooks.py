"""monday.com's board webhooks in the sandbox, sent the vendor's way (reference M6): one webhook
per board and event (`create_webhook(board_id, url, event, config)`), created only once its URL
echoes the `{"challenge": ...}` monday.com POSTs to it; each event is then POSTed there as
`{"event": {...}}` (`type` the activity log's name for it, `subscriptionId` the webhook,
`triggerUuid` the event), with a JWT in `Authorization` signed HS256 with the app's signing
secret (claims accountId, userId, aud = the URL, iat, exp, shortLivedToken). monday.com signs
only the webhooks an app's token made; the sandbox's token stands for an app's. A subitem's
events go to its parent board's webhooks, with `parentItemId` and `parentItemBoardId`."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

import httpx
import jwt

from adapters.monday.sandbox_state import Item, MondayState
from adapters.sandbox_webhook_sender import Sender

URL_MAX = 255
TOKEN_TTL_S = 300  # the JWT's life (monday.com's short-lived tokens last five minutes)

# the activity log's event -> (the webhook event of an item, of a subitem); the log's name is the
# delivery's `type`, as monday.com's payloads name them
EVENTS: dict[str, tuple[str, str]] = {
    "create_pulse": ("create_item", "create_subitem"),
    "update_name": ("change_name", "change_subitem_name"),
    "update_column_value": ("change_column_value", "change_subitem_column_value"),
    "move_pulse_into_group": ("item_moved_to_any_group", ""),
    "archive_pulse": ("item_archived", "subitem_archived"),
    "delete_pulse": ("item_deleted", "subitem_deleted"),
    "restore_pulse": ("item_restored", ""),
    "create_update": ("create_update", "create_subitem_update"),
}


@cache
def _http() -> httpx.Client:
    """One client for every challenge: a new one each time costs its TLS setup."""
    return httpx.Client(timeout=10.0)


class WebhookRefused(Exception):
    """What create_webhook answers when the URL is not one monday.com will send to."""


def create(state: MondayState, board_id: str, url: str, event: str, config: Any) -> dict[str, Any]:
    """A new webhook, once `url` has echoed the challenge (called under the sandbox's lock: the
    challenge goes to the listener, never to the sandbox itself)."""
    if len(url) > URL_MAX or not url.startswith(("http://", "https://")):
        raise WebhookRefused(f"The webhook URL must be an http(s) URL of at most {URL_MAX} characters")
    token = secrets.token_urlsafe(36)
    try:
        said = _http().post(url, json={"challenge": token})
        echoed = said.status_code == 200 and said.json().get("challenge") == token
    except (httpx.HTTPError, ValueError, AttributeError):
        echoed = False
    if not echoed:
        raise WebhookRefused("Failed to communicate with URL provided.")
    if isinstance(config, str):
        config = json.loads(config) if config.strip() else None
    hook = {"id": state.new_id(), "board_id": board_id, "url": url, "event": event, "config": config}
    state.webhooks[hook["id"]] = hook
    return hook


def out(hook: dict[str, Any]) -> dict[str, Any]:
    """The `Webhook` type: monday.com's answer names no URL."""
    config = hook["config"]
    return {
        "id": hook["id"],
        "board_id": hook["board_id"],
        "event": hook["event"],
        "config": None if config is None else json.dumps(config),
    }


def _wants(hook: dict[str, Any], event: str, item: Item, data: dict[str, Any], sub: bool) -> bool:
    for_item, for_sub = EVENTS.get(event, ("", ""))
    kind, config = hook["event"], hook["config"] or {}
    if kind == (for_sub if sub else for_item):
        return True
    if sub:
        return False
    if event == "update_column_value":
        column = data.get("column_id")
        if kind == "change_specific_column_value":
            return config.get("columnId") == column
        if kind == "change_status_column_value" and data.get("column_type") in ("color", "status"):
            return config.get("columnId") in (None, column)
    if event == "move_pulse_into_group" and kind == "item_moved_to_specific_group":
        return config.get("groupId") == data.get("dest_group_id")
    return False


def _payload(state: MondayState, hook: dict[str, Any], event: str, item: Item, data: dict[str, Any]) -> dict[str, Any]:
    board = state.boards[item.board_id]
    groups = [g for g in board.groups if not g.deleted]
    group = next((g for g in groups if g.id == item.group_id), None)
    now = time.time()
    body: dict[str, Any] = {
        "app": "monday",
        "type": event,
        "triggerTime": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "subscriptionId": int(hook["id"]),
        "userId": int(state.me_id),
        "originalTriggerUuid": None,
        "boardId": int(item.board_id),
        "pulseId": int(item.id),
        "pulseName": item.name,
        "groupId": item.group_id,
        "groupName": group.title if group else None,
        "groupColor": group.color if group else None,
        "isTopGroup": bool(groups) and groups[0].id == item.group_id,
        "triggerUuid": uuid.uuid4().hex,
    }
    if item.parent_id is not None:
        parent = state.items[item.parent_id]
        body |= {"parentItemId": parent.id, "parentItemBoardId": parent.board_id}
    if event == "create_pulse":
        body["columnValues"] = {}
    elif event == "update_name":
        body |= {"value": data.get("value"), "previousValue": data.get("previous_value")}
    elif event == "update_column_value":
        column = next((c for c in board.columns if c.id == data.get("column_id")), None)
        body |= {
            "columnId": data.get("column_id"),
            "columnType": data.get("column_type") or (column.type if column else None),
            "columnTitle": column.title if column else None,
            "value": data.get("value"),
            "previousValue": data.get("previous_value"),
            "changedAt": now,
        }
    elif event == "move_pulse_into_group":
        body |= {"sourceGroupId": data.get("source_group_id"), "destGroupId": data.get("dest_group_id")}
    elif event == "create_update":
        up = state.updates[data["update_id"]]
        body |= {"updateId": int(up.id), "body": up.body, "textBody": up.text_body, "replyId": None}
    return {"event": body}


def token(state: MondayState, secret: str, url: str) -> str:
    """The `Authorization` JWT of one delivery to `url`."""
    now = int(time.time())
    claims = {
        "accountId": state.account_id,
        "userId": int(state.me_id),
        "aud": url,
        "iat": now,
        "exp": now + TOKEN_TTL_S,
        "shortLivedToken": secrets.token_urlsafe(24),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class Deliveries:
    """Each item event, to the webhooks of its board that want it."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.sender = Sender("monday", lambda hook, status: None)  # monday.com keeps no health fields

    @property
    def sent(self) -> list[dict[str, Any]]:
        return self.sender.sent

    def on_event(self, state: MondayState, event: str, item: Item, data: dict[str, Any]) -> None:
        sub = item.parent_id is not None
        board_id = state.items[item.parent_id].board_id if item.parent_id is not None else item.board_id
        for hook in [h for h in state.webhooks.values() if h["board_id"] == board_id]:
            if not _wants(hook, event, item, data, sub):
                continue
            body = json.dumps(_payload(state, hook, event, item, data), separators=(",", ":")).encode()
            self.sender.send(hook, hook["url"], body, {"authorization": token(state, self.secret, hook["url"])})
