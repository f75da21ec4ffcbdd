"""ClickUp's webhooks (reference 3.5, the spec's Create Webhook): one per list, on the list's
Workspace (`POST /v2/team/{team_id}/webhook` with `list_id`). ClickUp makes each webhook its
own `secret` and returns it in the create answer (and in Get Webhooks); each delivery is
signed in `X-Signature` with the hex HMAC-SHA256 of the raw body under it. A delivery names the
event and the task (`{"event", "history_items", "task_id", "webhook_id"}`); the changes are read
back from the list. A history item's id is unique to its change; a deletion carries none, so
its body's hash stands for it."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from wizard.errors import VendorDataError
from wizard.webhooks import Delivery, Registration, WebhookScheme

SIGNATURE_HEADER = "x-signature"
EVENTS = ["taskCreated", "taskUpdated", "taskDeleted", "taskStatusUpdated", "taskMoved", "taskCommentPosted"]


async def register(source: Any, callback_url: str, list_id: str, _known: Callable[[str], bool]) -> Registration:
    """The list's webhook to `callback_url`: an existing active one (ClickUp lists it with its
    secret), else a new one; a suspended one is deleted and made again."""
    client = source.client
    team = await _team_of(source, list_id)
    dropped: list[str] = []
    for hook in await client.envelope(f"v2/team/{team}/webhook", "webhooks"):
        if not isinstance(hook, dict) or hook.get("endpoint") != callback_url or str(hook.get("list_id")) != list_id:
            continue
        status = (hook.get("health") or {}).get("status")
        if status != "suspended" and hook.get("secret"):
            return Registration(str(hook["id"]), str(hook["secret"]))
        await client.json("DELETE", f"v2/webhook/{hook['id']}")
        dropped.append(str(hook["id"]))
    made = await client.json(
        "POST",
        f"v2/team/{team}/webhook",
        json={"endpoint": callback_url, "events": EVENTS, "list_id": int(list_id) if list_id.isdigit() else list_id},
    )
    hook = made.get("webhook") if isinstance(made, dict) else None
    if not isinstance(hook, dict) or not made.get("id") or not hook.get("secret"):
        raise VendorDataError("ClickUp answered the creation of a webhook without its id or secret.")
    return Registration(str(made["id"]), str(hook["secret"]), tuple(dropped))


async def _team_of(source: Any, list_id: str) -> str:
    """The Workspace holding the list: the token's only one, else the one whose spaces hold it."""
    teams = await source.teams()
    if len(teams) == 1:
        return str(teams[0].id)
    space = ((await source.client.record(f"v2/list/{list_id}")).get("space") or {}).get("id")
    for team in teams:
        spaces = await source.client.envelope(f"v2/team/{team.id}/space", "spaces")
        if any(isinstance(s, dict) and str(s.get("id")) == str(space) for s in spaces):
            return str(team.id)
    raise VendorDataError(f"ClickUp names no Workspace of this token that holds the list {list_id}.")


async def ours(source: Any, list_id: str) -> list[tuple[str, str]]:
    """(id, endpoint) of the list's webhooks (ClickUp keeps no description: the listener knows its
    own by the endpoint's path)."""
    hooks = await source.client.envelope(f"v2/team/{await _team_of(source, list_id)}/webhook", "webhooks")
    return [
        (str(h["id"]), str(h.get("endpoint", "")))
        for h in hooks
        if isinstance(h, dict) and str(h.get("list_id")) == list_id
    ]


async def delete(source: Any, webhook_id: str) -> None:
    """`DELETE /v2/webhook/{webhook_id}` (reference 3.5)."""
    await source.client.json("DELETE", f"v2/webhook/{webhook_id}")


def verify(headers: Mapping[str, str], body: bytes, _callback_url: str, secret: str) -> bool:
    given = headers.get(SIGNATURE_HEADER, "")
    return bool(given) and hmac.compare_digest(given, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())


def parse(body: bytes) -> Delivery | None:
    try:
        data = json.loads(body)
        event = str(data["event"])
        items = data.get("history_items") or []
        ids = [str(i["id"]) for i in items]
    except (ValueError, KeyError, TypeError):
        return None
    return Delivery(",".join(ids) or hashlib.sha256(body).hexdigest(), kind=event)


SCHEME = WebhookScheme(
    secret_label="the secret ClickUp returns when each webhook is created",
    signature_header=SIGNATURE_HEADER,
    register=register,
    verify=verify,
    parse=parse,
    delete=delete,
    ours=ours,
)
