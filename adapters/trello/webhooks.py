"""Trello's webhooks (reference 1.5): one per board, owned by the token; each delivery is
signed in `X-Trello-Webhook` with base64(HMAC-SHA1(app secret, raw body + callbackURL))."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from wizard.webhooks import Delivery, Registration, WebhookScheme

SIGNATURE_HEADER = "x-trello-webhook"


async def register(source: Any, callback_url: str, board_id: str, _known: Callable[[str], bool]) -> Registration:
    """The board's webhook to `callback_url`: the token's existing one, else a new one (Trello
    sends HEAD to the URL first and creates it only when that answers 200). Its deliveries are
    signed with the app's secret, so an existing one is always reused."""
    client = source.client
    for hook in await client.get(f"tokens/{client.token}/webhooks") or []:
        if isinstance(hook, dict) and hook.get("idModel") == board_id and hook.get("callbackURL") == callback_url:
            return Registration(str(hook["id"]))
    made = await client.json(
        "POST",
        "webhooks",
        params={"callbackURL": callback_url, "idModel": board_id, "description": MARKER},
    )
    return Registration(str(made["id"]))


MARKER = "migration-wizard listen"  # the description our webhooks carry


async def ours(source: Any, board_id: str) -> list[tuple[str, str]]:
    """(id, callback URL) of the token's webhooks on the board that carry our description."""
    client = source.client
    return [
        (str(h["id"]), str(h.get("callbackURL", "")))
        for h in await client.get(f"tokens/{client.token}/webhooks") or []
        if isinstance(h, dict) and h.get("idModel") == board_id and h.get("description") == MARKER
    ]


async def delete(source: Any, webhook_id: str) -> None:
    """`DELETE /1/webhooks/{id}` (reference 1.5)."""
    await source.client.json("DELETE", f"webhooks/{webhook_id}")


def verify(headers: Mapping[str, str], body: bytes, callback_url: str, secret: str) -> bool:
    given = headers.get(SIGNATURE_HEADER, "")
    mac = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
    return bool(given) and hmac.compare_digest(given, base64.b64encode(mac).decode())


def parse(body: bytes) -> Delivery | None:
    try:
        action = json.loads(body)["action"]
        board = action["data"]["board"]["id"]
        return Delivery(id=str(action["id"]), container_id=str(board), kind=str(action.get("type", "")))
    except (ValueError, KeyError, TypeError):
        return None


SCHEME = WebhookScheme(
    secret_part="secret",
    secret_label="the secret under your Power-Up's API key (trello.com/app-key)",
    signature_header=SIGNATURE_HEADER,
    register=register,
    verify=verify,
    parse=parse,
    delete=delete,
    ours=ours,
)
