"""A callback URL for the sandboxes' webhooks in tests: a real HTTP server on loopback that
keeps every request (headers in lower case, JSON body; `raw`: the body as sent, for signatures),
answers `status`, a monday.com challenge the vendor's way (unless `echoing` is off) and echoes
the handshake header `echo_header` (Asana's X-Hook-Secret) when one is named and sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Catcher:
    def __init__(self, status: int = 200, echo_header: str = "") -> None:
        self.got: list[tuple[dict[str, str], Any]] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.echoing = True
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                catcher.raw.append((headers, raw))
                body = json.loads(raw or b"null")
                catcher.got.append((headers, body))
                out = b"ok"
                if catcher.echoing and isinstance(body, dict) and set(body) == {"challenge"}:
                    out = json.dumps(body).encode()
                self.send_response(status)
                if echo_header and self.headers.get(echo_header):
                    self.send_header(echo_header, self.headers[echo_header])
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

    def wait(self, n: int, timeout: float = 10.0) -> None:
        """Until `n` requests came in, challenges and handshakes included, or the time is up."""
        deadline = time.monotonic() + timeout
        while len(self.raw) < n and time.monotonic() < deadline:
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
