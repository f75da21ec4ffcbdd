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
import queue
import threading
from typing import Any

import httpx

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
    """The queue of deliveries and the thread that sends them."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.sent: list[dict[str, Any]] = []  # (hook id, action id, status) of each attempt, for tests
        self._queue: queue.Queue[tuple[dict[str, Any], bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

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
            self._start()
            self._queue.put((hook, body))

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._send_all, name="trello-webhooks", daemon=True)
            self._thread.start()

    def _send_all(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while (job := self._queue.get()) is not None:
                hook, body = job
                headers = {
                    "content-type": "application/json",
                    "x-trello-webhook": signature(self.secret, body, hook["callbackURL"]),
                }
                try:
                    status = client.post(hook["callbackURL"], content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = 0
                hook["consecutiveFailures"] = 0 if 200 <= status < 300 else hook["consecutiveFailures"] + 1
                if status == 410:  # Trello's documented answer for "stop sending": the webhook goes
                    hook["active"] = False
                self.sent.append({"webhook": hook["id"], "status": status})
