"""A sandbox's outgoing webhook deliveries: POSTed from one thread, in the order the changes
happen, so a write's answer never waits for a listener. Each attempt's status is kept in `sent`
for tests (0: the listener could not be reached)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Outgoing:
    webhook_id: str
    url: str
    body: bytes
    headers: dict[str, str]
    answered: Callable[[int], None] | None = None  # told the status of the attempt


class Outbox:
    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[dict[str, Any]] = []
        self._queue: queue.Queue[Outgoing] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, delivery: Outgoing) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._send_all, name=f"{self.name}-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(delivery)

    def _send_all(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while True:
                d = self._queue.get()
                try:
                    status = client.post(d.url, content=d.body, headers=d.headers).status_code
                except httpx.HTTPError:
                    status = 0
                if d.answered is not None:
                    d.answered(status)
                self.sent.append({"webhook": d.webhook_id, "status": status})


def challenge(url: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response | None:
    """One request a vendor sends a callback URL before it creates the webhook (a handshake), or
    None when the URL cannot be reached."""
    try:
        return httpx.post(
            url, content=body, headers={"content-type": "application/json", **(headers or {})}, timeout=10
        )
    except httpx.HTTPError:
        return None
