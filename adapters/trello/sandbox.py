"""A faithful fake of the Trello REST API under `/1/...`, served on loopback.

Auth by `key`/`token` query parameters or the `Authorization: OAuth ...` header (the
attachment download route takes the header only, as Trello has since 2021, and answers
big files with a 302 to a storage URL signed for one hour), plain-text
error bodies, bare JSON arrays paged by `limit`/`before`/`since`, `/1/batch`, Trello's rate
limits with its x-rate-limit-* headers and no Retry-After, and `/_sandbox/...` routes to
seed, corrupt and mutate the state. The routes themselves live in `sandbox_api`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.sandboxkit import Faults, Manifest, Sandbox
from adapters.trello import sandbox_api as api
from adapters.trello.sandbox_limits import TrelloRateLimits
from adapters.trello.sandbox_state import SCALES, TrelloState, attachment_chunks, build_state
from adapters.trello.sandbox_webhooks import Deliveries
from adapters.trello.spec import SANDBOX_CREDENTIALS

BATCH_MAX = 10
REDIRECT_ABOVE = 1024 * 1024  # files bigger than this answer 302 to signed storage
SIGNATURE_TTL_S = 3600
_OAUTH_PART = re.compile(r'(\w+)="([^"]*)"')


def _credentials(headers: dict[str, str], query: dict[str, str]) -> tuple[str, str, bool]:
    """(key, token, came_from_header)."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("oauth "):
        parts = dict(_OAUTH_PART.findall(auth))
        return parts.get("oauth_consumer_key", ""), parts.get("oauth_token", ""), True
    return query.get("key", ""), query.get("token", ""), False


async def _callback_answers(url: str) -> bool:
    """Trello sends HEAD to a new webhook's callbackURL and creates it only on a 200."""
    if not url.startswith(("http://", "https://")):
        return True  # the route refuses it in Trello's words
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            return (await client.head(url)).status_code == 200
    except httpx.HTTPError:
        return False


class TrelloSandbox(Sandbox):
    name = "trello"

    def __init__(
        self,
        seed: int = 1,
        scale: str = "small",
        faults: Faults | float | None = None,
        rate_limits: str = "documented",
        window_scale: float = 1.0,
    ) -> None:
        self.scale = scale
        self._state = build_state(seed, scale)
        self.limits = TrelloRateLimits(rate_limits, window_scale)
        self.valid = SANDBOX_CREDENTIALS
        self.not_json_pending = False
        self.bad_files: set[str] = set()  # attachment ids whose downloads always fail (/_sandbox/corrupt)
        self.deliveries = Deliveries(self.valid["secret"])
        self._observe()
        super().__init__(seed=seed, faults=faults)

    @property
    def state(self) -> TrelloState:
        return self._state

    @state.setter
    def state(self, state: TrelloState) -> None:
        """A state put in (a reset, a saved demo world) is watched like the first."""
        self._state = state
        self._observe()

    def _observe(self) -> None:
        """Every action recorded on the state goes to the webhooks watching its board or card."""
        state = self._state
        state.on_action = lambda action: self.deliveries.on_action(state, action, api.render_action)

    # -- plumbing ------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/_sandbox/mutate", self._mutate, methods=["POST"]),
            Route(
                "/1/cards/{idCard}/attachments/{idAttachment}/download/{fileName:path}", self._download, methods=["GET"]
            ),
            Route("/storage/{idAttachment}/{fileName:path}", self._storage, methods=["GET"]),
            Route("/1/{path:path}", self._api, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    @staticmethod
    def _scope_auth(scope: Scope) -> tuple[str, str, bool]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        return _credentials(headers, query)

    def _auth_error(self, key: str, token: str) -> str | None:
        if key != self.valid["key"]:
            return "invalid key"
        if token != self.valid["token"]:
            return "invalid token"
        return None

    def _text(self, status: int, text: str, key: str, token: str) -> Response:
        return PlainTextResponse(text, status_code=status, headers=self.limits.headers(key, token))

    def _json(self, body: Any, key: str, token: str, status: int = 200) -> Response:
        return Response(
            json.dumps(body, separators=(",", ":"), ensure_ascii=False),
            status_code=status,
            media_type="application/json; charset=utf-8",
            headers=self.limits.headers(key, token),
        )

    def _limited(self, error: str, key: str, token: str) -> Response:
        return JSONResponse(
            {"error": error, "message": "Rate limit exceeded"},
            status_code=429,
            headers=self.limits.headers(key, token, exhausted=True),
        )

    def too_many_requests(self, request_scope: Scope) -> Response:
        key, token, _ = self._scope_auth(request_scope)
        return self._limited("API_TOKEN_LIMIT_EXCEEDED", key, token)

    def server_error(self, request_scope: Scope) -> Response:
        key, token, _ = self._scope_auth(request_scope)
        return self._text(503, "Service Unavailable", key, token)

    def refused(self, request_scope: Scope, status: int) -> Response:
        key, token, _ = self._scope_auth(request_scope)
        return self._text(status, "invalid token" if status == 401 else "unauthorized permission requested", key, token)

    def _admit(self, key: str, token: str, path: str, cost: int = 1) -> Response | None:
        with self.lock:
            error = self.limits.admit(
                key, token, cost=cost, members_route=bool(re.fullmatch(r"/members/[^/]+/?", path))
            )
        return self._limited(error, key, token) if error else None

    # -- the API -------------------------------------------------------------------------
    async def _unknown(self, request: Request) -> Response:
        return PlainTextResponse(f"Cannot {request.method} {request.url.path}", status_code=404)

    async def _api(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        query = dict(request.query_params)
        key, token, _ = _credentials({k.lower(): v for k, v in request.headers.items()}, query)
        denied = self._auth_error(key, token)
        if denied:
            return self._text(401, denied, key, token)
        if request.method in ("PUT", "POST"):
            query.update(await self._body_params(request))
        for secret in ("key", "token"):
            query.pop(secret, None)
        if path.rstrip("/") == "/batch" and request.method == "GET":
            return await self._batch(request, query, key, token)
        found = api.resolve(request.method, path)
        if found is None:
            return self._text(404, f"Cannot {request.method} /1{path}", key, token)
        template, handler, params = found
        request.scope["route"] = SimpleNamespace(path="/1" + template)  # for /_sandbox/stats
        limited = self._admit(key, token, path)
        if limited:
            return limited
        if self.not_json_pending and request.method == "GET" and path.startswith("/boards/"):
            self.not_json_pending = False
            return Response(
                '{"id":"' + params.get("id", "") + '","name":"Gro',
                media_type="application/json",
                headers=self.limits.headers(key, token),
            )
        if handler is api.create_webhook and not await _callback_answers(query.get("callbackURL", "")):
            return self._text(400, "URL (callback) did not return 200 status code on HEAD request", key, token)
        base = f"{request.url.scheme}://{request.url.netloc}"
        try:
            with self.lock:
                body = handler(api.Ctx(self.state, params, query, base, token=token))
        except api.TrelloError as e:
            if isinstance(e.body, dict):
                return self._json(e.body, key, token, e.status)
            return self._text(e.status, e.body, key, token)
        return self._json(body, key, token)

    @staticmethod
    async def _body_params(request: Request) -> dict[str, str]:
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            raw = await request.body()
            data = json.loads(raw) if raw else {}
            return {
                k: v
                if isinstance(v, str)
                else json.dumps(v)
                if isinstance(v, (dict, list))
                else str(v).lower()
                if isinstance(v, bool)
                else str(v)
                for k, v in data.items()
            }
        if "form" in ctype:
            form = await request.form()
            return {k: str(v) for k, v in form.items()}
        return {}

    async def _batch(self, request: Request, query: dict[str, str], key: str, token: str) -> Response:
        """GET /1/batch?urls=/a,/b: up to 10 GETs, each counted, answered as [{"200": body}, ...]."""
        request.scope["route"] = SimpleNamespace(path="/1/batch")
        urls = [u for u in (query.get("urls") or "").split(",") if u]
        if not urls:
            return self._text(400, "invalid value for urls", key, token)
        if len(urls) > BATCH_MAX:
            return self._text(400, "Too many API requests in a batch; the limit is 10.", key, token)
        limited = self._admit(key, token, "/batch", cost=len(urls))
        if limited:
            return limited
        base = f"{request.url.scheme}://{request.url.netloc}"
        out: list[dict[str, Any]] = []
        for url in urls:
            parts = urlsplit(unquote(url))
            sub_path = parts.path
            if not sub_path.startswith("/") or sub_path.startswith("/1/"):
                out.append({"400": "invalid url"})
                continue
            found = api.resolve("GET", sub_path)
            if found is None:
                out.append({"404": f"Cannot GET /1{sub_path}"})
                continue
            _, handler, params = found
            try:
                with self.lock:
                    out.append(
                        {"200": handler(api.Ctx(self.state, params, dict(parse_qsl(parts.query)), base, token=token))}
                    )
            except api.TrelloError as e:
                out.append({str(e.status): e.body})
        return self._json(out, key, token)

    async def _download(self, request: Request) -> Response:
        """Attachment bytes, streamed; header auth only (query auth -> 401), Range honoured."""
        query = dict(request.query_params)
        key, token, from_header = _credentials({k.lower(): v for k, v in request.headers.items()}, query)
        if not from_header:
            return self._text(401, "unauthorized permission requested", key, token)
        denied = self._auth_error(key, token)
        if denied:
            return self._text(401, denied, key, token)
        limited = self._admit(key, token, "/cards/download")
        if limited:
            return limited
        card = self.state.cards.get(request.path_params["idCard"])
        att = (
            next((a for a in card.attachments if a["id"] == request.path_params["idAttachment"]), None)
            if card
            else None
        )
        name = request.path_params["fileName"]  # already percent-decoded once by the server
        if att is None or not att["isUpload"] or att["fileName"] not in (name, unquote(name)):
            return self._text(404, api.NOT_FOUND, key, token)
        headers = self.limits.headers(key, token)
        if att["id"] in self.bad_files:
            return self._text(503, "Service Unavailable", key, token)
        if (att["bytes"] or 0) > REDIRECT_ABOVE:  # big files live in storage: Trello answers 302 there
            expires = int(time.time()) + SIGNATURE_TTL_S
            headers["location"] = (
                f"{request.url.scheme}://{request.url.netloc}/storage/{att['id']}/"
                f"{quote(att['fileName'], safe='')}?signature={self._sign(att['id'], expires)}"
            )
            return Response(status_code=302, headers=headers)
        return self._serve_bytes(request, att, headers)

    def _sign(self, attachment_id: str, expires: int) -> str:
        mac = hmac.new(f"trello-sandbox-{self.seed}".encode(), f"{attachment_id}:{expires}".encode(), hashlib.sha256)
        return f"{expires}.{mac.hexdigest()[:32]}"

    async def _storage(self, request: Request) -> Response:
        """The storage host a big download redirects to: no auth, a signature valid one hour."""
        signature = request.query_params.get("signature", "")
        expires, _, _ = signature.partition(".")
        aid = request.path_params["idAttachment"]
        if (
            not expires.isdigit()
            or int(expires) < time.time()
            or not hmac.compare_digest(signature, self._sign(aid, int(expires)))
        ):
            return PlainTextResponse("invalid or expired signature", status_code=401)
        with self.lock:
            att = next((a for card in self.state.cards.values() for a in card.attachments if a["id"] == aid), None)
        if att is None:
            return PlainTextResponse("Not Found", status_code=404)
        return self._serve_bytes(request, att, {})

    def _serve_bytes(self, request: Request, att: dict[str, Any], headers: dict[str, str]) -> Response:
        """Stream generated bytes, honouring `Range: bytes=N-` as storage servers do."""
        size = att["bytes"] or 0
        start, status = 0, 200
        rng = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if rng and 0 < int(rng.group(1)) < size:
            start, status = int(rng.group(1)), 206
            headers["content-range"] = f"bytes {start}-{size - 1}/{size}"
        headers.update(
            {
                "content-length": str(size - start),
                "accept-ranges": "bytes",
                "content-disposition": f"attachment; filename*=UTF-8''{quote(att['fileName'])}",
            }
        )
        chunks: Iterator[bytes] = attachment_chunks(self.state.seed, att["id"], size, start)
        return StreamingResponse(
            chunks, status_code=status, media_type=att["mimeType"] or "application/octet-stream", headers=headers
        )

    # -- /_sandbox ------------------------------------------------------------------------
    def reset_state(self, body: dict[str, Any]) -> None:
        seed = int(body.get("seed", self.seed))
        scale = str(body.get("scale", self.scale))
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}")
        self.seed, self.scale = seed, scale
        self.state = build_state(seed, scale)
        self.not_json_pending = False
        self.bad_files = set()

    async def _corrupt(self, request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        mode = body.get("mode", "bad_card")
        with self.lock:
            if mode == "not_json":
                self.not_json_pending = True
                return JSONResponse({"mode": mode})
            if mode in ("bad_file", "good_file"):  # a bad file's downloads answer 503 until it is good again
                (self.bad_files.add if mode == "bad_file" else self.bad_files.discard)(str(body.get("attachment_id")))
                return JSONResponse({"mode": mode, "attachment_id": body.get("attachment_id")})
            if mode != "bad_card":
                return JSONResponse(
                    {"error": "mode must be bad_card, bad_file, good_file or not_json"}, status_code=400
                )
            card_id = body.get("card_id") or random.Random(self.seed + 7).choice(
                sorted(c.id for c in api.iter_open_cards(self.state))
            )
            card = self.state.cards.get(card_id)
            if card is None:
                return JSONResponse({"error": f"no card {card_id}"}, status_code=404)
            card.corrupt = True
        return JSONResponse({"mode": mode, "card_id": card_id, "ref": f"trello:card:{card_id}"})

    async def _mutate(self, request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        with self.lock:
            changed = self.mutate(float(body.get("fraction", 0.01)), int(body.get("seed", 0)))
        return JSONResponse({"changed": changed})

    def mutate(self, fraction: float, seed: int = 0) -> list[str]:
        """Edit that fraction of open cards through the PUT /cards route (so actions are recorded)."""
        rng = random.Random(seed)
        open_ids = sorted(c.id for c in api.iter_open_cards(self.state))
        picked = rng.sample(open_ids, max(1, round(fraction * len(open_ids)))) if open_ids else []
        for cid in picked:
            card = self.state.cards[cid]
            board = self.state.boards[self.state.card_board[cid]]
            choice = rng.choice(["name", "desc", "idList"])
            if choice == "name":
                params = {"name": card.data["name"] + " (edited)"}
            elif choice == "desc":
                params = {"desc": card.data["desc"] + "\n\nUpdated after review."}
            else:
                others = [lid for lid, lst in board.lists.items() if lid != card.data["idList"] and not lst["closed"]]
                params = {"idList": rng.choice(others)}
            api.update_card(api.Ctx(self.state, {"id": cid}, params))
        return picked

    def export(self) -> dict[str, Any]:
        """The whole state, for tests and benchmarks to compare an extraction against."""
        st = self.state
        boards = []
        for board in st.boards.values():
            cards, comments, attachments = [], [], []
            for cid in board.card_ids:
                card = st.cards[cid]
                d = card.data
                cards.append(
                    {
                        k: d[k]
                        for k in (
                            "id",
                            "name",
                            "desc",
                            "closed",
                            "idList",
                            "pos",
                            "due",
                            "dueComplete",
                            "idMembers",
                            "idLabels",
                            "url",
                        )
                    }
                    | {
                        "visible": not d["closed"]
                        and not board.lists[d["idList"]]["closed"],  # as Trello's board shows it
                        "checklists": [api._checklist(c) for c in card.checklists],
                        "customFieldItems": [dict(i) for i in card.field_items],
                        "corrupt": card.corrupt,
                    }
                )
                for att in card.attachments:
                    attachments.append(
                        {
                            "id": att["id"],
                            "card_id": cid,
                            "name": att["name"],
                            "fileName": att["fileName"],
                            "bytes": att["bytes"],
                            "mimeType": att["mimeType"],
                            "isUpload": att["isUpload"],
                            "url": att.get("url"),
                            "sha256": st.attachment_sha256(att) if att["isUpload"] else None,
                        }
                    )
            for a in board.actions:
                if a.type == "commentCard":
                    comments.append(
                        {"id": a.id, "card_id": a.card_id, "member_id": a.member_id, "date": a.date, "text": a.text}
                    )
            boards.append(
                {
                    **{k: board.data[k] for k in ("id", "name", "desc", "closed", "url", "idOrganization")},
                    "lists": list(board.lists.values()),
                    "labels": list(board.labels.values()),
                    "members": list(board.member_ids),
                    "customFields": list(board.fields.values()),
                    "cards": cards,
                    "comments": comments,
                    "attachments": attachments,
                }
            )
        return {
            "seed": st.seed,
            "scale": st.scale,
            "me": st.me,
            "organization": st.org,
            "members": [api.render_member(st, m) for m in st.members],
            "boards": boards,
        }

    def manifest(self) -> Manifest:
        """Every object the sandbox holds, its ref the source key our marker writes for it:
        boards (container), lists (stage), cards (item), comments, attachments, checklist
        items (`<checklist id>#<n>`) and custom-field values (`<card id>.<field id>`).
        Archived means: the board, the list or the card is closed (Trello's board hides it)."""
        st = self.state
        m = Manifest("trello")
        for board in st.boards.values():
            board_closed = bool(board.data["closed"])
            m.add("container", "board", board.data["id"], archived=board_closed)
            for lst in board.lists.values():
                m.add("stage", "list", lst["id"], archived=board_closed or bool(lst["closed"]))
            for cid in board.card_ids:
                card = st.cards[cid]
                archived = board_closed or bool(card.data["closed"]) or bool(board.lists[card.data["idList"]]["closed"])
                m.add("item", "card", cid, archived=archived)
                for att in card.attachments:
                    m.add("attachment", "attachment", att["id"], archived=archived)
                for cl in card.checklists:
                    for n, _ in enumerate(cl.get("checkItems") or []):
                        m.add("checklist_item", "checklist", f"{cl['id']}#{n}", archived=archived)
                for item in card.field_items:
                    m.add("field_value", "field_value", f"{cid}.{item['idCustomField']}", archived=archived)
            for a in board.actions:
                if (
                    a.type == "commentCard"
                    and a.card_id in st.cards
                    and st.card_board.get(a.card_id) == board.data["id"]
                ):
                    card = st.cards[a.card_id]
                    archived = (
                        board_closed or bool(card.data["closed"]) or bool(board.lists[card.data["idList"]]["closed"])
                    )
                    m.add("comment", "comment", a.id, archived=archived)
        return m


def build(seed: int = 1, scale: str = "small", **kw: Any) -> TrelloSandbox:
    return TrelloSandbox(seed=seed, scale=scale, **kw)
