"""Asana's webhooks (reference 2.5, the spec's `POST /webhooks`): one per project. Creating one
blocks on a handshake: Asana POSTs `X-Hook-Secret` to the target and creates the webhook only
when the receiver echoes it (wizard/listen.py does, while the registration awaits it); that
secret is the webhook's own, and each delivery is signed in `X-Hook-Signature` with the hex
HMAC-SHA256 of the raw body under it. A delivery is `{"events": [...]}`, compact (the changes
are read back through the Events API); `{"events": []}` is a heartbeat. Events carry no id of
their own, so a delivery's id is its body's hash: a replay is the same body again."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from wizard.errors import VendorDataError
from wizard.webhooks import Delivery, Registration, WebhookScheme

SIGNATURE_HEADER = "x-hook-signature"
HANDSHAKE_HEADER = "x-hook-secret"


async def register(source: Any, callback_url: str, project: str, known: Callable[[str], bool]) -> Registration | None:
    """The project's webhook to `callback_url`: an existing one whose secret is known, else a
    new one (an existing one whose secret is lost is deleted first). Templates send none."""
    if await source.is_template(project):
        return None
    client = source.client
    dropped: list[str] = []
    for hook in await _on(source, project):
        if hook.get("target") != callback_url:
            continue
        if hook.get("active") and known(str(hook["gid"])):
            return Registration(str(hook["gid"]))
        await client.json("DELETE", f"webhooks/{hook['gid']}")
        dropped.append(str(hook["gid"]))
    made = await client.json("POST", "webhooks", json={"data": {"resource": project, "target": callback_url}})
    data = made.get("data") if isinstance(made, dict) else None
    if not isinstance(data, dict) or not data.get("gid"):
        raise VendorDataError("Asana answered the creation of a webhook without its gid.")
    return Registration(str(data["gid"]), str(made.get("X-Hook-Secret") or ""), tuple(dropped))


async def _on(source: Any, project: str) -> list[dict[str, Any]]:
    """The project's webhooks (`GET /webhooks?workspace=&resource=`)."""
    client = source.client
    ws = (await client.data(f"projects/{project}", opt_fields="workspace") or {}).get("workspace") or {}
    hooks: list[dict[str, Any]] = []
    async for page in client.pages("webhooks", workspace=ws.get("gid"), resource=project, opt_fields="target,active"):
        hooks += [h for h in page if isinstance(h, dict)]
    return hooks


async def ours(source: Any, project: str) -> list[tuple[str, str]]:
    """(gid, target) of the project's webhooks (Asana keeps no description: the listener knows its
    own by the target's path)."""
    if await source.is_template(project):
        return []
    return [(str(h["gid"]), str(h.get("target", ""))) for h in await _on(source, project)]


async def delete(source: Any, webhook_id: str) -> None:
    """`DELETE /webhooks/{webhook_gid}` (the spec's deleteWebhook)."""
    await source.client.json("DELETE", f"webhooks/{webhook_id}")


def verify(headers: Mapping[str, str], body: bytes, _callback_url: str, secret: str) -> bool:
    given = headers.get(SIGNATURE_HEADER, "")
    return bool(given) and hmac.compare_digest(given, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())


def parse(body: bytes) -> Delivery | None:
    try:
        events = json.loads(body)["events"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(events, list):
        return None
    if not events:
        return Delivery("", kind="heartbeat")
    actions = sorted({str(e.get("action", "")) for e in events if isinstance(e, dict)})
    return Delivery(hashlib.sha256(body).hexdigest(), kind=",".join(actions))


SCHEME = WebhookScheme(
    secret_label="the X-Hook-Secret Asana sends when each webhook is created",
    signature_header=SIGNATURE_HEADER,
    register=register,
    verify=verify,
    parse=parse,
    handshake_header=HANDSHAKE_HEADER,
    delete=delete,
    ours=ours,
)
