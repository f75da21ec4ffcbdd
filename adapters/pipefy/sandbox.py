"""A faithful fake of Pipefy's GraphQL API (`POST /graphql`), served on loopback.

- Auth: `Authorization: Bearer <token>`; the Bearer prefix is mandatory (reference §P1). A
  wrong or bare token answers 401.
- Queries run against our SDL of Pipefy's API (schema/pipefy.graphql, the one the client's
  documents are validated against): a document that does not validate, or an application
  error (a card that does not exist, a page size over 50, a bad cursor), answers HTTP 200 with
  `errors[]` and partial `data`, as GraphQL servers do.
- Limits (reference §P4): a query's complexity is capped at 50,000 and its depth at 15, each
  refused before it runs; requests at 500 per 30 s (a community figure, not documented: the
  429 then carries no Retry-After, since nothing says Pipefy sends one). Windows are scaled by
  `window_scale` (the CLI's --rate-scale).
- Files: a card's attachment `url` is presigned on this server (`expires_on` and a signature,
  as Pipefy's storage URLs carry) and expires after `url_ttl` seconds; an expired or forged
  one answers 403. A file made bad (`POST /_sandbox/corrupt {"mode": "bad_file"}`) always
  fails to download.
- Webhooks (sandbox_webhooks): `createWebhook` and `deleteWebhook`, and each change made
  through `/_sandbox/mutate` POSTed to the pipe's webhooks that send its action, with their
  headers and no signature, as Pipefy sends them.
- `/_sandbox/export` lists the state with the `manifest` every sandbox gives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import deque
from typing import Any
from urllib.parse import quote

from graphql import GraphQLError, execute_sync
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters import graphqlkit
from adapters.pipefy import sandbox_graphql as gql
from adapters.pipefy import sandbox_webhooks
from adapters.pipefy.sandbox_state import SCALES, Comment, PipefyState, build_state, file_bytes, file_key, iso
from adapters.pipefy.spec import SANDBOX_CREDENTIALS
from adapters.sandboxkit import Faults, Manifest, Sandbox

COMPLEXITY_CAP = 50_000
DEPTH_CAP = 15
WINDOW_S = 30.0
WINDOW_REQUESTS = 500
URL_TTL_S = 1800.0


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )


def _errors(message: str, code: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return _json({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}, status, headers)


class PipefySandbox(Sandbox):
    name = "pipefy"

    def __init__(
        self,
        seed: int = 1,
        scale: str = "small",
        faults: Faults | None = None,
        rate_limits: str = "documented",
        window_scale: float = 1.0,
        url_ttl: float = URL_TTL_S,
    ) -> None:
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}")
        self.scale = scale
        self.state: PipefyState = build_state(seed, scale)
        self.token = SANDBOX_CREDENTIALS["token"]
        self.window = WINDOW_S * window_scale
        self.window_requests = WINDOW_REQUESTS
        self.limits_on = rate_limits != "off"
        self.url_ttl = url_ttl
        self.requests: deque[float] = deque()
        self.complexity_log: list[int] = []
        self._secret = hashlib.sha256(f"pipefy-sandbox-{seed}".encode()).digest()
        self.deliveries = sandbox_webhooks.Deliveries()
        super().__init__(seed=seed, faults=faults)

    # -- plumbing ------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/graphql", self._api, methods=["POST"]),
            Route("/graphql/", self._api, methods=["POST"]),
            Route("/queries", self._api, methods=["POST"]),  # the legacy path old clients still use
            Route("/storage/v1/signed/{path:path}", self._file, methods=["GET"]),
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/_sandbox/mutate", self._mutate, methods=["POST"]),
            Route("/_sandbox/limits", self._limits, methods=["POST"]),
        ]

    def reset_state(self, body: dict[str, Any]) -> None:
        self.state = build_state(int(body.get("seed", self.seed)), str(body.get("scale", self.scale)))

    def too_many_requests(self, request_scope: Scope) -> Response:
        return _errors("Too many requests, please try again later.", "TOO_MANY_REQUESTS", 429)

    def refused(self, request_scope: Scope, status: int) -> Response:
        if status == 401:
            return _unauthenticated()
        return _errors("Permission denied", "PERMISSION_DENIED", 403)

    def server_error(self, request_scope: Scope) -> Response:
        return _errors("Internal server error", "INTERNAL_SERVER_ERROR", 503)

    # -- the API -------------------------------------------------------------------------
    async def _api(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not hmac.compare_digest(auth[7:].encode(), self.token.encode()):
            return _unauthenticated()
        try:
            body = json.loads(await request.body())
            query = body["query"]
            variables = body.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _errors("The body is not a GraphQL request", "BAD_REQUEST", 400)
        with self.lock:
            return self._run(query, variables, body.get("operationName"), str(request.base_url).rstrip("/"))

    def _run(self, query: str, variables: dict[str, Any], op_name: str | None, origin: str) -> Response:
        now = time.monotonic()
        while self.requests and self.requests[0] <= now - self.window:
            self.requests.popleft()
        if self.limits_on and len(self.requests) >= self.window_requests:
            return self.too_many_requests({})
        self.requests.append(now)
        doc, problems = graphqlkit.problems(gql.schema(), query, max_depth=DEPTH_CAP, operation_name=op_name)
        if doc is None or problems:
            return _json({"data": None, "errors": [_error(p) for p in problems]})
        cost = gql.complexity(doc, variables, op_name)
        self.complexity_log.append(cost)
        if cost > COMPLEXITY_CAP:
            return _errors(
                f"Query has complexity of {cost}, which exceeds max complexity of {COMPLEXITY_CAP}",
                "COMPLEXITY_LIMIT_EXCEEDED",
            )
        ctx = gql.Ctx(self.state, origin, self._sign)
        result = execute_sync(gql.schema(), doc, gql.Root(ctx), variable_values=variables, operation_name=op_name)
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [_error(e) for e in result.errors]
        return _json(out)

    # -- files ---------------------------------------------------------------------------
    def _signature(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"{path}:{expires}".encode(), "sha256").hexdigest()[:32]

    def _sign(self, path: str) -> str:
        expires = int(time.time() + self.url_ttl)
        return f"/storage/v1/signed/{quote(path)}?expires_on={expires}&signature={self._signature(path, expires)}"

    async def _file(self, request: Request) -> Response:
        path = request.path_params["path"]
        f = self.state.files.get(path)
        try:
            expires = int(request.query_params.get("expires_on", ""))
        except ValueError:
            expires = 0
        sig = request.query_params.get("signature", "")
        if f is None or not hmac.compare_digest(self._signature(path, expires), sig):
            return Response("<Error><Code>AccessDenied</Code></Error>", 403, media_type="application/xml")
        if expires < time.time():
            return Response(
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                403,
                media_type="application/xml",
            )
        if f.broken:
            return Response("<Error><Code>InternalError</Code></Error>", 500, media_type="application/xml")
        return StreamingResponse(
            file_bytes(self.state.seed, f.path, f.size),
            media_type="application/octet-stream",
            headers={"Content-Length": str(f.size)},
        )

    # -- test hooks ----------------------------------------------------------------------
    async def _corrupt(self, request: Request) -> Response:
        """Make one live card malformed: it stands in a phase its pipe does not have (what a
        half-finished move leaves); or, with `{"mode": "bad_file"}`, make a file (the one
        whose path is `path`, else the first) fail every download. Answers the manifest ref."""
        body = await request.json() if await request.body() else {}
        with self.lock:
            st = self.state
            if body.get("mode") == "bad_file":
                f = st.files.get(str(body.get("path"))) or next(iter(st.files.values()))
                f.broken = True
                return _json({"ref": f"pipefy:attachment:{file_key(f.card_id, f.path)}", "path": f.path})
            card = next(
                c
                for p in st.pipes.values()
                for c in st.live_cards(p)
                if c.comment_ids and c.file_paths and st.phase_of(c) is not None
            )
            card.phase_id = f"gone-{card.id}"
        return _json({"ref": f"pipefy:card:{card.id}"})

    async def _mutate(self, request: Request) -> Response:
        """Someone edits the account, and each action goes to the pipe's webhooks that send it:
        `{"card_id": id, "title": text}` renames a card (and moves its updated_at), `{"card_id":
        id, "comment": text}` adds a comment to it, `{"card_id": id, "values": {field id:
        string}}` fills in its fields (as Pipefy stores them), `{"card_id": id, "phase_id": id}`
        moves it to another phase of its pipe."""
        body = await request.json()
        with self.lock:
            st = self.state
            card = st.cards.get(str(body.get("card_id")))
            if card is None or card.deleted:
                return _json({"error": "no such card"}, 404)
            pipe = st.pipes[card.pipe_id]
            phase = next((p for p in pipe.phases if p.id == str(body.get("phase_id"))), None)
            if "phase_id" in body and phase is None:
                return _json({"error": "no such phase in the card's pipe"}, 404)
            now, me = iso(time.time()), sandbox_webhooks.user(st, st.me_id)
            if "title" in body:
                card.title = str(body["title"])
                title = {"id": "title", "label": "Title", "internal_id": None}
                self.deliveries.action(st, "card.field_update", card, field=title, new_value=card.title, updated_by=me)
            fields = {f.id: f for f in pipe.fields()}
            for fid, value in (body.get("values") or {}).items():
                card.values[str(fid)] = str(value)
                f = fields.get(str(fid))
                named = {"id": str(fid), "label": f.label if f else "", "internal_id": f.internal_id if f else None}
                self.deliveries.action(st, "card.field_update", card, field=named, new_value=str(value), updated_by=me)
            if "comment" in body:
                c = Comment(st.new_id(), card.id, str(body["comment"]), st.me_id, now)
                st.comments[c.id] = c
                card.comment_ids.append(c.id)
                said = {"id": sandbox_webhooks.number(c.id), "text": c.text}
                self.deliveries.action(st, "card.comment_create", card, comment=said, mentioned_users=[], made_by=me)
            if phase is not None and phase.id != card.phase_id:
                before = st.phase_of(card)
                card.history = [(p, t_in, t_out or now) for p, t_in, t_out in card.history] + [(phase.id, now, None)]
                card.phase_id = phase.id
                moved = {"from": {"id": sandbox_webhooks.number(before.id), "name": before.name} if before else None}
                moved["to"] = {"id": sandbox_webhooks.number(phase.id), "name": phase.name}
                self.deliveries.action(st, "card.move", card, **moved, moved_by=me)
                if phase.done:
                    card.finished_at = now
                    self.deliveries.action(st, "card.done", card, done_by=me)
            card.updated_at = now
        return _json({"ok": True, "updated_at": now})

    async def _limits(self, request: Request) -> Response:
        """Test hook: `{"url_ttl": s}` how long a presigned URL lives, `{"window_requests": n}`
        the requests a window allows (Pipefy's real figure is not published)."""
        body = await request.json()
        with self.lock:
            if "url_ttl" in body:
                self.url_ttl = float(body["url_ttl"])
            if "window_requests" in body:
                self.window_requests = int(body["window_requests"])
                self.requests.clear()
        return _json({"ok": True})

    # -- export --------------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        st = self.state
        pipes = [
            {
                "id": p.id,
                "name": p.name,
                "cards_count": len(st.live_cards(p)),
                "start_fields": {f.id: f.type for f in p.start_fields},
                "phases": [
                    {
                        "id": ph.id,
                        "name": ph.name,
                        "done": ph.done,
                        "cards_count": _in(st, p.id, ph.id),
                        "fields": {f.id: f.type for f in ph.fields},
                    }
                    for ph in p.phases
                ],
                "cards": [{"id": c.id, "phase_id": c.phase_id, "values": dict(c.values)} for c in st.live_cards(p)],
            }
            for p in st.pipes.values()
        ]
        return {
            "organization_id": st.org_id,
            "pipes": pipes,
            "broken_files": sorted(f.path for f in st.files.values() if f.broken),
        }

    def manifest(self) -> Manifest:
        """Every object the organization holds, from the state: deleted cards are nowhere
        (Pipefy lists and counts them nowhere), so nothing of theirs is listed."""
        st = self.state
        m = Manifest("pipefy")
        for p in st.pipes.values():
            m.add("container", "pipe", p.id)
            for ph in p.phases:
                m.add("stage", "phase", ph.id)
            for card in st.live_cards(p):
                m.add("item", "card", card.id)
                for c in card.comment_ids:
                    m.add("comment", "comment", c)
                for path in card.file_paths:
                    m.add("attachment", "attachment", file_key(card.id, path))
        return m


def _in(st: PipefyState, pipe_id: str, phase_id: str) -> int:
    return sum(1 for c in st.live_cards(st.pipes[pipe_id]) if c.phase_id == phase_id)


def _unauthenticated() -> Response:
    return _errors("Unauthorized: the token is missing, invalid or expired", "UNAUTHENTICATED", 401)


def _error(e: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = dict(e.formatted)
    ext: dict[str, Any] = dict(e.extensions or {})
    ext.setdefault("code", "GRAPHQL_VALIDATION_FAILED" if not out.get("path") else "INTERNAL_SERVER_ERROR")
    out["extensions"] = ext
    return out
