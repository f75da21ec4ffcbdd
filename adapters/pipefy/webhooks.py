"""Pipefy's pipe webhooks (reference §P6). Pipefy documents no signature and no challenge: the
one way it gives a receiver to know the sender is the headers set on the webhook, sent as they
are with every delivery. So each webhook is registered with a random token of ours in
`X-Migration-Wizard-Token` (kept in the keyring as that webhook's secret) and a delivery without
it, or with another, is refused. A card delivery carries no id or time of its own either, so a
resent one cannot be told from the same change made again: each is taken, and since it only
names a pipe whose cards are then read back, a replay costs one sync pass that writes nothing."""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from wizard.webhooks import Delivery, Registration, WebhookScheme

TOKEN_HEADER = "x-migration-wizard-token"
# what changes a migrated card (its comments included)
ACTIONS = ("card.create", "card.field_update", "card.move", "card.done", "card.delete", "card.comment_create")
DOCUMENTS = Path(__file__).parent / "graphql" / "webhooks"  # write and list webhooks: not the source's reads


@cache
def _doc(name: str) -> str:
    return (DOCUMENTS / f"{name}.graphql").read_text("utf-8")


async def register(source: Any, callback_url: str, pipe_id: str, known: Callable[[str], bool]) -> Registration:
    """The pipe's webhook to `callback_url`: an earlier start's whose token is kept, else a new
    one with a new token (Pipefy refuses two with the same URL and action, so the old one goes)."""
    client = source.client
    pipe = (await client.send("pipe_webhooks", _doc("pipe_webhooks"), {"id": pipe_id})).get("pipe") or {}
    dropped: list[str] = []
    for hook in pipe.get("webhooks") or []:
        if not isinstance(hook, dict) or hook.get("url") != callback_url:
            continue
        if known(str(hook["id"])) and set(ACTIONS) <= set(hook.get("actions") or []):
            return Registration(str(hook["id"]))
        await client.send("delete_webhook", _doc("delete_webhook"), {"id": hook["id"]}, write=True)
        dropped.append(str(hook["id"]))
    token = secrets.token_urlsafe(32)
    made = await client.send(
        "create_webhook",
        _doc("create_webhook"),
        {
            "pipe_id": pipe_id,
            "name": MARKER,
            "url": callback_url,
            "actions": list(ACTIONS),
            "headers": {TOKEN_HEADER: token},
        },
        write=True,
    )
    made_id = str(((made.get("createWebhook") or {}).get("webhook") or {}).get("id", ""))
    return Registration(made_id, token, tuple(dropped))


MARKER = "migration-wizard listen"  # the name our webhooks carry


async def ours(source: Any, pipe_id: str) -> list[tuple[str, str]]:
    """(id, URL) of the pipe's webhooks that carry our name."""
    pipe = (await source.client.send("pipe_webhooks", _doc("pipe_webhooks"), {"id": pipe_id})).get("pipe") or {}
    return [
        (str(h["id"]), str(h.get("url", "")))
        for h in pipe.get("webhooks") or []
        if isinstance(h, dict) and h.get("name") == MARKER
    ]


async def delete(source: Any, webhook_id: str) -> None:
    """`deleteWebhook(input: {id})` (reference §P6)."""
    await source.client.send("delete_webhook", _doc("delete_webhook"), {"id": webhook_id}, write=True)


def verify(headers: Mapping[str, str], body: bytes, callback_url: str, secret: str) -> bool:
    given = headers.get(TOKEN_HEADER, "")
    return bool(given) and hmac.compare_digest(given.encode(), secret.encode())


def parse(body: bytes) -> Delivery | None:
    """A card action; its pipe is the webhook's (a delivery names the pipe by its short id only)."""
    try:
        data = json.loads(body)["data"]
        action, card = str(data["action"]), data["card"]["id"]
    except (ValueError, KeyError, TypeError):
        return None
    if not action or card in (None, ""):
        return None
    return Delivery(id=f"{action}:{card}:{uuid.uuid4().hex}", kind=action)  # no id of its own: see above


SCHEME = WebhookScheme(
    secret_label="a token of our own in each webhook's headers (Pipefy signs nothing)",
    signature_header=TOKEN_HEADER,
    register=register,
    verify=verify,
    parse=parse,
    delete=delete,
    ours=ours,
)
