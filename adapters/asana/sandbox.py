"""A faithful fake of the Asana REST API under `/api/1.0`, served on loopback.

Personal access tokens as `Authorization: Bearer`; Asana's envelope and error bodies
(`{"errors": [{"message": ...}]}`) with 400/401/403/404/412; offset pagination; opt_fields;
`POST /batch` (at most 10 actions, each counted against the limits); the Events API with its
sync tokens; attachments whose `download_url` is signed for two minutes on a storage host
that answers 403 (in S3's XML) once it has expired; the rate limits of `sandbox_limits`; and
`/_sandbox/...` routes to seed, corrupt, deny, drain and mutate the state. The routes
themselves live in `sandbox_api`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import random
import re
import time
from typing import Any
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.asana import sandbox_api as api
from adapters.asana import sandbox_webhooks as hooks
from adapters.asana.sandbox_limits import AsanaRateLimits
from adapters.asana.sandbox_state import SCALES, AsanaState, build_state, iso
from adapters.asana.sandbox_webhooks import Deliveries
from adapters.asana.spec import SANDBOX_CREDENTIALS
from adapters.sandbox_bytes import file_chunks
from adapters.sandboxkit import Faults, Manifest, Sandbox

API = "/api/1.0"
BATCH_MAX = 10
DOWNLOAD_TTL_S = 120.0  # "may only be valid for two minutes"
RATE_LIMITED = "You've made too many requests and hit a rate limit. Please retry after the given amount of time."


def _token(headers: dict[str, str]) -> str:
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def _error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return JSONResponse(api.AsanaError(status, message, extra).body(), status_code=status, headers=headers)


class AsanaSandbox(Sandbox):
    name = "asana"

    def __init__(
        self,
        seed: int = 1,
        scale: str = "small",
        faults: Faults | None = None,
        rate_limits: str = "documented",
        tier: str = "paid",
        window_scale: float = 1.0,
        download_ttl: float = DOWNLOAD_TTL_S,
    ) -> None:
        self.scale = scale
        self.deliveries = Deliveries()
        self.state = build_state(seed, scale)
        self.limits = AsanaRateLimits(rate_limits, tier, window_scale)
        self.token = SANDBOX_CREDENTIALS["token"]
        self.download_ttl = download_ttl
        self.secret = f"asana-sandbox-{seed}".encode()
        self.not_json_pending = False
        self.bad_files: set[str] = set()  # attachment gids whose storage always fails
        self.bad_tasks: set[str] = set()  # task gids rendered malformed
        self.denied: set[str] = set()  # project or task gids the token may not see (403)
        self.hidden: set[str] = set()  # task gids the listings lose (a route that silently brings less)
        self.sync_epoch: dict[str, int] = {}  # bumped to make a project's sync tokens too old
        super().__init__(seed=seed, faults=faults)

    @property
    def state(self) -> AsanaState:
        return self._state

    @state.setter
    def state(self, state: AsanaState) -> None:
        """A state put in (a reset, a saved demo world) is watched like the first: every event
        recorded on it goes to the webhooks on its project."""
        self._state = state
        state.on_event = lambda project, event: self.deliveries.on_event(state, project, event)

    # -- plumbing ------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/webhooks/heartbeat", self._heartbeat, methods=["POST"]),
            Route("/_sandbox/webhooks/replay", self._replay, methods=["POST"]),
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/_sandbox/mutate", self._mutate, methods=["POST"]),
            Route("/_sandbox/deny", self._deny, methods=["POST"]),
            Route("/_sandbox/drain", self._drain, methods=["POST"]),
            Route("/_sandbox/expire_sync", self._expire_sync, methods=["POST"]),
            Route("/_storage/{gid}/{name:path}", self._storage, methods=["GET"]),
            Route(API + "/{path:path}", self._api, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    @staticmethod
    def _scope_token(scope: Scope) -> str:
        return _token({k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])})

    def too_many_requests(self, request_scope: Scope) -> Response:
        return _error(429, RATE_LIMITED, {"Retry-After": str(self.limits._retry_in(self.limits.period / 60))})

    def server_error(self, request_scope: Scope) -> Response:
        return _error(503, "Server Error: the service is temporarily unavailable. Please try again later.")

    def refused(self, request_scope: Scope, status: int) -> Response:
        if status == 401:
            return _error(401, "Not Authorized")
        return _error(403, "You do not have access to this resource.")

    async def _unknown(self, request: Request) -> Response:
        return _error(404, f"No matching route for request: {request.method} {request.url.path}")

    def _ctx(self, request: Request, path: str, params: dict[str, str], query: dict[str, str]) -> api.Ctx:
        base = f"{request.url.scheme}://{request.url.netloc}"
        return api.Ctx(
            self.state,
            params,
            query,
            base,
            path,
            self.secret,
            lambda a: self._download_url(base, a),
            self.denied,
            self.sync_epoch,
            self.limits.tier,
            self.hidden,
        )

    def _render_bad(self, body: dict[str, Any]) -> dict[str, Any]:
        """A task listed as corrupt goes out with a name that is no string."""
        if not self.bad_tasks:
            return body
        data = body.get("data")
        for rec in data if isinstance(data, list) else [data]:
            if (
                isinstance(rec, dict)
                and rec.get("gid") in self.bad_tasks
                and rec.get("resource_type", "task") == "task"
            ):
                rec["name"] = 404
                rec["completed"] = "maybe"
        return body

    async def _api(self, request: Request) -> Response:
        token = _token({k.lower(): v for k, v in request.headers.items()})
        if token != self.token:
            return _error(401, "Not Authorized")
        path = "/" + request.path_params["path"]
        query = dict(request.query_params)
        if request.method == "POST" and path.rstrip("/") == "/batch":
            request.scope["route"] = Route(API + "/batch", self._api)
            return await self._batch(request, token)
        found = api.resolve(request.method, path)
        if found is None:
            return _error(404, f"No matching route for request: {request.method} {API}{path}")
        template, handler, params = found
        request.scope["route"] = Route(API + template, self._api)  # for /_sandbox/stats
        write = request.method != "GET"
        with self.lock:
            wait = self.limits.admit(token, write=write)
        if wait is not None:
            return _error(429, RATE_LIMITED, {"Retry-After": str(wait)})
        ctx = self._ctx(request, path, params, query)
        try:
            if self.not_json_pending and request.method == "GET" and path.startswith("/projects/"):
                self.not_json_pending = False
                return Response(
                    '{"data":{"gid":"' + params.get("gid", "") + '","name":"Gro', media_type="application/json"
                )
            body = json.loads(await request.body() or b"{}") if write else None
            if handler is api.create_webhook:  # the handshake runs while the create call waits
                with self.lock:
                    _, target, _ = api.webhook_project(ctx, body if isinstance(body, dict) else {})
                secret = await hooks.handshake(target)
                if secret is None:
                    return _error(400, hooks.HANDSHAKE_FAILED)
                ctx.hook_secret = secret
            with self.lock:
                out = handler(ctx, body) if write else handler(ctx)
                out = self._render_bad(out)
        except api.AsanaError as e:
            return JSONResponse(e.body(), status_code=e.status)
        except ValueError:
            return _error(400, "Could not parse request data, invalid JSON")
        finally:
            with self.lock:
                self.limits.done(token, write=write, cost=ctx.cost)
        return _json(out, 201 if handler is api.create_webhook else 200)

    async def _batch(self, request: Request, token: str) -> Response:
        """POST /batch: up to 10 actions, answered in order, always 200; counted as N requests,
        and a batch any of whose actions would cross a limit is refused whole (429)."""
        try:
            body = json.loads(await request.body() or b"{}")
            actions = body["data"]["actions"]
            if not isinstance(actions, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _error(400, "data.actions: Missing input")
        if not actions:
            return _error(400, "data.actions: Missing input")
        if len(actions) > BATCH_MAX:
            return _error(400, f"data.actions: Too many actions in a batch request; the limit is {BATCH_MAX}.")
        with self.lock:
            wait = self.limits.admit(token, weight=len(actions))
        if wait is not None:
            return _error(429, RATE_LIMITED, {"Retry-After": str(wait)})
        results: list[dict[str, Any]] = []
        cost = 0
        try:
            for action in actions:
                status, out, c = self._batch_action(request, action)
                cost += c
                results.append({"status_code": status, "headers": {}, "body": out})
        finally:
            with self.lock:
                self.limits.done(token, cost=cost)
        return _json({"data": results})

    def _batch_action(self, request: Request, action: Any) -> tuple[int, dict[str, Any], int]:
        if not isinstance(action, dict) or not isinstance(action.get("relative_path"), str):
            return 400, api.AsanaError(400, "relative_path: Missing input").body(), 1
        if str(action.get("method", "")).lower() != "get":
            return 400, api.AsanaError(400, "method: the sandbox's batch takes GET actions only").body(), 1
        path = action["relative_path"]
        if "?" in path:
            return 400, api.AsanaError(400, "relative_path: Query parameters are not accepted here").body(), 1
        found = api.resolve("GET", path)
        if found is None:
            return 404, api.AsanaError(404, f"No matching route for request: GET {path}").body(), 1
        _, handler, params = found
        query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (action.get("data") or {}).items()}
        options = action.get("options") or {}
        if "fields" in options:
            f = options["fields"]
            query["opt_fields"] = ",".join(f) if isinstance(f, list) else str(f)
        for k in ("limit", "offset"):
            if k in options:
                query[k] = str(options[k])
        ctx = self._ctx(request, path, params, query)
        try:
            with self.lock:
                return 200, self._render_bad(handler(ctx)), ctx.cost
        except api.AsanaError as e:
            return e.status, e.body(), 1

    # -- files ---------------------------------------------------------------------------
    def _sign(self, gid: str, expires: int) -> str:
        return hmac.new(self.secret, f"{gid}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def _download_url(self, base: str, att: dict[str, Any]) -> str | None:
        """Uploaded files: a URL signed for `download_ttl` seconds. Box and Vimeo: null.
        Other hosts: their own address."""
        if att["host"] in ("box", "vimeo"):
            return None
        if att["host"] != "asana":
            return att["view_url"]
        expires = math.ceil(time.time() + self.download_ttl)
        storage = base.replace("://127.0.0.1:", "://localhost:")  # another host than the API's, as S3 is
        return (
            f"{storage}/_storage/{att['gid']}/{quote(att['name'], safe='')}"
            f"?X-Amz-Expires={int(self.download_ttl)}&X-Amz-Date={expires}"
            f"&X-Amz-Signature={self._sign(att['gid'], expires)}"
        )

    async def _storage(self, request: Request) -> Response:
        """The storage host: no Asana token, a signature that expires (403 in S3's words)."""
        gid = request.path_params["gid"]
        if "authorization" in request.headers:
            return _s3_error(
                400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter"
            )
        expires = request.query_params.get("X-Amz-Date", "")
        signature = request.query_params.get("X-Amz-Signature", "")
        if not expires.isdigit() or not hmac.compare_digest(signature, self._sign(gid, int(expires))):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        if int(expires) < time.time():
            return _s3_error(403, "AccessDenied", "Request has expired")
        with self.lock:
            att = self.state.attachments.get(gid)
        if att is None or unquote(request.path_params["name"]) != att["name"]:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        if gid in self.bad_files:
            return _s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
        size = att["size"]
        start, status, headers = 0, 200, {}
        rng = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if rng and 0 < int(rng.group(1)) < size:
            start, status = int(rng.group(1)), 206
            headers["content-range"] = f"bytes {start}-{size - 1}/{size}"
        headers.update({"content-length": str(size - start), "accept-ranges": "bytes"})
        return StreamingResponse(
            file_chunks(self.state.seed, gid, size, start),
            status_code=status,
            media_type=att["mime"],
            headers=headers,
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
        self.bad_files, self.bad_tasks, self.denied, self.hidden = set(), set(), set(), set()
        self.sync_epoch = {}

    async def _corrupt(self, request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        mode = body.get("mode", "bad_task")
        with self.lock:
            if mode == "not_json":
                self.not_json_pending = True
                return JSONResponse({"mode": mode})
            if mode in ("bad_file", "good_file"):
                gid = str(body.get("attachment_id") or self._pick_upload())
                (self.bad_files.add if mode == "bad_file" else self.bad_files.discard)(gid)
                return JSONResponse({"mode": mode, "attachment_id": gid})
            if mode not in ("bad_task", "hide_task"):
                return JSONResponse(
                    {"error": "mode must be bad_task, hide_task, bad_file, good_file or not_json"}, status_code=400
                )
            gid = str(body.get("task_id") or random.Random(self.seed + 7).choice(sorted(self._live_top_tasks())))
            if gid not in self.state.tasks:
                return JSONResponse({"error": f"no task {gid}"}, status_code=404)
            (self.bad_tasks if mode == "bad_task" else self.hidden).add(gid)
        return JSONResponse({"mode": mode, "task_id": gid, "ref": f"asana:task:{gid}"})

    def _live_top_tasks(self) -> list[str]:
        return [
            g
            for p in self.state.projects.values()
            if not p.data["archived"]
            for g in p.tasks
            if not self.state.tasks[g].deleted
        ]

    def _pick_upload(self) -> str:
        live = set(self._live_top_tasks())
        return next(
            g
            for g, a in sorted(self.state.attachments.items())
            if a["host"] == "asana" and a["size"] and a["parent"] in live
        )

    async def _deny(self, request: Request) -> Response:
        body = await request.json()
        with self.lock:
            (self.denied.add if body.get("deny", True) else self.denied.discard)(str(body["gid"]))
        return JSONResponse({"denied": sorted(self.denied)})

    async def _heartbeat(self, request: Request) -> Response:
        """Asana's eight-hourly heartbeat, now: `{"events": []}` to every active webhook."""
        with self.lock:
            sent = self.deliveries.heartbeat(self.state)
        return JSONResponse({"sent": sent})

    async def _replay(self, request: Request) -> Response:
        """The last delivery sent again, exactly as sent: what the target answered."""
        return JSONResponse({"status": await asyncio.to_thread(self.deliveries.sender.replay)})

    async def _drain(self, request: Request) -> Response:
        """Spend the token's cost budget: its next request meets the cost-based 429."""
        with self.lock:
            self.limits.drain(self.token)
        return JSONResponse({"ok": True})

    async def _expire_sync(self, request: Request) -> Response:
        body = await request.json()
        with self.lock:
            self.sync_epoch[str(body["project"])] = self.sync_epoch.get(str(body["project"]), 0) + 1
        return JSONResponse({"ok": True})

    async def _mutate(self, request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        with self.lock:
            changed = self.mutate(float(body.get("fraction", 0.01)), int(body.get("seed", 0)))
        return JSONResponse({"changed": changed})

    def mutate(self, fraction: float, seed: int = 0) -> list[str]:
        """Edit that fraction of live tasks (name, notes, section or completion), each with
        its event in the project's feed and a new modified_at."""
        st = self.state
        rng = random.Random(seed)
        live = sorted(self._live_top_tasks())
        picked = rng.sample(live, max(1, round(fraction * len(live)))) if live else []
        for gid in picked:
            t = st.tasks[gid]
            p = st.projects[t.memberships[0][0]]
            choice = rng.choice(["name", "notes", "section", "completed"])
            if choice == "name":
                t.data["name"] = (t.data["name"] or "Untitled") + " (edited)"
            elif choice == "notes":
                t.data["notes"] += "\n\nUpdated after review."
            elif choice == "section":
                others = [s for s in p.sections if s != t.memberships[0][1]]
                if others:
                    t.memberships[0] = (p.gid, rng.choice(others))
            else:
                t.data["completed"] = not t.data["completed"]
                t.data["completed_at"] = iso(time.time()) if t.data["completed"] else None
            t.data["modified_at"] = iso(time.time())
            st.record_event(p, "changed", api.task_compact(st, gid), change={"field": choice, "action": "changed"})
        return picked

    # -- what the sandbox holds ------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        st = self.state
        projects = []
        for p in st.projects.values():
            projects.append(
                {
                    "gid": p.gid,
                    "name": p.data["name"],
                    "archived": p.data["archived"],
                    "sections": [{"gid": s, "name": st.sections[s]["name"]} for s in p.sections],
                    "tasks": [g for g in p.tasks if not st.tasks[g].deleted],
                    "fields": list(p.fields),
                }
            )
        tasks = []
        for t in st.tasks.values():
            if t.deleted:
                continue
            top = st.project_of(t)
            tasks.append(
                {
                    **{
                        k: t.data[k]
                        for k in (
                            "gid",
                            "name",
                            "completed",
                            "parent",
                            "assignee",
                            "resource_subtype",
                            "approval_status",
                        )
                    },
                    "project": top.gid if top else None,
                    "section": t.memberships[0][1] if t.memberships else None,
                    "subtasks": [s.gid for s in st.live_subtasks(t.gid)],
                    "comments": [s["gid"] for s in t.stories if s["type"] == "comment"],
                    "system_stories": sum(s["type"] == "system" for s in t.stories),
                    "attachments": list(t.attachments),
                    "values": dict(t.values),
                    "corrupt": t.gid in self.bad_tasks,
                }
            )
        attachments = [
            {
                **{k: a[k] for k in ("gid", "name", "host", "size", "mime", "parent")},
                "sha256": st.attachment_sha256(a["gid"]) if a["host"] == "asana" else None,
            }
            for a in st.attachments.values()
            if not st.tasks[a["parent"]].deleted
        ]
        return {
            "seed": st.seed,
            "scale": st.scale,
            "me": st.me,
            "workspace": st.workspace,
            "users": list(st.users.values()),
            "templates": list(st.templates.values()),
            "projects": projects,
            "tasks": tasks,
            "attachments": attachments,
        }

    def manifest(self) -> Manifest:
        """One entry per object the sandbox holds, its `ref` the source key our provenance
        marker writes: projects and templates (container), sections (stage), top-level tasks
        (item), subtasks (subitem), comments, attachments and custom-field values. Archived
        means: in an archived project. Deleted tasks are held by no one and are absent."""
        st = self.state
        out = Manifest("asana")
        for gid in st.templates:
            out.add("container", "project_template", gid)
        for p in st.projects.values():
            archived = bool(p.data["archived"])
            out.add("container", "project", p.gid, archived=archived)
            for s in p.sections:
                out.add("stage", "section", s, archived=archived)
        for t in st.tasks.values():
            if t.deleted:
                continue
            top = st.project_of(t)
            archived = bool(top and top.data["archived"])
            out.add("subitem" if t.data["parent"] else "item", "task", t.gid, archived=archived)
            for story in t.stories:
                if story["type"] == "comment":
                    out.add("comment", "comment", story["gid"], archived=archived)
            for a in t.attachments:
                out.add("attachment", "attachment", a, archived=archived)
            for f in t.values if not t.data["parent"] else ():
                out.add("field_value", "field_value", f"{t.gid}.{f}", archived=archived)
        return out


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type="application/json; charset=utf-8",
    )


def _s3_error(status: int, code: str, message: str) -> Response:
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(xml, status_code=status, media_type="application/xml")


def build(seed: int = 1, scale: str = "small", **kw: Any) -> AsanaSandbox:
    return AsanaSandbox(seed=seed, scale=scale, **kw)
