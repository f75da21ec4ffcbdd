"""A faithful fake of Process Street's Public API v1.1 under `/api/v1.1`, served on loopback,
built from the vendor's OpenAPI document (../shared/specs/processstreet) and reference §S1-S8.

`X-API-Key` on every request (`GET /testAuth` names the key); the error body
`{"error", "errorCode", "requestId", "details"}`; lists 20 a page, the next one at the `next`
link's href (the opaque `_` cursor); `/workflow-runs/list` paged, the run search capped at 200;
files behind HATEOAS `file` links, signed for a while, on another host than the API's;
a rate limit whose number Process Street does not publish (ours: `HIDDEN_LIMIT` a minute per
key), answered 429 with `Retry-After` and `errorCode: RateLimited`; plan limits as 402
`PaymentRequired` with `details` (`/_sandbox/plan`); and `/_sandbox/...` routes to corrupt a
run, break a file's storage, and edit runs for sync tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import re
import time
from collections import deque
from typing import Any
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.processstreet import sandbox_api as api
from adapters.processstreet.sandbox_state import PSState, Run, build_state, iso
from adapters.processstreet.spec import SANDBOX_CREDENTIALS
from adapters.sandbox_bytes import file_chunks
from adapters.sandboxkit import Faults, Manifest, Sandbox

API = api.API
HIDDEN_LIMIT = 300  # requests a minute per key: Process Street publishes no number, so this one is ours
WINDOW_S = 60.0
FILE_TTL_S = 300.0


def _error(status: int, message: str, headers: dict[str, str] | None = None, **details: str) -> Response:
    body = api.PSError(status, message, details or None).body(f"req-{random.getrandbits(40):010x}")
    return JSONResponse(body, status_code=status, headers=headers)


class HiddenLimit:
    """At most `limit` requests per window per key (rejected ones count too); the 429 says how
    long until the oldest request leaves the window, in Retry-After (seconds, fractional when
    the window is compressed)."""

    def __init__(self, mode: str, window_scale: float, limit: int = HIDDEN_LIMIT) -> None:
        if mode not in ("documented", "off"):
            raise ValueError("rate_limits must be 'documented' or 'off'")
        self.enabled = mode == "documented"
        self.period = WINDOW_S * window_scale
        self.limit = limit
        self.sent: dict[str, deque[float]] = {}
        self.rejected = 0

    def admit(self, key: str) -> float | None:
        if not self.enabled:
            return None
        now = time.monotonic()
        window = self.sent.setdefault(key, deque())
        while window and window[0] <= now - self.period:
            window.popleft()
        window.append(now)
        if len(window) <= self.limit:
            return None
        self.rejected += 1
        return self.retry_in(window[len(window) - self.limit - 1] + self.period - now)

    def retry_in(self, seconds: float) -> float:
        seconds = max(seconds, 0.001)
        return float(math.ceil(seconds)) if self.period >= WINDOW_S else round(seconds, 3)


class ProcessStreetSandbox(Sandbox):
    name = "processstreet"

    def __init__(
        self,
        seed: int = 1,
        scale: str = "small",
        faults: Faults | None = None,
        rate_limits: str = "documented",
        window_scale: float = 1.0,
        hidden_limit: int = HIDDEN_LIMIT,
        file_ttl: float = FILE_TTL_S,
    ) -> None:
        self.file_ttl = file_ttl
        self.scale = scale
        self.state: PSState = build_state(seed, scale)
        self.limits = HiddenLimit(rate_limits, window_scale, hidden_limit)
        self.key = SANDBOX_CREDENTIALS["key"]
        self.secret = f"processstreet-sandbox-{seed}".encode()
        self.bad_runs: set[str] = set()  # runs rendered malformed
        self.bad_files: set[str] = set()  # files whose storage always fails
        self.payment: dict[str, str] = {}  # path regex -> the plan limit a 402 names
        super().__init__(seed=seed, faults=faults)

    # -- plumbing ------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/_sandbox/mutate", self._mutate, methods=["POST"]),
            Route("/_sandbox/plan", self._plan, methods=["POST"]),
            Route("/_files/{fid}/{name:path}", self._file, methods=["GET"]),
            Route(API + "/{path:path}", self._api, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    def too_many_requests(self, request_scope: Scope) -> Response:
        wait = self.limits.retry_in(self.limits.period / 60)
        return _error(429, "Too many requests. Please retry later.", {"Retry-After": str(wait)})

    def server_error(self, request_scope: Scope) -> Response:
        return _error(503, "The service is temporarily unavailable.")

    def refused(self, request_scope: Scope, status: int) -> Response:
        if status == 401:
            return _error(401, "Invalid API key.")
        return _error(403, "You do not have permission to access this resource.")

    async def _unknown(self, request: Request) -> Response:
        # a framework-level routing error: the low-level ErrorInfo, without errorCode (the spec says so)
        return JSONResponse({"error": f"No route for {request.method} {request.url.path}"}, status_code=404)

    async def _api(self, request: Request) -> Response:
        key = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(key.encode(), self.key.encode()):
            return _error(401, "Invalid API key." if key else "Missing API key.")
        path = "/" + request.path_params["path"]
        if request.method != "GET":
            return _error(405, f"The sandbox serves reads only, not {request.method} {path}.")
        found = api.resolve(path)
        if found is None:
            return _error(404, f"No operation at GET {path}.")
        template, handler, params = found
        request.scope["route"] = Route(API + template, self._api)  # for /_sandbox/stats
        with self.lock:
            wait = self.limits.admit(key)
        if wait is not None:
            return _error(429, "Too many requests. Please retry later.", {"Retry-After": str(wait)})
        for pattern, limit in self.payment.items():
            if re.search(pattern, path):
                return _error(402, "Your plan does not include this feature.", limit=limit)
        base = f"{request.url.scheme}://{request.url.netloc}"
        ctx = api.Ctx(self.state, params, dict(request.query_params), base, path, self._file_url(base), self.bad_runs)
        try:
            with self.lock:
                out = handler(ctx)
        except api.PSError as e:
            return JSONResponse(e.body(), status_code=e.status)
        return Response(
            json.dumps(out, separators=(",", ":"), ensure_ascii=False), media_type="application/json; charset=utf-8"
        )

    # -- files ---------------------------------------------------------------------------
    def _sign(self, fid: str, expires: int) -> str:
        return hmac.new(self.secret, f"{fid}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def _file_url(self, base: str) -> Any:
        def url(fid: str, name: str) -> str:
            expires = math.ceil(time.time() + self.file_ttl)
            host = base.replace("://127.0.0.1:", "://localhost:")  # another host than the API's
            return f"{host}/_files/{fid}/{quote(name, safe='')}?expires={expires}&signature={self._sign(fid, expires)}"

        return url

    async def _file(self, request: Request) -> Response:
        """The file host: no API key wanted (a key sent here is refused), a signature that expires."""
        fid = request.path_params["fid"]
        if "x-api-key" in request.headers:
            return JSONResponse({"error": "This host takes no API key."}, status_code=400)
        expires = request.query_params.get("expires", "")
        signature = request.query_params.get("signature", "")
        if not expires.isdigit() or not hmac.compare_digest(signature, self._sign(fid, int(expires))):
            return JSONResponse({"error": "Signature does not match."}, status_code=403)
        if int(expires) < time.time():
            return JSONResponse({"error": "This link has expired."}, status_code=403)
        with self.lock:
            rec = self.state.attachments.get(fid) or self.state.files.get(fid)
        if rec is None:
            return JSONResponse({"error": "No such file."}, status_code=404)
        name, mime = rec.get("fileName") or rec["name"], rec.get("mimeType") or rec["mime"]
        if unquote(request.path_params["name"]) != name:
            return JSONResponse({"error": "No such file."}, status_code=404)
        if fid in self.bad_files:
            return JSONResponse({"error": "Storage failure."}, status_code=500)
        size = int(rec["size"])
        start, status, headers = 0, 200, {}
        rng = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if rng and 0 < int(rng.group(1)) < size:
            start, status = int(rng.group(1)), 206
            headers["content-range"] = f"bytes {start}-{size - 1}/{size}"
        headers.update({"content-length": str(size - start), "accept-ranges": "bytes"})
        return StreamingResponse(
            file_chunks(self.state.seed, fid, size, start), status_code=status, media_type=mime, headers=headers
        )

    # -- /_sandbox ------------------------------------------------------------------------
    def reset_state(self, body: dict[str, Any]) -> None:
        self.seed = int(body.get("seed", self.seed))
        self.scale = str(body.get("scale", self.scale))
        self.state = build_state(self.seed, self.scale)
        self.bad_runs, self.bad_files, self.payment = set(), set(), {}

    def _open_runs(self) -> list[str]:
        return sorted(r.id for r in self.state.runs.values() if r.status in ("Active", "Completed"))

    async def _corrupt(self, request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        mode = body.get("mode", "bad_run")
        with self.lock:
            if mode in ("bad_file", "good_file"):
                fid = str(body.get("file_id") or self._pick_file())
                (self.bad_files.add if mode == "bad_file" else self.bad_files.discard)(fid)
                return JSONResponse({"mode": mode, "file_id": fid})
            if mode != "bad_run":
                return JSONResponse({"error": "mode must be bad_run, bad_file or good_file"}, status_code=400)
            rid = str(body.get("run_id") or random.Random(self.seed + 7).choice(self._open_runs()))
            if rid not in self.state.runs:
                return JSONResponse({"error": f"no run {rid}"}, status_code=404)
            self.bad_runs.add(rid)
        return JSONResponse({"mode": mode, "run_id": rid, "ref": f"processstreet:run:{rid}"})

    def _pick_file(self) -> str:
        live = set(self._open_runs())
        return next(
            a for a, rec in sorted(self.state.attachments.items()) if rec["size"] and rec["workflowRunId"] in live
        )

    async def _plan(self, request: Request) -> Response:
        """`{"limit": "...", "paths": "regex"}`: those paths answer 402 PaymentRequired naming the limit."""
        body = await request.json() if await request.body() else {}
        with self.lock:
            if body.get("paths"):
                self.payment[str(body["paths"])] = str(body.get("limit", "This plan's limit"))
            else:
                self.payment.clear()
        return JSONResponse({"payment": self.payment})

    async def _mutate(self, request: Request) -> Response:
        """`{"fraction": f}` edits that share of the open runs; `{"run_id": id, "comment": text}`
        writes a comment on one run now, as someone in the app would."""
        body = await request.json() if await request.body() else {}
        with self.lock:
            if "comment" in body:
                run = self.state.runs.get(str(body.get("run_id")))
                if run is None or run.status == "Deleted":
                    return JSONResponse({"error": "no such run"}, status_code=404)
                return JSONResponse({"comment_id": self.comment(run, str(body["comment"]))})
            changed = self.mutate(float(body.get("fraction", 0.05)), int(body.get("seed", 0)))
        return JSONResponse({"changed": changed})

    def comment(self, run: Run, text: str) -> str:
        st = self.state
        cid = st.muid()
        now = iso(time.time())
        by = st.user_ref(next(iter(st.users)))
        st.comments[cid] = {
            "id": cid,
            "createdDate": now,
            "createdBy": by,
            "updatedDate": now,
            "updatedBy": by,
            "workflowRunId": run.id,
            "taskId": run.tasks[0]["id"],
            "text": text,
            "workflowId": run.data["workflowId"],
        }
        run.comments.append(cid)
        return cid

    def mutate(self, fraction: float, seed: int = 0) -> list[str]:
        """Edit that fraction of the open runs (a name, a task ticked, a value), each with a new
        audit.updatedDate, as the app does."""
        st = self.state
        rng = random.Random(seed)
        live = self._open_runs()
        picked = rng.sample(live, max(1, round(fraction * len(live)))) if live else []
        for rid in picked:
            r = st.runs[rid]
            choice = rng.choice(["name", "task", "value"])
            now = time.time()
            if choice == "name":
                r.data["name"] = (r.data["name"] or "Untitled") + " (edited)"
            elif choice == "task":
                t = next((t for t in r.tasks if t["status"] == "NotCompleted"), r.tasks[0])
                t["status"] = "Completed"
                t["completedDate"] = t["updatedDate"] = iso(now)
                t["completedBy"] = st.user_ref(next(iter(st.users)))
            else:
                wf = st.workflows[r.data["workflowId"]]
                text = next((f for f in wf.fields if f["fieldType"] == "Text"), None)
                if text is not None:
                    r.values[text["id"]] = "Edited after review"
                    r.value_dates[text["id"]] = now
            r.data["audit"]["updatedDate"] = iso(now)
        return picked

    # -- what the sandbox holds ------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        st = self.state
        return {
            "seed": st.seed,
            "scale": st.scale,
            "users": list(st.users.values()),
            "workflows": [
                {
                    "id": wf.id,
                    "name": wf.data["name"],
                    "published": wf.published.id,
                    "tasks": [t["id"] for t in wf.published.tasks],
                    "fields": {f["id"]: f["fieldType"] for f in wf.fields},
                    "runs": [r for r in wf.runs if st.runs[r].status != "Deleted"],
                }
                for wf in st.workflows.values()
            ],
            "runs": [
                {
                    "id": r.id,
                    "name": r.data["name"],
                    "status": r.status,
                    "workflow": r.data["workflowId"],
                    "revision": r.revision,
                    "tasks": len(r.tasks),
                    "completed": sum(t["status"] == "Completed" for t in r.tasks),
                    "values": len(r.values),
                    "comments": list(r.comments),
                    "approvals": [a["id"] for a in r.approvals],
                    "attachments": list(r.attachments),
                    "files": list(r.files),
                    "corrupt": r.id in self.bad_runs,
                }
                for r in st.runs.values()
                if r.status != "Deleted"
            ],
            "files": [{"id": fid, "size": rec["size"]} for fid, rec in [*st.attachments.items(), *st.files.items()]],
        }

    def manifest(self) -> Manifest:
        """One entry per object, its `ref` the source key our marker writes: workflows
        (container), the published revision's task templates (stage), runs (item), comments
        and approvals (comment), task attachments and field files (attachment), form-field
        values (field_value). Archived: an Archived run and what hangs on it. Deleted runs are
        in no listing and absent."""
        st = self.state
        out = Manifest("processstreet")
        for wf in st.workflows.values():
            out.add("container", "workflow", wf.id)
            for t in wf.published.tasks:
                out.add("stage", "task_template", t["id"])
        for r in st.runs.values():
            if r.status == "Deleted":
                continue
            archived = r.status == "Archived"
            out.add("item", "run", r.id, archived=archived)
            for c in r.comments:
                out.add("comment", "comment", c, archived=archived)
            for approval in r.approvals:
                out.add("comment", "approval", approval["id"], archived=archived)
            for aid in r.attachments:
                out.add("attachment", "attachment", aid, archived=archived)
            for fid in r.files:
                out.add("attachment", "file", fid, archived=archived)
            for fid in r.values:
                out.add("field_value", "field_value", f"{r.id}.{fid}", archived=archived)
        return out


def build(seed: int = 1, scale: str = "small", **kw: Any) -> ProcessStreetSandbox:
    return ProcessStreetSandbox(seed=seed, scale=scale, **kw)
