"""A callback URL for the sandboxes' webhooks in tests: a real HTTP server on loopback that
keeps every request (headers in lower case, JSON body) and answers a monday.com challenge the
vendor's way (unless `echoing` is off)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Catcher:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], Any]] = []
        self.echoing = True
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                catcher.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                out = b"ok"
                if catcher.echoing and isinstance(body, dict) and set(body) == {"challenge"}:
                    out = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def deliveries(self, n: int, timeout: float = 10.0) -> list[tuple[dict[str, str], Any]]:
        """The requests after the challenges, once there are `n` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [g for g in self.got if not (isinstance(g[1], dict) and set(g[1]) == {"challenge"})]
            if len(found) >= n or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def catcher() -> Iterator[Catcher]:
    c = Catcher()
    try:
        yield c
    finally:
        c.close()
