"""What every sandbox shares: a Starlette app served by uvicorn on a free loopback port (in a
thread, so tests, the demo and benchmarks can run it in-process), request statistics by
route and status, seeded fault injection, and the `/_sandbox/...` routes.

Faults, each at its own rate (0..1), drawn from a seeded RNG:
- `rate_429`: the vendor's own 429 (the sandbox subclass builds it, with its headers);
- `rate_5xx`: a 503 with the vendor's error body, before the request is handled;
- `rate_reset`: the request IS handled, then the connection drops before the body
  (the client cannot know whether its write happened: the hard case for resume);
- `rate_truncate`: a 200 whose body is cut short;
- `rate_slow` with `slow_seconds`: the answer comes late (past a short client timeout);
- `rate_401`, `rate_403`: the vendor refuses the credential, or denies access (the sandbox
  subclass builds them in its vendor's shape; at 1.0, every request).
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import uvicorn
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Faults(BaseModel):
    rate_429: float = Field(0.0, ge=0, le=1)
    rate_5xx: float = Field(0.0, ge=0, le=1)
    rate_reset: float = Field(0.0, ge=0, le=1)
    rate_truncate: float = Field(0.0, ge=0, le=1)
    rate_slow: float = Field(0.0, ge=0, le=1)
    slow_seconds: float = Field(2.0, ge=0, le=120)
    rate_401: float = Field(0.0, ge=0, le=1)
    rate_403: float = Field(0.0, ge=0, le=1)
    seed: int = 0

    @classmethod
    def uniform(cls, total: float, seed: int = 0) -> Faults:
        """`--faults 0.2`: 20% of API requests fail, spread over the kinds of fault."""
        share = total / 4
        return cls(rate_429=share, rate_5xx=share, rate_reset=share, rate_truncate=share, seed=seed)


ManifestKind = Literal[
    "container", "stage", "item", "subitem", "comment", "attachment", "checklist_item", "field_value"
]


class ManifestEntry(BaseModel):
    """One object a source sandbox holds: `ref` is the source key our provenance marker
    writes in the target for it (`<system>:<kind>:<id>`)."""

    ref: str = Field(pattern=r"^[a-z]+:[a-z_]+:[^\s]+$")
    kind: ManifestKind
    archived: bool = False


class Manifest:
    """The list of everything a source sandbox holds, built from its own state (never from
    our client's view of it), so a test can hold an extraction or a migration against it.
    A ref listed twice is the sandbox's own mistake and raises at once."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.entries: list[ManifestEntry] = []
        self._refs: set[str] = set()

    def add(self, kind: ManifestKind, ref_kind: str, ident: str, *, archived: bool = False) -> None:
        ref = f"{self.system}:{ref_kind}:{ident}"
        if ref in self._refs:
            raise ValueError(f"the manifest lists {ref} twice")
        self._refs.add(ref)
        self.entries.append(ManifestEntry(ref=ref, kind=kind, archived=archived))

    def to_json(self) -> list[dict[str, Any]]:
        return [e.model_dump() for e in self.entries]


class Sandbox:
    """Base class: subclasses add routes, state, `export()`, `too_many_requests()` and
    `server_error()` in their vendor's own shapes. A source sandbox also builds its
    `manifest()`, which `GET /_sandbox/export` adds to the export as `"manifest"`."""

    name = "sandbox"

    def __init__(self, *, seed: int = 1, faults: Faults | float | None = None) -> None:
        """`faults` as a number is the share of API requests that fail (`Faults.uniform`)."""
        self.seed = seed
        if isinstance(faults, (int, float)):
            faults = Faults.uniform(faults, seed=seed) if faults else None
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed or seed)
        self.stats: Counter[str] = Counter()
        self.started = time.time()
        self.lock = threading.RLock()
        self.app = Starlette(routes=self.sandbox_routes() + self.routes())
        self.app.add_middleware(_Middleware, sandbox=self)

    def server(self, port: int = 0) -> SandboxServer:
        """This sandbox served on loopback: `with sb.server() as srv: srv.url`."""
        return SandboxServer(self, port)

    # -- for subclasses ------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def export(self) -> dict[str, Any]:
        raise NotImplementedError

    def manifest(self) -> Manifest | None:
        """Every object a source sandbox holds (None for a target sandbox)."""
        return None

    def export_with_manifest(self) -> dict[str, Any]:
        body = self.export()
        manifest = self.manifest()
        if manifest is not None:
            body["manifest"] = manifest.to_json()
        return body

    def too_many_requests(self, request_scope: Scope) -> Response:
        return JSONResponse({"error": "rate limited"}, status_code=429, headers={"Retry-After": "1"})

    def server_error(self, request_scope: Scope) -> Response:
        return JSONResponse({"error": "internal error"}, status_code=503)

    def refused(self, request_scope: Scope, status: int) -> Response:
        """A 401 (credential refused) or 403 (access denied) in the vendor's shape."""
        return JSONResponse({"error": "unauthorized" if status == 401 else "forbidden"}, status_code=status)

    def reset_state(self, body: dict[str, Any]) -> None:
        """POST /_sandbox/seed: rebuild the seeded state (subclasses override)."""

    # -- shared routes -------------------------------------------------------------------
    def sandbox_routes(self) -> list[BaseRoute]:
        async def export(_: Request) -> Response:
            with self.lock:
                return JSONResponse(self.export_with_manifest())

        async def stats(_: Request) -> Response:
            by_route: dict[str, dict[str, int]] = {}
            for k, n in sorted(self.stats.items()):
                route, status = k.rsplit(" ", 1)
                by_route.setdefault(route, {})[status] = n
            total = sum(self.stats.values())
            return JSONResponse({"requests": total, "by_route": by_route})

        async def faults(request: Request) -> Response:
            if request.method == "POST":
                self.faults = Faults.model_validate(await request.json())
                self._rng = random.Random(self.faults.seed or self.seed)
            return JSONResponse(self.faults.model_dump())

        async def seed(request: Request) -> Response:
            body = await request.json() if await request.body() else {}
            with self.lock:
                self.reset_state(body)
            return JSONResponse({"ok": True})

        async def reset_stats(_: Request) -> Response:
            self.stats.clear()
            return JSONResponse({"ok": True})

        return [
            Route("/_sandbox/export", export),
            Route("/_sandbox/stats", stats, methods=["GET"]),
            Route("/_sandbox/stats/reset", reset_stats, methods=["POST"]),
            Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
            Route("/_sandbox/seed", seed, methods=["POST"]),
        ]

    def pick_fault(self) -> str | None:
        f = self.faults
        r = self._rng.random()
        for name, rate in (
            ("429", f.rate_429),
            ("5xx", f.rate_5xx),
            ("reset", f.rate_reset),
            ("truncate", f.rate_truncate),
            ("slow", f.rate_slow),
            ("401", f.rate_401),
            ("403", f.rate_403),
        ):
            if r < rate:
                return name
            r -= rate
        return None


class _Middleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sb = self.sandbox
        path: str = scope["path"]
        status_box = {"status": 0}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box["status"] = message["status"]
            await send(message)

        def record() -> None:
            # A sandbox may name the request itself (`stats_route`): a GraphQL query is a read
            # sent as a POST, which it counts as a GET of its endpoint, since a write is anything else.
            route = scope.get("route")
            template = getattr(route, "path", None) or path
            named = scope.get("stats_route") or f"{scope['method']} {template}"
            sb.stats[f"{named} {status_box['status']}"] += 1

        if path.startswith("/_sandbox"):
            await self.app(scope, receive, counting_send)
            return
        fault = sb.pick_fault()
        try:
            if fault == "429":
                await sb.too_many_requests(scope)(scope, receive, counting_send)
            elif fault == "5xx":
                await sb.server_error(scope)(scope, receive, counting_send)
            elif fault in ("401", "403"):
                await sb.refused(scope, int(fault))(scope, receive, counting_send)
            elif fault == "slow":
                await asyncio.sleep(sb.faults.slow_seconds)
                await self.app(scope, receive, counting_send)
            elif fault in ("reset", "truncate"):
                await self._cut(scope, receive, send, status_box, drop_all=fault == "reset")
            else:
                await self.app(scope, receive, counting_send)
        finally:
            record()

    async def _cut(self, scope: Scope, receive: Receive, send: Send, status_box: dict, drop_all: bool) -> None:
        """Handle the request for real, then send a response that ends too early."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = next(m for m in held if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        status_box["status"] = start["status"] if not drop_all else 0
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body) + 64).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if drop_all else body[: len(body) // 2], "more_body": True}
        )
        raise _DropConnection()


class _DropConnection(Exception):
    """Raised after a partial response: uvicorn closes the connection mid-body."""


class SandboxServer:
    """Serve a sandbox on 127.0.0.1 in a background thread: `with SandboxServer(sb) as srv: srv.url`.
    The listening socket is bound here and handed to uvicorn, so a free port is never asked
    for first and bound later (another process, a parallel test, could take it in between).
    It is TCP_NODELAY, as uvicorn's own sockets are: the connections it accepts inherit that, and
    without it every answer waits out Nagle's delay against the client's delayed ACK (45 ms a
    request on loopback, measured)."""

    def __init__(self, sandbox: Sandbox, port: int = 0) -> None:
        self.sandbox = sandbox
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.bind(("127.0.0.1", port))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            sandbox.app,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name=f"sandbox-{sandbox.name}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.sandbox.name} sandbox did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":")), status_code=status, headers=headers, media_type="application/json"
    )


Handler = Callable[[Request], Awaitable[Response]]
