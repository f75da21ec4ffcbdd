"""A webhook endpoint on loopback for the sandboxes' webhook tests: it records each POST it is
sent, answers `status`, and echoes the handshake header `echo` when one is named and sent."""

from __future__ import annotations

import http.server
import threading
import time


class Target:
    def __init__(self, status: int = 200, echo: str = "") -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                if echo and self.headers.get(echo):
                    self.send_header(echo, self.headers[echo])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test reads `got`

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 10) -> None:
        """Until `count` POSTs came in, or the time is up."""
        deadline = time.monotonic() + timeout
        while len(self.got) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
