"""Trello's webhooks in the sandbox, sent the vendor's way (reference 1.5): a webhook belongs to
a token and a model (a board or a card); creating one first sends HEAD to its callbackURL and
refuses it unless that answers 200; every action on the model is then POSTed there as
`{"action", "model", "webhook"}`, signed in `X-Trello-Webhook` with base64(HMAC-SHA1(app
secret, body + callbackURL)). Deliveries go out from a thread, in the order the actions happen,
so a write's answer never waits for a listener."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from adapters.sandbox_webhook_sender import Sender
from adapters.trello.sandbox_state import Action, TrelloState


def signature(secret: str, body: bytes, callback_url: str) -> str:
    """X-Trello-Webhook: base64(HMAC-SHA1(secret, body + callbackURL))."""
    mac = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def webhook_out(hook: dict[str, Any]) -> dict[str, Any]:
    return {
        k: hook[k]
        for k in (
            "id",
            "description",
            "idModel",
            "callbackURL",
            "active",
            "consecutiveFailures",
            "firstConsecutiveFailDate",
        )
    }


class Deliveries:
    """Each action on a watched board or card, POSTed to its webhooks from the sender's thread."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.sender = Sender("trello", self._answered)

    def on_action(self, state: TrelloState, action: Action, render: Any) -> None:
        hooks = [
            h for h in state.webhooks.values() if h["active"] and h["idModel"] in (action.board_id, action.card_id)
        ]
        if not hooks:
            return
        rendered = render(state, action)
        board = state.boards[action.board_id].data
        for hook in hooks:
            model = {"id": board["id"], "name": board["name"]}
            body = json.dumps(
                {"action": rendered, "model": model, "webhook": webhook_out(hook)}, separators=(",", ":")
            ).encode()
            url = hook["callbackURL"]
            self.sender.send(hook, url, body, {"x-trello-webhook": signature(self.secret, body, url)})

    @staticmethod
    def _answered(hook: dict[str, Any], status: int) -> None:
        hook["consecutiveFailures"] = 0 if 200 <= status < 300 else hook["consecutiveFailures"] + 1
        if status == 410:  # Trello's documented answer for "stop sending": the webhook goes
            hook["active"] = False
