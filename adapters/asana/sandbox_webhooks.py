"""Asana's webhooks in the sandbox, sent the vendor's way (reference 2.5, the spec's
`POST /webhooks`): creating one on a project first POSTs the handshake to its target with a
fresh `X-Hook-Secret`, and creates it (201, the secret beside `data`) only when the target
answers 200 or 204 echoing that header. Every event then recorded on the project goes to the
target as `{"events": [...]}`, compact, signed in `X-Hook-Signature` with the hex
HMAC-SHA256 of the raw body under that secret; a heartbeat is `{"events": []}`, signed the same
way. The host `localhost` is refused (403), as Asana refuses it; the sandbox takes loopback
addresses, which Asana would not reach, so the tests can listen on this machine."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from adapters.asana.sandbox_state import AsanaState, Project, iso
from adapters.sandbox_webhook_sender import Sender

HANDSHAKE_HEADER = "X-Hook-Secret"
SIGNATURE_HEADER = "X-Hook-Signature"
HANDSHAKE_FAILED = (
    "Could not complete activation handshake with target URL. Please ensure that the receiving server is "
    "accepting connections and supports SSL"
)


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def target_refusal(target: Any) -> tuple[int, str] | None:
    """Asana's answer to a target it will not use: None when it is fine."""
    if not isinstance(target, str) or not target:
        return 400, "target: Missing input"
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return 400, "target: Not a valid URL."
    if parts.hostname == "localhost":
        return 403, "target: Invalid hostname."
    return None


async def handshake(target: str) -> str | None:
    """The secret, when the target echoed it in time; None otherwise."""
    secret = secrets.token_hex(32)
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            resp = await client.post(target, headers={HANDSHAKE_HEADER: secret})
    except httpx.HTTPError:
        return None
    if resp.status_code in (200, 204) and resp.headers.get(HANDSHAKE_HEADER) == secret:
        return secret
    return None


def webhook_out(hook: dict[str, Any]) -> dict[str, Any]:
    """The full WebhookResponse; the secret is never part of it."""
    return {k: v for k, v in hook.items() if k != "secret"}


def make(st: AsanaState, project: Project, target: str, secret: str, filters: list[Any]) -> dict[str, Any]:
    gid = st.gid()
    hook: dict[str, Any] = {
        "gid": gid,
        "resource_type": "webhook",
        "active": True,
        "resource": {"gid": project.gid, "resource_type": "project", "name": project.data["name"]},
        "target": target,
        "created_at": iso(time.time()),
        "last_success_at": None,
        "last_failure_at": None,
        "last_failure_content": None,
        "delivery_retry_count": 0,
        "next_attempt_after": None,
        "failure_deletion_timestamp": None,
        "filters": filters,
        "secret": secret,
    }
    st.webhooks[gid] = hook
    return hook


class Deliveries:
    """Each event recorded on a watched project, POSTed to its webhooks from the sender's thread."""

    def __init__(self) -> None:
        self.sender = Sender("asana", self._answered)

    def on_event(self, state: AsanaState, project: Project, event: dict[str, Any]) -> None:
        hooks = [h for h in state.webhooks.values() if h["active"] and h["resource"]["gid"] == project.gid]
        if hooks:
            compact = event_compact(state, event)
            for hook in hooks:
                self._send(hook, {"events": [compact]})

    def heartbeat(self, state: AsanaState) -> int:
        hooks = [h for h in state.webhooks.values() if h["active"]]
        for hook in hooks:
            self._send(hook, {"events": []})
        return len(hooks)

    def _send(self, hook: dict[str, Any], payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.sender.send(hook, hook["target"], body, {SIGNATURE_HEADER: signature(hook["secret"], body)})

    @staticmethod
    def _answered(hook: dict[str, Any], status: int) -> None:
        if 200 <= status < 300:
            hook.update(last_success_at=iso(time.time()), delivery_retry_count=0)
        else:
            hook.update(
                last_failure_at=iso(time.time()),
                last_failure_content=f"{status} from the target" if status else "no answer from the target",
                delivery_retry_count=hook["delivery_retry_count"] + 1,
            )


def event_compact(st: AsanaState, event: dict[str, Any]) -> dict[str, Any]:
    """An event as a webhook carries it: compact resources, the user as a reference."""
    resource = {k: event["resource"][k] for k in ("gid", "resource_type", "resource_subtype") if k in event["resource"]}
    parent = event.get("parent")
    out = {
        "user": {"gid": event["user"], "resource_type": "user"} if event.get("user") else None,
        "created_at": event["created_at"],
        "action": event["action"],
        "resource": resource,
        "parent": {k: parent[k] for k in ("gid", "resource_type")} if parent else None,
    }
    if "change" in event:
        out["change"] = event["change"]
    return out
