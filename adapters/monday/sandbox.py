"""A faithful fake of monday.com's GraphQL API (`POST /v2`), served on loopback.

- Auth: `Authorization: <token>` (the raw personal token, as monday.com documents it; a
  `Bearer ` prefix is accepted too). A wrong token answers 401.
- `API-Version: YYYY-MM` (months 01/04/07/10): a malformed one is `InvalidVersionException`;
  none means the current version. Every answer carries `API-Version`.
- Queries run against monday.com's own SDL (sandbox_graphql): a document that does not
  validate answers HTTP 200 with `errors[]`, as do application errors (a dead cursor, a limit
  over 500), with partial `data`.
- Limits, each with the vendor's status, headers and bodies: the per-query complexity cap
  (5,000,000: `ComplexityException`), the complexity budget per minute (10,000,000 for a
  personal token; 1,000,000 on trial and free plans) in both shapes the versions use
  (before 2025-01 the legacy top-level `error_code: ComplexityException` body; from 2025-01
  `errors[].extensions.code: COMPLEXITY_BUDGET_EXHAUSTED` with `retry_in_seconds`), the
  minute limit by plan (Pro: 2,500 requests), the daily limit by plan (Pro: 10,000 calls until
  midnight UTC: `DAILY_LIMIT_EXCEEDED`), concurrency (Pro: 100), each 429 with
  `Retry-After`, and the `RateLimit-Policy` / `RateLimit` headers on every answer. Windows
  are scaled by `window_scale` (the CLI's --rate-scale).
- The item create/update budget: "19,000 items per account per hour" (every plan; a sliding
  hour, scaled like the minute): a request that would create or change more items than the
  hour has left is refused whole, HTTP 429 with `ACCOUNT_CAPACITY_EXCEEDED` (the code monday.com
  gives a bulk import refused for that budget), `retry_in_seconds` and `Retry-After`, as every
  rate-limit error is; `POST /_sandbox/budget {"items_status": 200}` answers it with HTTP 200
  and `errors[]` instead (application-level errors are 200s, reference M4: a client takes both).
- Creating a subitem moves its parent's `updated_at` when asked (`POST /_sandbox/options
  {"subitem_bumps_parent": true}`; the docs say neither way), with no line in the parent's
  activity log.
- Files: `public_url` is a signed URL on this server, valid for an hour; a file made bad
  (`POST /_sandbox/corrupt {"mode": "bad_file"}`) always fails to download.
- Webhooks (sandbox_webhooks): `create_webhook` sends the challenge first; every change to an
  item, made through the API or `/_sandbox/mutate`, is delivered to the board's webhooks that
  want it, with the JWT signed by the app's signing secret.
- `/_sandbox/export` lists the state with the `manifest` every sandbox gives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import threading
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import quote

from graphql import GraphQLError, execute_sync
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters import graphqlkit
from adapters.monday import sandbox_graphql as gql
from adapters.monday import sandbox_mutations as mut
from adapters.monday.documents import API_VERSION, VERSION_RE
from adapters.monday.sandbox_state import SCALES, Item, MondayState, Update, asset_bytes, build_state
from adapters.monday.sandbox_webhooks import Deliveries
from adapters.sandboxkit import Faults, Manifest, Sandbox
from wizard.secrets import SANDBOX_CREDENTIALS

QUERY_CAP = 5_000_000
BUDGETS = {"pro": 10_000_000, "enterprise": 10_000_000, "free": 1_000_000, "trial": 1_000_000}
MINUTE_LIMITS = {"enterprise": 5_000, "pro": 2_500, "free": 1_000, "trial": 1_000}
CONCURRENCY = {"enterprise": 250, "pro": 100, "free": 40, "trial": 40}
DAILY_LIMITS = {"enterprise": 25_000, "pro": 10_000, "free": 1_000, "trial": 1_000}  # reset at midnight UTC
ITEMS_PER_HOUR = 19_000  # items created or updated per account per hour, every plan (reference M5)
PUBLIC_URL_TTL_S = 3600
CURSOR_TTL_S = 3600
LEGACY_ERRORS_BEFORE = "2025-01"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )


class MondaySandbox(Sandbox):
    name = "monday"

    def __init__(
        self,
        seed: int = 1,
        scale: str = "small",
        faults: Faults | None = None,
        rate_limits: str = "documented",
        window_scale: float = 1.0,
        tier: str = "pro",
        cursor_ttl: float = CURSOR_TTL_S,
    ) -> None:
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}")
        self.scale = scale
        self.deliveries = Deliveries(SANDBOX_CREDENTIALS["monday"]["secret"])
        self.state = build_state(seed, scale)
        self.state.tier = tier
        self.token = SANDBOX_CREDENTIALS["monday"]["token"]
        self.window = 60.0 * window_scale
        self.limits_on = rate_limits != "off"
        self.cursor_ttl = cursor_ttl
        self.cursors: dict[str, gql.Cursor] = {}
        self.window_start: float | None = None  # the budget's minute starts with its first call
        self.window_spent = 0
        self.requests: deque[float] = deque()
        self.day_length = 86_400.0 * window_scale  # a day ends at midnight UTC (at scale 1)
        self.day, self.day_calls = -1, 0
        self.in_flight = 0
        self.hour = 3600.0 * window_scale
        self.items_per_hour = ITEMS_PER_HOUR
        self.items_written: deque[tuple[float, int]] = deque()  # (when, items) over the last hour
        self.items_status = 429  # the item budget's refusal: 429, or 200 with errors[]
        self.items_refused = 0  # requests refused for it
        self.legacy_errors = False  # force the pre-2025-01 complexity error shape whatever the version
        self._secret = hashlib.sha256(f"monday-sandbox-{seed}".encode()).digest()
        self._flight_lock = threading.Lock()
        self.complexity_log: list[int] = []
        super().__init__(seed=seed, faults=faults)

    @property
    def state(self) -> MondayState:
        return self._state

    @state.setter
    def state(self, state: MondayState) -> None:
        """A state put in (a reset, a saved demo world) sends its events to the webhooks like the first."""
        self._state = state
        state.on_event = lambda event, item, data: self.deliveries.on_event(state, event, item, data)

    # -- plumbing ------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v2", self._api, methods=["POST"]),
            Route("/v2/", self._api, methods=["POST"]),
            Route("/v2/file", self._file_api, methods=["POST"]),
            Route("/files/{asset_id}/{expires}/{sig}/{name:path}", self._file, methods=["GET"]),
            Route("/_sandbox/budget", self._budget, methods=["POST"]),
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/_sandbox/mutate", self._mutate, methods=["POST"]),
            Route("/_sandbox/options", self._options, methods=["POST"]),
        ]

    def reset_state(self, body: dict[str, Any]) -> None:
        self.state = build_state(int(body.get("seed", self.seed)), str(body.get("scale", self.scale)))
        self.cursors.clear()
        self.window_start, self.window_spent = None, 0
        self.items_written.clear()

    @property
    def budget(self) -> int:
        return BUDGETS.get(self.state.tier, 10_000_000)

    def _rate_headers(self, spent: int | None = None, reset: float | None = None) -> dict[str, str]:
        now = time.monotonic()
        tier = self.state.tier
        used = self._spent(now) if spent is None else spent
        minute_left = MINUTE_LIMITS[tier] - len(self.requests)
        t = max(1, math.ceil(reset if reset is not None else self._reset_in(now)))
        return {
            "API-Version": self._version_served,
            "RateLimit-Policy": (
                f'"minuteRate";q={MINUTE_LIMITS[tier]};w=60, "concurrency";q={CONCURRENCY[tier]};'
                f'qu="concurrent-requests", "complexityMinute";q={self.budget};w=60;qu="content-bytes"'
            ),
            "RateLimit": (
                f'"minuteRate";r={max(0, minute_left)}, "concurrency";r={CONCURRENCY[tier] - self.in_flight}, '
                f'"complexityMinute";r={max(0, self.budget - used)};t={t}'
            ),
        }

    _version_served = API_VERSION

    def _spent(self, now: float) -> int:
        if self.window_start is not None and now >= self.window_start + self.window:
            self.window_start, self.window_spent = None, 0
        return self.window_spent

    def _reset_in(self, now: float) -> float:
        """The budget resets a minute after the first call of the window (reference M4)."""
        return (self.window_start + self.window - now) if self.window_start is not None else self.window

    def _charge(self, now: float, cost: int) -> None:
        if self.window_start is None:
            self.window_start = now
        self.window_spent += cost

    def _errors(
        self, message: str, code: str, status: int = 200, headers: dict[str, str] | None = None, **ext: Any
    ) -> Response:
        body = {
            "errors": [{"message": message, "extensions": {"code": code, **ext}}],
            "account_id": self.state.account_id,
        }
        return _json(body, status, {**self._rate_headers(), **(headers or {})})

    def too_many_requests(self, request_scope: Scope) -> Response:
        retry = max(1, round(self.window / 6))
        return self._errors(
            "Rate Limit Exceeded",
            "RATE_LIMIT_EXCEEDED",
            429,
            {"Retry-After": str(retry)},
            retry_in_seconds=retry,
            status_code=429,
        )

    def refused(self, request_scope: Scope, status: int) -> Response:
        if status == 401:
            return _json(
                {
                    "errors": [
                        {"message": "Not Authenticated", "extensions": {"code": "UNAUTHENTICATED", "status_code": 401}}
                    ]
                },
                401,
            )
        return self._errors(
            "User unauthorized to perform action", "UserUnauthorizedException", 403, error_data={}, status_code=403
        )

    def server_error(self, request_scope: Scope) -> Response:
        return _json(
            {"error_message": "Internal server error", "status_code": 500, "account_id": self.state.account_id}, 500
        )

    # -- the API -------------------------------------------------------------------------
    async def _api(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else auth
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            return _unauthenticated()
        version = request.headers.get("api-version", API_VERSION)
        if not (VERSION_RE.match(version) or version == "dev"):
            return self._errors(
                f"The provided API version '{version}' is invalid: use YYYY-MM with a month of 01, 04, 07 or 10",
                "InvalidVersionException",
            )
        raw = await request.body()
        try:
            body = json.loads(raw)
            query = body["query"]
            variables = body.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _json(
                {"error_message": "JsonParseException: the body is not a GraphQL request", "status_code": 400}, 400
            )
        return await self._serve(request, query, variables, body.get("operationName"), version)

    async def _file_api(self, request: Request) -> Response:
        """`POST /v2/file`: a multipart form with `query` (the mutation), `variables` (JSON,
        optional) and the file part `variables[file]` (reference M5)."""
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else auth
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            return _unauthenticated()
        version = request.headers.get("api-version", API_VERSION)
        try:
            form = await request.form()
            query = form.get("query")
            variables = json.loads(str(form.get("variables") or "{}"))
            part = form.get("variables[file]")
            if not isinstance(query, str) or not isinstance(variables, dict) or part is None or isinstance(part, str):
                raise TypeError
            upload = (str(part.filename or "file"), await part.read())
        except (ValueError, KeyError, TypeError, AssertionError):
            return _json(
                {
                    "error_message": "JsonParseException: the body is not a multipart GraphQL request",
                    "status_code": 400,
                },
                400,
            )
        variables["file"] = upload[0]
        return await self._serve(request, query, variables, None, version, upload)

    async def _serve(
        self,
        request: Request,
        query: str,
        variables: dict[str, Any],
        op_name: str | None,
        version: str,
        upload: tuple[str, bytes] | None = None,
    ) -> Response:
        with self._flight_lock:
            if self.limits_on and self.in_flight >= CONCURRENCY[self.state.tier]:
                return self._errors(
                    "Concurrency limit exceeded",
                    "maxConcurrencyExceeded",
                    429,
                    {"Retry-After": "1"},
                    retry_in_seconds=1,
                )
            self.in_flight += 1
        try:
            with self.lock:
                return self._run(
                    query, variables, op_name, version, str(request.base_url).rstrip("/"), request.scope, upload
                )
        finally:
            with self._flight_lock:
                self.in_flight -= 1

    def _run(
        self,
        query: str,
        variables: dict[str, Any],
        op_name: str | None,
        version: str,
        origin: str,
        scope: Scope | None = None,
        upload: tuple[str, bytes] | None = None,
    ) -> Response:
        now = time.monotonic()
        self._version_served = version if VERSION_RE.match(version) else API_VERSION
        while self.requests and self.requests[0] <= now - self.window:
            self.requests.popleft()
        if self.limits_on and len(self.requests) >= MINUTE_LIMITS[self.state.tier]:
            wait = max(1, math.ceil(self.requests[0] + self.window - now))
            return self._errors(
                "Minute limit rate exceeded",
                "RATE_LIMIT_EXCEEDED",
                429,
                {"Retry-After": str(wait)},
                retry_in_seconds=wait,
                status_code=429,
            )
        self.requests.append(now)
        wall = time.time()
        if int(wall // self.day_length) != self.day:
            self.day, self.day_calls = int(wall // self.day_length), 0
        if self.limits_on and self.day_calls >= DAILY_LIMITS.get(self.state.tier, 10_000):
            wait = max(1, math.ceil(self.day_length - wall % self.day_length))
            return self._errors(
                "Daily limit exceeded",
                "DAILY_LIMIT_EXCEEDED",
                429,
                {"Retry-After": str(wait)},
                retry_in_seconds=wait,
                status_code=429,
            )
        self.day_calls += 1
        doc, problems = graphqlkit.problems(gql.schema(), query)
        if doc is None:
            return self._errors(f"Parse error on {problems[0].message}", "GRAPHQL_PARSE_FAILED")
        writes = mut.is_mutation(doc, op_name)
        if scope is not None:  # a query changes nothing: counted as a read of the endpoint
            scope["stats_route"] = f"POST {scope['path']} mutation" if writes else f"GET {scope['path']} query"
        if problems:
            body = {
                "errors": [
                    {
                        "message": p.message,
                        "locations": [{"line": loc.line, "column": loc.column} for loc in p.locations or []],
                        "extensions": {
                            "code": "undefinedField"
                            if "Cannot query field" in p.message
                            else "GRAPHQL_VALIDATION_FAILED"
                        },
                    }
                    for p in problems
                ],
                "account_id": self.state.account_id,
            }
            return _json(body, 200, self._rate_headers())
        cost = gql.complexity(doc, variables, op_name) + mut.mutation_cost(doc, op_name)
        self.complexity_log.append(cost)
        if cost > QUERY_CAP:
            return self._errors(
                f"Query has complexity of {cost}, which exceeds max complexity of {QUERY_CAP}",
                "ComplexityException",
                complexity=cost,
                max_complexity=QUERY_CAP,
            )
        spent = self._spent(now)
        reset = self._reset_in(now)
        if self.limits_on and spent + cost > self.budget:
            return self._exhausted(cost, self.budget - spent, reset, version)
        items = mut.item_writes(doc, op_name) if writes else 0
        if self.limits_on and items and (refused := self._over_item_budget(now, items)) is not None:
            return refused
        self._charge(now, cost)
        if items:
            self.items_written.append((now, items))
        ctx = gql.Ctx(
            self.state,
            origin,
            self.cursors,
            self.cursor_ttl,
            self._sign,
            {
                "before": self.budget - spent,
                "after": self.budget - spent - cost,
                "query": cost,
                "reset_in_x_seconds": max(1, math.ceil(self._reset_in(now))),
            },
        )
        root = mut.MutationRoot(ctx, upload) if writes else mut.TargetRoot(ctx)
        result = execute_sync(gql.schema(), doc, root, variable_values=variables, operation_name=op_name)
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [_error(e) for e in result.errors]
        out["account_id"] = self.state.account_id
        out["extensions"] = {"request_id": str(uuid.uuid4())}
        return _json(out, 200, self._rate_headers())

    def _items_in_hour(self, now: float) -> int:
        while self.items_written and self.items_written[0][0] <= now - self.hour:
            self.items_written.popleft()
        return sum(n for _, n in self.items_written)

    def _over_item_budget(self, now: float, items: int) -> Response | None:
        """The account's hourly item create/update budget, when these items would exceed it."""
        left = self.items_per_hour - self._items_in_hour(now)
        if items <= left:
            return None
        freed, retry_at = 0, now + self.hour
        for when, n in self.items_written:  # the hour frees what it spent, oldest first
            freed += n
            if left + freed >= items:
                retry_at = when + self.hour
                break
        retry = max(1, math.ceil(retry_at - now))
        status = self.items_status
        self.items_refused += 1
        return self._errors(
            f"Account capacity exceeded: {self.items_per_hour:,} items per account per hour created or updated; "
            f"{max(0, left):,} left, {items:,} asked",
            "ACCOUNT_CAPACITY_EXCEEDED",
            status,
            {"Retry-After": str(retry)},
            retry_in_seconds=retry,
            status_code=429,
        )

    def _exhausted(self, cost: int, left: int, reset: float, version: str) -> Response:
        retry = max(1, math.ceil(reset))
        headers = {**self._rate_headers(reset=reset), "Retry-After": str(retry)}
        if self.legacy_errors or version < LEGACY_ERRORS_BEFORE:
            msg = (
                f"Complexity budget exhausted, query cost {cost} budget remaining {max(0, left)} out of "
                f"{self.budget} reset in {retry} seconds"
            )
            body = {
                "error_code": "ComplexityException",
                "status_code": 429,
                "error_message": msg,
                "error_data": {},
                "errors": [msg],
                "account_id": self.state.account_id,
            }
            return _json(body, 429, headers)
        return _json(
            {
                "errors": [
                    {
                        "message": "Complexity budget exhausted",
                        "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": retry},
                    }
                ],
                "account_id": self.state.account_id,
            },
            429,
            headers,
        )

    # -- files ---------------------------------------------------------------------------
    def _sign(self, asset_id: str) -> str:
        a = self.state.assets[asset_id]
        expires = int(time.time() + PUBLIC_URL_TTL_S)
        sig = hmac.new(self._secret, f"{asset_id}:{expires}".encode(), "sha256").hexdigest()[:32]
        return f"/files/{asset_id}/{expires}/{sig}/{_quote(a.name)}"

    async def _file(self, request: Request) -> Response:
        p = request.path_params
        asset = self.state.assets.get(p["asset_id"])
        expected = hmac.new(self._secret, f"{p['asset_id']}:{p['expires']}".encode(), "sha256").hexdigest()[:32]
        if asset is None or not hmac.compare_digest(expected, p["sig"]):
            return Response("<Error><Code>AccessDenied</Code></Error>", 403, media_type="application/xml")
        if int(p["expires"]) < time.time():
            return Response(
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                403,
                media_type="application/xml",
            )
        if asset.broken:
            return Response("<Error><Code>InternalError</Code></Error>", 500, media_type="application/xml")
        return StreamingResponse(
            asset_bytes(self.state.seed, asset.id, asset.file_size),
            media_type="application/octet-stream",
            headers={"Content-Length": str(asset.file_size)},
        )

    async def _corrupt(self, request: Request) -> Response:
        """Make one live item malformed: it names a group its board does not have (what a
        half-finished move leaves); or, with `{"mode": "bad_file"}`, make a file (the one named
        by `attachment_id`, else the first) fail every download; or, with `{"mode": "unlisted"}`,
        leave a live item out of the board's listing (monday.com still counts it). Answers the
        manifest ref."""
        body = await request.json() if await request.body() else {}
        with self.lock:
            st = self.state
            if body.get("mode") == "unlisted":  # a live item the board's listing leaves out (still counted)
                live = next(
                    i
                    for b in st.boards.values()
                    if b.type == "board" and b.state == "active"
                    for i in (st.items[x] for x in b.item_ids)
                    if not st.item_archived(i) and i.id not in st.unlisted
                )
                st.unlisted.add(live.id)
                return _json({"ref": f"monday:item:{live.id}"})
            if body.get("mode") == "bad_file":
                asset = st.assets.get(str(body.get("attachment_id"))) or next(iter(st.assets.values()))
                asset.broken = True
                return _json({"ref": f"monday:attachment:{asset.id}", "attachment_id": asset.id})
            item = next(
                i
                for b in st.boards.values()
                if b.type == "board" and b.state == "active"
                for i in (st.items[x] for x in b.item_ids)
                if not st.item_archived(i) and i.update_ids and i.subitem_ids
            )
            item.group_id = f"gone_{item.id}"
        return _json({"ref": f"monday:item:{item.id}"})

    async def _mutate(self, request: Request) -> Response:
        """Someone edits the account, and each edit is written to the board's activity log as
        monday.com does. `{"item_id": id, ...}` edits one item: `"name"` renames it
        (update_name), `"column_id"` with `"value"` sets a column's stored JSON
        (update_column_value), `"group_id"` moves it (move_pulse_into_group), `"state":
        "archived" | "deleted" | "active"` archives, deletes or restores it, `"update"` adds an
        update (kept in its updates, not in the log). `{"fraction": f, "seed": n}` renames that
        share of the live items; answers their refs as `changed`."""
        body = await request.json()
        with self.lock:
            st = self.state
            if "fraction" in body:
                rng = random.Random(int(body.get("seed", 0)))
                live = [
                    i
                    for b in st.boards.values()
                    if b.type == "board"
                    for i in (st.items[x] for x in b.item_ids)
                    if not st.item_archived(i)
                ]
                picked = rng.sample(live, max(1, round(len(live) * float(body["fraction"])))) if live else []
                for one in picked:
                    self._edit(one, {"name": f"{one.name} (edited)"})
                return _json({"changed": sorted(f"monday:item:{i.id}" for i in picked)})
            item = st.items.get(str(body.get("item_id")))
            if item is None:
                return _json({"error": "no such item"}, 404)
            now = self._edit(item, body)
        return _json({"ok": True, "updated_at": now})

    def _edit(self, item: Item, body: dict[str, Any]) -> str:
        st = self.state
        now = gql.now_iso()
        if "name" in body:
            old_name, item.name = item.name, str(body["name"])
            st.log_item(item, "update_name", value={"name": item.name}, previous_value={"name": old_name})
        if "column_id" in body:
            col = str(body["column_id"])
            kind = next((c.type for c in st.boards[item.board_id].columns if c.id == col), "text")
            previous = item.values.get(col)
            item.values[col] = body.get("value")
            st.log_item(
                item,
                "update_column_value",
                column_id=col,
                column_type="color" if kind == "status" else kind,  # the log's old name for status
                value=body.get("value"),
                previous_value=previous,
                is_undo_action=None,
            )
        if "group_id" in body:
            old_group, item.group_id = item.group_id, str(body["group_id"])
            st.log_item(item, "move_pulse_into_group", source_group_id=old_group, dest_group_id=item.group_id)
        if body.get("state") in ("archived", "deleted", "active") and body["state"] != item.state:
            event = {"archived": "archive_pulse", "deleted": "delete_pulse", "active": "restore_pulse"}
            item.state = str(body["state"])
            st.log_item(item, event[item.state])
        if "update" in body:
            text = str(body["update"])
            st.post_update(Update(st.new_id(), item.id, f"<p>{text}</p>", text, st.me_id, now))
        item.updated_at = now
        return now

    async def _options(self, request: Request) -> Response:
        """Test hook: behaviour the vendor's docs leave open. `{"subitem_bumps_parent": true}`:
        creating a subitem moves its parent's updated_at, as monday.com may."""
        body = await request.json()
        with self.lock:
            if "subitem_bumps_parent" in body:
                self.state.subitem_bumps_parent = bool(body["subitem_bumps_parent"])
        return _json({"ok": True})

    async def _budget(self, request: Request) -> Response:
        """Test hook: spend complexity as if other clients of the account had (`{"spend": n}`,
        or `{"leave": n}` points in this minute),
        or switch the error shape (`{"legacy_errors": true}`) or the plan (`{"tier": "free"}`), or
        set the calls made today (`{"day_calls": n}`) or the items created or updated this hour
        (`{"items_written": n}`), or answer the item budget's refusal with HTTP 200
        (`{"items_status": 200}`), or lower that budget (`{"items_per_hour": n}`)."""
        body = await request.json()
        with self.lock:
            if "spend" in body:
                now = time.monotonic()
                self._spent(now)
                self._charge(now, int(body["spend"]))
            if "leave" in body:  # the budget left in this minute, whatever was spent
                now = time.monotonic()
                self._spent(now)
                self._charge(now, 0)
                self.window_spent = self.budget - int(body["leave"])
            if "legacy_errors" in body:
                self.legacy_errors = bool(body["legacy_errors"])
            if "items_written" in body:  # items the account created or updated this hour, whoever did
                self.items_written.clear()
                self.items_written.append((time.monotonic(), int(body["items_written"])))
            if "items_status" in body:
                self.items_status = int(body["items_status"])
            if "items_per_hour" in body:  # a lower budget, so a test fills an hour quickly
                self.items_per_hour = int(body["items_per_hour"])
            if "tier" in body:
                self.state.tier = str(body["tier"])
            if "day_calls" in body:  # calls the account made today, whoever made them
                self.day, self.day_calls = int(time.time() // self.day_length), int(body["day_calls"])
            if "expire_cursors" in body:
                for c in self.cursors.values():
                    c.created -= self.cursor_ttl + 1
        return _json({"ok": True})

    # -- export --------------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        st = self.state
        boards = [
            {
                "id": b.id,
                "name": b.name,
                "state": b.state,
                "board_kind": b.board_kind,
                "items": len(b.item_ids),
                "groups": [{"id": g.id, "title": g.title, "archived": g.archived} for g in b.groups],
            }
            for b in st.boards.values()
            if b.type == "board" and not (b.id in st.made and b.state == "deleted")
        ]
        return {
            "account_id": st.account_id,
            "boards": boards,
            "broken_files": sorted(a.id for a in st.assets.values() if a.broken),
            "items_refused": self.items_refused,  # requests refused for the hourly item budget
            "made": mut.target_export(st),
        }

    def manifest(self) -> Manifest:
        """Every object the account holds, from the state: archived where the item, its group
        or its board is archived or deleted (a subitem goes with its parent)."""
        st = self.state
        m = Manifest("monday")
        for b in st.boards.values():
            if b.type != "board":
                continue
            gone = b.state != "active"
            m.add("container", "board", b.id, archived=gone)
            for g in b.groups:
                m.add("stage", "group", f"{b.id}/{g.id}", archived=gone or bool(g.archived or g.deleted))
            for iid in b.item_ids:
                it = st.items[iid]
                hidden = st.item_archived(it)
                m.add("item", "item", it.id, archived=hidden)
                for col in it.values:
                    if col != "files":
                        m.add("field_value", "value", f"{it.id}/{col}", archived=hidden)
                for sid in it.subitem_ids:
                    sub = st.items[sid]
                    sub_hidden = st.item_archived(sub)
                    m.add("subitem", "subitem", sid, archived=sub_hidden)
                    for u in sub.update_ids:
                        _add_update(m, st.updates[u], sub_hidden)
                for u in it.update_ids:
                    _add_update(m, st.updates[u], hidden)
                for a in it.asset_ids:
                    m.add("attachment", "attachment", a, archived=hidden)
        return m


def _add_update(m: Manifest, up: Any, hidden: bool) -> None:
    m.add("comment", "comment", up.id, archived=hidden)
    for a in up.asset_ids:
        m.add("attachment", "attachment", a, archived=hidden)
    for r in up.replies:
        m.add("comment", "comment", r.id, archived=hidden)
        for a in r.asset_ids:
            m.add("attachment", "attachment", a, archived=hidden)


def _unauthenticated() -> Response:
    return _json({"errors": [{"message": "Not Authenticated", "extensions": {"code": "UNAUTHENTICATED"}}]}, 401)


def _error(e: GraphQLError) -> dict[str, Any]:
    out = e.formatted
    ext = dict(out.get("extensions") or {})
    ext.setdefault("code", "INTERNAL_SERVER_ERROR")
    out["extensions"] = ext
    return dict(out)


def _quote(name: str) -> str:
    return quote(name, safe="")
