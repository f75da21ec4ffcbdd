"""A faithful fake of Tallyfy's REST API (reference A1-A4, every point of A8), served on
loopback by adapters.sandboxkit.SandboxServer.

This module is the HTTP front door: both base shapes (`/api/organizations/{org}/...` as on
go.tallyfy.com and `/organizations/{org}/...` as on api.tallyfy.com), the three required
headers, the token, the organization, the per-user and per-organization rate limits, and
the `/_sandbox/...` test hooks. The routes themselves live in sandbox_routes (templates),
sandbox_runs (processes, tasks, comments) and sandbox_people (files, members, guests,
groups, tags); the data in sandbox_state.

Routing is a small regex table rather than Starlette routes because Tallyfy's 404s differ
by cause (ENDPOINT_NOT_FOUND for an unknown route, RESOURCE_NOT_FOUND for an unknown id)
and because auth must be checked before anything is routed.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.sandboxkit import Faults, Sandbox, json_response
from adapters.tallyfy import sandbox_people as _people  # noqa: F401  (registers its routes)
from adapters.tallyfy import sandbox_runs as _runs  # noqa: F401  (registers its routes)
from adapters.tallyfy import sandbox_views as v
from adapters.tallyfy.sandbox_limits import SandboxLimits
from adapters.tallyfy.sandbox_routes import ROUTES, Call, Upload
from adapters.tallyfy.sandbox_rules import ApiError, endpoint_not_found, legacy
from adapters.tallyfy.sandbox_state import Asset, TallyfyState
from adapters.tallyfy.spec import SANDBOX_CREDENTIALS

ORG_PATH = re.compile(r"^/organizations/(?P<org>[^/]+)(?P<rest>/.*)?$")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class _NamedRoute:
    def __init__(self, path: str) -> None:
        self.path = path


class TallyfySandbox(Sandbox):
    """Tallyfy, faked. `rate_limits="off"` disables both limit layers (benchmarks of the
    engine itself); `hour_seconds` shrinks the hour of the hourly caps; `seats` is the
    number of free member seats (None: unlimited) after which invites answer 409."""

    name = "tallyfy"
    token = SANDBOX_CREDENTIALS["token"]
    max_upload_bytes = 100 * 1024 * 1024

    def __init__(
        self,
        seed: int = 1,
        faults: Faults | float | None = None,
        org_id: str | None = None,
        rate_limits: str = "documented",
        hour_seconds: float = 3600.0,
        per_minute: int = 600,
        minute_seconds: float = 60.0,
        seats: int | None = None,
    ) -> None:
        if rate_limits not in ("documented", "off"):
            raise ValueError("rate_limits must be 'documented' or 'off'")
        self.org_id_arg = org_id
        self.seats = seats
        self.limits = SandboxLimits(
            enabled=rate_limits == "documented",
            per_minute=per_minute,
            hour_seconds=hour_seconds,
            minute_seconds=minute_seconds,
        )
        self.revoked = False
        self.state = TallyfyState(seed, org_id, seats)
        super().__init__(seed=seed, faults=faults)

    # -- Sandbox hooks -----------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        return self.state.export()

    def reset_state(self, body: dict[str, Any]) -> None:
        self.seed = int(body.get("seed", self.seed))
        self.seats = body.get("seats", self.seats)
        self.state = TallyfyState(self.seed, body.get("org_id", self.org_id_arg), self.seats)
        self.limits.reset()
        self.revoked = False

    def too_many_requests(self, request_scope: Scope) -> Response:
        return json_response(
            {"message": "Too Many Attempts.", "code": "RATE_LIMIT_EXCEEDED"},
            429,
            {"Retry-After": "1", "X-RateLimit-Limit": str(self.limits.per_minute), "X-RateLimit-Remaining": "0"},
        )

    def server_error(self, request_scope: Scope) -> Response:
        return json_response({"error": True, "message": "Service Unavailable"}, 503)

    def refused(self, request_scope: Scope, status: int) -> Response:
        message = "Unauthenticated." if status == 401 else "You don't have access to this organization."
        return json_response({"error": True, "message": message}, status)

    @property
    def org_id(self) -> str:
        return self.state.org_id

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/edit", self._edit, methods=["POST"]),
            Route("/_sandbox/revoke", self._revoke, methods=["POST"]),
            Route("/_sandbox/restore-token", self._restore_token, methods=["POST"]),
            Route("/{path:path}", self._dispatch, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    # -- test hooks --------------------------------------------------------------------
    async def _edit(self, request: Request) -> Response:
        """Edit a run as a person in the web UI would: rollback must then leave it alone
        unless forced, which it can tell from `updated_at`."""
        body = await request.json()
        with self.lock:
            run = self.state.runs.get(str(body.get("run_id")))
            if run is None:
                return json_response({"error": True, "message": "no such run"}, 404)
            if body.get("name"):
                run.name = str(body["name"])
            for fid, value in (body.get("prerun") or {}).items():  # a kick-off value changed by hand
                run.prerun[str(fid)] = value
            run.updated_at = self.state.now()
            run.edited_outside_api = True
            return json_response({"ok": True, "updated_at": run.updated_at})

    async def _revoke(self, _: Request) -> Response:
        self.revoked = True  # like logging out of the web UI, which kills a PAT
        return json_response({"ok": True})

    async def _restore_token(self, _: Request) -> Response:
        self.revoked = False
        return json_response({"ok": True})

    # -- the API -----------------------------------------------------------------------
    async def _dispatch(self, request: Request) -> Response:
        headers: dict[str, str] = {"X-Request-Id": uuid.uuid4().hex}
        try:
            self._authenticate(request)
            with self.lock:
                self.limits.hit(self.token)
            headers.update(self.limits.headers(self.token))
            body, files = await self._read_body(request)
            with self.lock:
                status, data = self._handle(request, body, files)
        except ApiError as e:
            if e.status != 401:
                headers.update(self.limits.headers(self.token))
            headers.update(e.headers)
            return json_response(e.body, e.status, headers)
        if isinstance(data, Asset):
            disposition = "attachment" if request.url.path.endswith("/dl") else "inline"
            headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(data.filename)}"
            return Response(data.content, 200, headers, media_type=data.mime or "application/octet-stream")
        if data is None:
            return Response(b"", status, headers)
        return json_response(data, status, headers)

    def _authenticate(self, request: Request) -> None:
        h = request.headers
        if "authorization" not in h or "accept" not in h or "x-tallyfy-client" not in h:
            raise ApiError(401, {"error": True, "message": "missing required headers"})
        if self.revoked or h["authorization"] != f"Bearer {self.token}":
            raise ApiError(401, {"error": True, "message": "Unauthenticated."})

    async def _read_body(self, request: Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        if request.method not in WRITE_METHODS:
            return {}, {}
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.form(max_part_size=self.max_upload_bytes + 1024 * 1024)
            body: dict[str, Any] = {}
            files: dict[str, Upload] = {}
            for key, val in form.multi_items():
                if isinstance(val, UploadFile):
                    files[key] = Upload(val.filename or "", await val.read(), val.content_type or "")
                else:
                    body[key] = val
            return body, files
        raw = await request.body()
        if not raw:
            return {}, {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise legacy(400, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise legacy(400, "The request body must be a JSON object.")
        return data, {}

    def _handle(self, request: Request, body: dict[str, Any], files: dict[str, Upload]) -> tuple[int, Any]:
        path = request.url.path
        if path.startswith("/api/"):
            path = path[4:]
        st = self.state
        owner = st.users[st.owner_id]
        if path.rstrip("/") == "/me" and request.method == "GET":
            return 200, {"data": v.user(owner)}
        if path.rstrip("/") == "/me/organizations" and request.method == "GET":
            return 200, {"data": [self._org()]}
        m = ORG_PATH.match(path)
        if m is None:
            raise endpoint_not_found()
        if m["org"] != st.org_id:
            raise legacy(403, "You don't have access to this organization.")
        rest = m["rest"] or "/"
        if rest.rstrip("/") == "" and request.method == "GET":
            return 200, {"data": self._org()}
        if rest.rstrip("/") == "/me" and request.method == "GET":
            return 200, {"data": v.user(owner)}
        for method, pattern, rx, handler in ROUTES:
            if method != request.method:
                continue
            hit = rx.match(rest)
            if hit:
                # The kit's request statistics key on scope["route"].path: name the real route.
                request.scope["route"] = _NamedRoute("/organizations/{org}" + pattern)
                call = Call(
                    st,
                    self.limits,
                    request.method,
                    str(request.url).split("?")[0],
                    dict(request.query_params),
                    body,
                    hit.groupdict(),
                    files,
                    self.max_upload_bytes,
                )
                return handler(call)
        raise endpoint_not_found()

    def _org(self) -> dict[str, Any]:
        return {
            "id": self.state.org_id,
            "name": self.state.org_name,
            "slug": "northwind-operations",
            "timezone": "UTC",
            "users_count": sum(u.status != "deactivated" for u in self.state.users.values()),
        }
