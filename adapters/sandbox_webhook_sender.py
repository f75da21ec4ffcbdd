"""How a sandbox sends webhook deliveries: from a thread of its own, in the order the changes
happen, so a write's answer never waits for a listener. Each vendor's sandbox says what a
delivery holds and how it is signed; this only posts it and tells the sandbox each answer.
A webhook is a dict the vendor's sandbox owns; `answered(hook, status)` lets it keep the
vendor's health fields (0: no answer at all)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import httpx

Job = tuple[dict[str, Any], str, bytes, dict[str, str]]  # (webhook, URL, body, headers)


class Sender:
    def __init__(self, name: str, answered: Callable[[dict[str, Any], int], None]) -> None:
        self.name, self.answered = name, answered
        self.sent: list[dict[str, Any]] = []  # (webhook id, status) of each attempt, for tests
        self.last: Job | None = None  # the last delivery sent, as sent (for a replay)
        self._queue: queue.Queue[Job] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def send(self, hook: dict[str, Any], url: str, body: bytes, headers: dict[str, str]) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._send_all, name=f"{self.name}-webhooks", daemon=True)
                self._thread.start()
        self._queue.put((hook, url, body, {"content-type": "application/json", **headers}))

    def _send_all(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while True:
                job = self._queue.get()
                self.last = job
                self._post(client, job)

    def replay(self) -> int:
        """The last delivery sent again, byte for byte with its signature, as one who caught it
        would send it: what the target answered (0: nothing sent yet, or no answer)."""
        if self.last is None:
            return 0
        with httpx.Client(timeout=10.0) as client:
            return self._post(client, self.last)

    def _post(self, client: httpx.Client, job: Job) -> int:
        hook, url, body, headers = job
        try:
            status = client.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = 0
        self.answered(hook, status)
        self.sent.append({"webhook": hook.get("id") or hook.get("gid"), "status": status})
        return status
