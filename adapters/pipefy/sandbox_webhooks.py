"""Pipefy's pipe webhooks in the sandbox, sent the vendor's way (reference §P6): `createWebhook`
takes a pipe, a URL, the actions to send and the headers of the creator's choosing; Pipefy sends
no challenge, signs nothing, and refuses a second webhook with the same URL and action on a
pipe. Each action on a card is then POSTed as `{"data": {"action": ..., "card": {"id", "title",
"pipe_id"}, ...}}`, `pipe_id` being the pipe's short id (SUID), not its number, with the
webhook's headers as given."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from adapters.pipefy.sandbox_state import Card, PipefyState
from adapters.sandbox_webhook_sender import Sender

# the documented pipe actions (reference §P6)
ACTIONS = frozenset(
    {
        "card.create",
        "card.field_update",
        "card.move",
        "card.done",
        "card.delete",
        "card.late",
        "card.overdue",
        "card.expired",
        "card.comment_create",
        "card.email_received",
        "audit_log.export_finished",
        "automation.execution",
        "agent.ai_execution",
        "user.removal_from_pipe",
        "user.role_set",
    }
)


class WebhookRefused(Exception):
    pass


def suid(pipe_id: str) -> str:
    """A pipe's short id, as a delivery names it: eight letters and digits."""
    digest = hashlib.sha256(f"pipe:{pipe_id}".encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:8])


def create(state: PipefyState, given: dict[str, Any]) -> dict[str, Any]:
    pipe_id, url = str(given.get("pipe_id") or ""), str(given["url"])
    if pipe_id not in state.pipes:
        raise WebhookRefused(f"Pipe {pipe_id or '(none)'} not found")
    actions = [str(a) for a in given["actions"] or []]
    unknown = sorted(set(actions) - ACTIONS)
    if not actions or unknown:
        raise WebhookRefused(f"Invalid actions: {', '.join(unknown) or 'none given'}")
    if not url.startswith(("http://", "https://")):
        raise WebhookRefused("Url is invalid")
    taken = [
        h
        for h in state.webhooks.values()
        if h["pipe_id"] == pipe_id and h["url"] == url and set(h["actions"]) & set(actions)
    ]
    if taken:
        raise WebhookRefused("A webhook with the same url and action already exists for this pipe")
    headers = given.get("headers") or {}
    if isinstance(headers, str):
        headers = json.loads(headers)
    ident = state.new_id()
    hook: dict[str, Any] = {
        "id": ident,
        "pipe_id": pipe_id,
        "name": str(given["name"]),
        "url": url,
        "actions": actions,
        "headers": {str(k): str(v) for k, v in headers.items()},
        "email": given.get("email"),
        "filters": given.get("filters"),
    }
    state.webhooks[ident] = hook
    return hook


def out(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: hook[k] for k in ("id", "name", "url", "actions", "headers", "email", "filters")}


def number(ident: str) -> int | str:
    """An id as a delivery gives it: a number where it is one."""
    return int(ident) if ident.isdigit() else ident


def user(state: PipefyState, uid: str) -> dict[str, Any]:
    u = state.users[uid]
    return {"id": number(u.id), "name": u.name, "username": u.username, "email": u.email, "avatar_url": None}


class Deliveries:
    """Each action on a card, to the webhooks of its pipe that send it."""

    def __init__(self) -> None:
        self.sender = Sender("pipefy", lambda hook, status: None)  # Pipefy shows no health fields

    @property
    def sent(self) -> list[dict[str, Any]]:
        return self.sender.sent

    def action(self, state: PipefyState, action: str, card: Card, **data: Any) -> None:
        """`data`: what the action's payload adds (reference §P6), e.g. `field`, `new_value`,
        `updated_by` for card.field_update."""
        for hook in state.webhooks.values():
            if hook["pipe_id"] != card.pipe_id or action not in hook["actions"]:
                continue
            named = {"id": number(card.id), "title": card.title, "pipe_id": suid(card.pipe_id)}
            body = json.dumps({"data": {"action": action, **data, "card": named}}, separators=(",", ":")).encode()
            self.sender.send(hook, hook["url"], body, dict(hook["headers"]))
