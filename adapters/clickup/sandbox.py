"""A faithful fake of ClickUp's REST API v2 under `/api/v2`, served on loopback, built from
ClickUp's OpenAPI description and `reference/trello-asana-clickup.md` §3.

A personal token sent raw in `Authorization` (no scheme; `Bearer <token>` as OAuth sends it
works too); ClickUp's error bodies (`{"err": ..., "ECODE": ...}`); answers in named envelopes
(`tasks`, `spaces`, `comments`...); tasks 100 a page from page 0 with `last_page`, closed ones
only with `include_closed=true`, subtasks only with `subtasks=true`, archived ones only with
`archived=true`, `date_updated_gt`; comments newest first, 25 a call, paged by `start` and
`start_id`; threaded replies; attachments only on Get Task, their bytes on another host (which
takes the request with or without the token); the rate limits of `sandbox_limits`, with
`X-RateLimit-*` on every answer and a 429 that has no Retry-After; and `/_sandbox/...` routes
to corrupt, mutate and delete.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from typing import Any
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.clickup.sandbox_limits import ClickUpRateLimits
from adapters.clickup.sandbox_state import (
    SCALES,
    TAGS,
    TEAM_ID,
    ClickUpList,
    ClickUpState,
    Task,
    build_state,
)
from adapters.clickup.sandbox_webhooks import Deliveries
from adapters.clickup.sandbox_webhooks import make as make_webhook
from adapters.clickup.spec import SANDBOX_CREDENTIALS
from adapters.sandbox_bytes import file_chunks
from adapters.sandboxkit import Faults, Manifest, Sandbox

API = "/api/v2"
TASK_PAGE = 100
COMMENT_PAGE = 25
HELD_BACK = ("values", "creator", "assignees", "watchers", "tags", "markdown_description")  # rendered apart


class ClickUpError(Exception):
    def __init__(self, status: int, err: str, ecode: str) -> None:
        super().__init__(err)
        self.status, self.err, self.ecode = status, err, ecode

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return _json({"err": self.err, "ECODE": self.ecode}, self.status, headers)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        headers=headers,
        media_type="application/json; charset=utf-8",
    )


def _token(auth: str) -> str:
    return auth[7:].strip() if auth.lower().startswith("bearer ") else auth.strip()


def _flag(query: dict[str, str], name: str) -> bool:
    return query.get(name, "false").lower() == "true"


class ClickUpSandbox(Sandbox):
    name = "clickup"

    def __init__(
        self,
        seed: int = 1,
        scale: str = "small",
        faults: Faults | None = None,
        rate_limits: str = "documented",
        window_scale: float = 1.0,
        plan: str = "business",
    ) -> None:
        self.scale = scale
        self.deliveries = Deliveries()
        self.state = build_state(seed, scale)
        self.limits = ClickUpRateLimits(rate_limits, plan, window_scale)
        self.token = SANDBOX_CREDENTIALS["token"]
        self.bad_tasks: set[str] = set()  # task ids rendered malformed
        self.bad_files: set[str] = set()  # attachment ids whose download fails
        super().__init__(seed=seed, faults=faults)

    @property
    def state(self) -> ClickUpState:
        return self._state

    @state.setter
    def state(self, state: ClickUpState) -> None:
        """A state put in (a reset, a saved demo world) is watched like the first: each task
        change goes to the webhooks that watch it."""
        self._state = state
        state.on_change = lambda task, event, field, before, after: self.deliveries.on_change(
            state, task, event, field, before, after
        )

    # -- plumbing -------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        get = ["GET"]
        r = [
            ("/user", self._user),
            ("/team", self._teams),
            ("/team/{team_id}/space", self._spaces),
            ("/space/{space_id}", self._space),
            ("/space/{space_id}/folder", self._folders),
            ("/space/{space_id}/list", self._folderless),
            ("/space/{space_id}/tag", self._tags),
            ("/folder/{folder_id}", self._folder),
            ("/folder/{folder_id}/list", self._folder_lists),
            ("/list/{list_id}", self._list),
            ("/list/{list_id}/field", self._fields),
            ("/list/{list_id}/task", self._tasks),
            ("/task/{task_id}", self._task),
            ("/task/{task_id}/comment", self._comments),
            ("/comment/{comment_id}/reply", self._replies),
            ("/team/{team_id}/webhook", self._webhooks),
        ]
        writes = [
            ("/team/{team_id}/webhook", self._create_webhook, "POST"),
            ("/webhook/{webhook_id}", self._delete_webhook, "DELETE"),
            ("/task/{task_id}", self._update_task, "PUT"),
        ]
        return [
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/_sandbox/webhooks/replay", self._replay, methods=["POST"]),
            *[Route(API + path, self._wrap(handler, write=True), methods=[method]) for path, handler, method in writes],
            Route("/_sandbox/mutate", self._mutate, methods=["POST"]),
            Route("/_sandbox/delete", self._delete, methods=["POST"]),
            Route("/_files/{team}/{uid}/{name:path}", self._file, methods=get),
            *[Route(API + path, self._wrap(handler), methods=get) for path, handler in r],
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    def _headers(self) -> dict[str, str]:
        with self.lock:
            return self.limits.headers(self.token)

    def too_many_requests(self, request_scope: Scope) -> Response:
        headers = {**self._headers(), "X-RateLimit-Remaining": "0"}
        return ClickUpError(429, "Rate limit reached", "APP_002").response(headers)

    def server_error(self, request_scope: Scope) -> Response:
        return ClickUpError(500, "Internal server error", "APP_001").response()

    def refused(self, request_scope: Scope, status: int) -> Response:
        if status == 401:
            return ClickUpError(401, "Token invalid", "OAUTH_025").response()
        return ClickUpError(403, "Team not authorized", "OAUTH_027").response()

    async def _unknown(self, request: Request) -> Response:
        return ClickUpError(404, "Route not found", "APP_001").response()

    def _wrap(self, handler: Any, write: bool = False) -> Any:
        """A route's handler behind the token and the limits: (path params, query, base URL),
        and the JSON body for a write."""

        async def endpoint(request: Request) -> Response:
            token = _token(request.headers.get("authorization", ""))
            if not token:
                return ClickUpError(400, "Authorization header required", "OAUTH_017").response()
            if token != self.token:
                return ClickUpError(401, "Token invalid", "OAUTH_025").response()
            with self.lock:
                ok, headers = self.limits.admit(token)
            if not ok:
                return ClickUpError(429, "Rate limit reached", "APP_002").response(headers)
            query = dict(request.query_params)
            base = f"{request.url.scheme}://{request.url.netloc}"
            try:
                sent = await self._body(request) if write else None
                with self.lock:
                    body = handler(request.path_params, query, base, *([sent] if write else []))
            except ClickUpError as e:
                return e.response(headers)
            return _json(body, 200, headers)

        return endpoint

    @staticmethod
    async def _body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise ClickUpError(400, "Invalid JSON body", "INPUT_001") from None
        if not isinstance(body, dict):
            raise ClickUpError(400, "Invalid JSON body", "INPUT_001")
        return body

    # -- webhooks and task updates (sandbox_webhooks sends the deliveries) -----------------------
    def _webhooks(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        self._check_team(p["team_id"])
        return {"webhooks": [dict(h) for h in self.state.webhooks.values()]}

    def _create_webhook(self, p: dict[str, str], q: dict[str, str], base: str, body: dict[str, Any]) -> Any:
        self._check_team(p["team_id"])
        endpoint, events = body.get("endpoint"), body.get("events")
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise ClickUpError(400, "Webhook endpoint invalid", "OAUTH_034")
        if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
            raise ClickUpError(400, "Webhook events invalid", "OAUTH_035")
        if body.get("list_id") is not None:
            self._list_of(str(body["list_id"]))
        if body.get("task_id") is not None:
            self._task_of(str(body["task_id"]))
        st = self.state
        hook = make_webhook(st, body)
        return {"id": hook["id"], "webhook": dict(hook)}

    def _delete_webhook(self, p: dict[str, str], q: dict[str, str], base: str, body: dict[str, Any]) -> Any:
        if self.state.webhooks.pop(p["webhook_id"], None) is None:
            raise ClickUpError(404, "Webhook not found", "OAUTH_042")
        return {}

    def _update_task(self, p: dict[str, str], q: dict[str, str], base: str, body: dict[str, Any]) -> Any:
        """Update Task: name, description and status, each change delivered to the webhooks."""
        task = self._task_of(p["task_id"])
        d = task.data
        changes: list[tuple[str, str, Any, Any]] = []
        if "status" in body:
            lst = self.state.lists[task.list_id]
            s = next((s for s in lst.statuses if s["status"] == str(body["status"]).lower()), None)
            if s is None:
                raise ClickUpError(400, "Status does not exist", "ITEM_062")
            before, d["status"] = d["status"], {k: s[k] for k in ("id", "status", "color", "orderindex", "type")}
            changes.append(("taskStatusUpdated", "status", before, d["status"]))
        for name in ("name", "description"):
            if name in body:
                if not isinstance(body[name], str):
                    raise ClickUpError(400, f"Task {name} invalid", "INPUT_005")
                before, d[name] = d[name], body[name]
                if name == "description":
                    d["text_content"] = d["markdown_description"] = body[name]
                changes.append(("taskUpdated", name, before, body[name]))
        d["date_updated"] = str(int(time.time() * 1000))
        for event, name, before, after in changes:
            self.state.changed(task, event, name, before, after)
        return self.task_out(task, base)

    async def _replay(self, request: Request) -> Response:
        """The last delivery sent again, exactly as sent: what the target answered."""
        return JSONResponse({"status": await asyncio.to_thread(self.deliveries.sender.replay)})

    # -- rendering ------------------------------------------------------------------------------
    def _user(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        u = self.state.users[self.state.me]
        return {"user": {k: u[k] for k in ("id", "username", "email", "color", "profilePicture", "initials")}}

    def _teams(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        members = [{"user": dict(u)} for u in self.state.users.values()]
        team = {"id": TEAM_ID, "name": "Acme Corp", "color": "#7b68ee", "avatar": None, "members": members}
        return {"teams": [team]}

    def _check_team(self, team_id: str) -> None:
        if team_id != TEAM_ID:
            raise ClickUpError(401, "Team not authorized", "OAUTH_023")

    def _space_of(self, sid: str) -> dict[str, Any]:
        space = self.state.spaces.get(sid)
        if space is None:
            raise ClickUpError(404, "Space not found", "PROJ_005")
        return space

    @staticmethod
    def _space_out(space: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in space.items() if k != "tags"}

    def _spaces(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        self._check_team(p["team_id"])
        archived = _flag(q, "archived")
        return {"spaces": [self._space_out(s) for s in self.state.spaces.values() if s["archived"] == archived]}

    def _space(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        return self._space_out(self._space_of(p["space_id"]))

    def _tags(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        return {"tags": list(self._space_of(p["space_id"])["tags"])}

    def _folder_out(self, fid: str, with_lists: bool) -> dict[str, Any]:
        st = self.state
        lists = [lst for lst in st.lists.values() if lst.folder_id == fid]
        out = {**st.folders[fid], "task_count": str(sum(len(self._counted(lst)) for lst in lists))}
        if with_lists:  # a folder embeds its lists (the ones not archived)
            out["lists"] = [self._list_out(lst, in_folder=True) for lst in lists if not lst.data["archived"]]
        return out

    def _folders(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        self._space_of(p["space_id"])
        archived = _flag(q, "archived")
        return {
            "folders": [
                self._folder_out(fid, True)
                for fid, f in self.state.folders.items()
                if f["space"]["id"] == p["space_id"] and f["archived"] == archived
            ]
        }

    def _folder(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        if p["folder_id"] not in self.state.folders:
            raise ClickUpError(404, "Folder not found", "FOLD_005")
        return self._folder_out(p["folder_id"], True)

    def _counted(self, lst: ClickUpList) -> list[Task]:
        """What ClickUp counts as the list's tasks: live, not archived, subtasks included."""
        return [t for t in self.state.live(lst.id) if not t.data["archived"]]

    def _list_out(self, lst: ClickUpList, *, in_folder: bool = False) -> dict[str, Any]:
        out = {**lst.data, "task_count": str(len(self._counted(lst)))}  # a string, as described
        if not in_folder or lst.data["override_statuses"]:
            out["statuses"] = [dict(s) for s in lst.statuses]
        return out

    def _lists_of(self, folder: str | None, space: str | None, archived: bool) -> list[dict[str, Any]]:
        return [
            self._list_out(lst)
            for lst in self.state.lists.values()
            if lst.folder_id == folder and (space is None or lst.space_id == space) and lst.data["archived"] == archived
        ]

    def _folder_lists(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        if p["folder_id"] not in self.state.folders:
            raise ClickUpError(404, "Folder not found", "FOLD_005")
        return {"lists": self._lists_of(p["folder_id"], None, _flag(q, "archived"))}

    def _folderless(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        self._space_of(p["space_id"])
        return {"lists": self._lists_of(None, p["space_id"], _flag(q, "archived"))}

    def _list_of(self, lid: str) -> ClickUpList:
        lst = self.state.lists.get(lid)
        if lst is None:
            raise ClickUpError(404, "List not found", "SUBCAT_016")
        return lst

    def _list(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        return self._list_out(self._list_of(p["list_id"]))

    def _fields(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        lst = self._list_of(p["list_id"])
        return {"fields": [dict(self.state.fields[f]) for f in lst.fields]}

    def task_out(self, task: Task, base: str, *, full: bool = False, markdown: bool = False) -> dict[str, Any]:
        st = self.state
        d = task.data
        lst = st.lists[task.list_id]
        space = st.spaces[lst.space_id]
        tags = {n: (fg, bg) for n, fg, bg in TAGS}
        values = []
        for fid in lst.fields:
            f = dict(st.fields[fid])
            if fid in d["values"]:
                v = d["values"][fid]
                f["value"] = [self._person(u) for u in v] if f["type"] == "users" else v
            values.append(f)
        out: dict[str, Any] = {
            **{k: v for k, v in d.items() if k not in HELD_BACK},
            "creator": self._person(d["creator"]),
            "assignees": [self._person(u) for u in d["assignees"]],
            "watchers": [self._person(u) for u in d["watchers"]],
            "tags": [{"name": n, "tag_fg": tags[n][0], "tag_bg": tags[n][1], "creator": st.me} for n in d["tags"]],
            "priority": (
                {
                    "id": d["priority"][0],
                    "priority": d["priority"][1],
                    "color": d["priority"][2],
                    "orderindex": d["priority"][0],
                }
                if d["priority"]
                else None
            ),
            "custom_fields": values,
            "locations": [],
            "sharing": {"public": False, "public_share_expires_on": None, "token": None, "seo_optimized": False},
            "team_id": TEAM_ID,
            "url": f"https://app.clickup.com/t/{task.id}",
            "permission_level": "create",
            "list": {"id": lst.id, "name": lst.data["name"], "access": True},
            "project": {
                "id": lst.data["folder"]["id"],
                "name": lst.data["folder"]["name"],
                "hidden": False,
                "access": True,
            },
            "folder": {
                "id": lst.data["folder"]["id"],
                "name": lst.data["folder"]["name"],
                "hidden": False,
                "access": True,
            },
            "space": {"id": space["id"]},
        }
        if markdown:
            out["markdown_description"] = d["markdown_description"]
        if not full and d["time_estimate"] is not None:  # a string in listings, a number in Get Task
            out["time_estimate"] = str(d["time_estimate"])
        if full:
            out["attachments"] = [self._attachment_out(a, base) for a in task.attachments]
        if task.id in self.bad_tasks:
            out["name"] = 404
            out["date_created"] = {"not": "a timestamp"}
        return out

    def _person(self, uid: int) -> dict[str, Any]:
        u = self.state.users[uid]
        return {k: u[k] for k in ("id", "username", "color", "initials", "email", "profilePicture")}

    def _attachment_out(self, att: dict[str, Any], base: str) -> dict[str, Any]:
        # another host than the API's, as ClickUp's attachment host is
        files = base.replace("://127.0.0.1:", "://localhost:")
        team, uid, name = att["url_path"].split("/", 2)
        url = f"{files}/_files/{team}/{uid}/{quote(name)}"
        return {**{k: v for k, v in att.items() if k != "url_path"}, "url": url}

    def _tasks(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        lst = self._list_of(p["list_id"])
        try:
            page = int(q.get("page", "0"))
            since = int(q["date_updated_gt"]) if "date_updated_gt" in q else None
        except ValueError:
            raise ClickUpError(400, "Invalid page or date", "INPUT_003") from None
        archived, closed, subtasks = _flag(q, "archived"), _flag(q, "include_closed"), _flag(q, "subtasks")
        tasks = [
            t
            for t in self.state.live(lst.id)
            if t.data["archived"] == archived
            and (closed or t.data["status"]["type"] not in ("closed", "done"))
            and (subtasks or not t.data["parent"])
            and (since is None or int(t.data["date_updated"]) > since)
        ]
        order = q.get("order_by", "created")
        field = {"updated": "date_updated", "due_date": "due_date"}.get(order, "date_created")
        # newest first, as ClickUp orders them by default: a subtask may come before its parent
        tasks.sort(key=lambda t: (int(t.data.get(field) or 0), t.id), reverse=not _flag(q, "reverse"))
        chunk = tasks[page * TASK_PAGE : (page + 1) * TASK_PAGE]
        return {
            "tasks": [self.task_out(t, base, markdown=_flag(q, "include_markdown_description")) for t in chunk],
            "last_page": (page + 1) * TASK_PAGE >= len(tasks),
        }

    def _task_of(self, tid: str) -> Task:
        task = self.state.tasks.get(tid)
        if task is None or task.deleted:
            raise ClickUpError(404, "Task not found, deleted", "ITEM_013")
        return task

    def _task(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        task = self._task_of(p["task_id"])
        out = self.task_out(task, base, full=True, markdown=_flag(q, "include_markdown_description"))
        if _flag(q, "include_subtasks"):
            out["subtasks"] = [
                self.task_out(t, base) for t in self.state.live(task.list_id) if t.data["parent"] == task.id
            ]
        return out

    @staticmethod
    def _comment_out(c: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in c.items() if k != "replies"}

    def _comments(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        task = self._task_of(p["task_id"])
        ordered = sorted(task.comments, key=lambda c: (int(c["date"]), int(c["id"])), reverse=True)
        if "start" in q or "start_id" in q:
            try:
                after = (int(q["start"]), int(q["start_id"]))
            except (KeyError, ValueError):
                raise ClickUpError(400, "start and start_id go together", "INPUT_003") from None
            ordered = [c for c in ordered if (int(c["date"]), int(c["id"])) < after]
        return {"comments": [self._comment_out(c) for c in ordered[:COMMENT_PAGE]]}

    def _replies(self, p: dict[str, str], q: dict[str, str], base: str) -> Any:
        cid = p["comment_id"]
        tid = self.state.comment_task.get(cid)
        task = self.state.tasks.get(tid or "")
        parent = next((c for c in task.comments if c["id"] == cid), None) if task and not task.deleted else None
        if parent is None:
            raise ClickUpError(404, "Comment not found", "COMM_004")
        return {"comments": [self._comment_out(r) for r in sorted(parent["replies"], key=lambda r: int(r["date"]))]}

    # -- files ----------------------------------------------------------------------------------
    async def _file(self, request: Request) -> Response:
        """The attachment host: the file by its path; a token is neither needed nor refused."""
        uid = request.path_params["uid"]
        name = unquote(request.path_params["name"])
        with self.lock:
            att = next(
                (a for a in self.state.attachments.values() if a["id"].startswith(uid + ".")),
                None,
            )
            live = att is not None and not self.state.tasks[att["parent_id"]].deleted
        if att is None or not live or att["title"] != name:
            return Response("<Error><Code>NoSuchKey</Code></Error>", status_code=404, media_type="application/xml")
        if att["id"] in self.bad_files:
            return Response("<Error><Code>InternalError</Code></Error>", status_code=500, media_type="application/xml")
        size = att["size"]
        start, status, headers = 0, 200, {}
        rng = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if rng and 0 < int(rng.group(1)) < size:
            start, status = int(rng.group(1)), 206
            headers["content-range"] = f"bytes {start}-{size - 1}/{size}"
        headers.update({"content-length": str(size - start), "accept-ranges": "bytes"})
        return StreamingResponse(
            file_chunks(self.state.seed, att["id"], size, start),
            status_code=status,
            media_type=att["mimetype"],
            headers=headers,
        )

    # -- /_sandbox ------------------------------------------------------------------------------
    def reset_state(self, body: dict[str, Any]) -> None:
        seed = int(body.get("seed", self.seed))
        scale = str(body.get("scale", self.scale))
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}")
        self.seed, self.scale = seed, scale
        self.state = build_state(seed, scale)
        self.bad_tasks, self.bad_files = set(), set()

    def _open_tasks(self) -> list[Task]:
        st = self.state
        return [
            t
            for lst in st.lists.values()
            if not st.list_archived(lst)
            for t in st.live(lst.id)
            if not t.data["archived"]
        ]

    async def _corrupt(self, request: Request) -> Response:
        """`{}` or `{"mode": "bad_task"}`: one open top-level task goes out malformed;
        `{"mode": "bad_file"}`: one file's download fails every time."""
        body = await request.json() if await request.body() else {}
        mode = body.get("mode", "bad_task")
        rng = random.Random(self.seed + 7)
        with self.lock:
            if mode == "bad_file":
                live = {t.id for t in self._open_tasks()}
                att_id = str(
                    body.get("attachment_id")
                    or next(
                        a
                        for a in sorted(self.state.attachments)
                        if self.state.attachments[a]["parent_id"] in live and self.state.attachments[a]["size"]
                    )
                )
                self.bad_files.add(att_id)
                return JSONResponse({"mode": mode, "attachment_id": att_id, "ref": f"clickup:attachment:{att_id}"})
            if mode != "bad_task":
                return JSONResponse({"error": "mode must be bad_task or bad_file"}, status_code=400)
            tops = sorted(t.id for t in self._open_tasks() if not t.data["parent"])
            tid = str(body.get("task_id") or rng.choice(tops))
            self.bad_tasks.add(tid)
        return JSONResponse({"mode": mode, "task_id": tid, "ref": f"clickup:task:{tid}"})

    async def _mutate(self, request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        with self.lock:
            changed = self.mutate(float(body.get("fraction", 0.01)), int(body.get("seed", 0)))
        return JSONResponse({"changed": changed})

    def mutate(self, fraction: float, seed: int = 0) -> list[str]:
        """Edit that fraction of open tasks (name, description or status), each with a new
        `date_updated`."""
        rng = random.Random(seed)
        live = sorted(t.id for t in self._open_tasks())
        picked = rng.sample(live, max(1, round(fraction * len(live)))) if live else []
        now = str(int(time.time() * 1000))
        for tid in picked:
            d = self.state.tasks[tid].data
            choice = rng.choice(["name", "description", "status"])
            if choice == "name":
                d["name"] = (d["name"] or "Untitled") + " (edited)"
            elif choice == "description":
                d["description"] = d["text_content"] = d["description"] + "\n\nUpdated after review."
                d["markdown_description"] = (d["markdown_description"] or "") + "\n\nUpdated after *review*."
            else:
                lst = self.state.lists[self.state.tasks[tid].list_id]
                s = rng.choice([s for s in lst.statuses if s["id"] != d["status"]["id"]])
                d["status"] = {k: s[k] for k in ("id", "status", "color", "orderindex", "type")}
            d["date_updated"] = now
            event = "taskStatusUpdated" if choice == "status" else "taskUpdated"
            self.state.changed(self.state.tasks[tid], event, choice, None, d[choice])
        return picked

    async def _delete(self, request: Request) -> Response:
        """Delete a task (and its subtasks), as a person would in ClickUp."""
        body = await request.json()
        tid = str(body["task_id"])
        with self.lock:
            gone = [tid]
            for t in self.state.tasks.values():
                if t.data["top_level_parent"] == tid or t.data["parent"] == tid:
                    gone.append(t.id)
            for g in gone:
                self.state.tasks[g].deleted = True
                self.state.changed(self.state.tasks[g], "taskDeleted")
        return JSONResponse({"deleted": gone})

    # -- what the sandbox holds -----------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        st = self.state
        return {
            "seed": st.seed,
            "scale": st.scale,
            "team": TEAM_ID,
            "lists": [
                {
                    "id": lst.id,
                    "name": lst.data["name"],
                    "archived": st.list_archived(lst),
                    "tasks": [t.id for t in st.live(lst.id)],
                }
                for lst in st.lists.values()
            ],
            "tasks": [
                {
                    "id": t.id,
                    "name": t.data["name"],
                    "list": t.list_id,
                    "parent": t.data["parent"],
                    "archived": t.data["archived"],
                    "status": t.data["status"]["status"],
                    "comments": [c["id"] for c in t.comments] + [r["id"] for c in t.comments for r in c["replies"]],
                    "attachments": [a["id"] for a in t.attachments],
                    "checklist_items": sum(len(c["items"]) for c in t.data["checklists"]),
                    "values": sorted(t.data["values"]),
                    "corrupt": t.id in self.bad_tasks,
                }
                for t in st.tasks.values()
                if not t.deleted
            ],
            "attachments": [
                {
                    **{k: a[k] for k in ("id", "title", "size", "mimetype", "parent_id")},
                    "sha256": st.attachment_sha256(a["id"]),
                }
                for a in st.attachments.values()
                if not st.tasks[a["parent_id"]].deleted
            ],
        }

    def manifest(self) -> Manifest:
        """One entry per object the sandbox holds, its `ref` the source key our provenance
        marker writes: lists (container), their statuses (stage), top-level tasks (item),
        subtasks (subitem), comments and replies, attachments, checklist items and custom-field
        values. Archived: an archived list (or one in an archived folder or Space), or an
        archived task. Deleted tasks are held by no one and are absent."""
        st = self.state
        out = Manifest("clickup")
        for lst in st.lists.values():
            gone = st.list_archived(lst)
            out.add("container", "list", lst.id, archived=gone)
            for s in lst.statuses:
                out.add("stage", "status", f"{lst.id}.{s['id']}", archived=gone)
            for t in st.live(lst.id):
                archived = gone or bool(t.data["archived"])
                out.add("subitem" if t.data["parent"] else "item", "task", t.id, archived=archived)
                for c in t.comments:
                    out.add("comment", "comment", c["id"], archived=archived)
                    for r in c["replies"]:
                        out.add("comment", "comment", r["id"], archived=archived)
                for a in t.attachments:
                    out.add("attachment", "attachment", a["id"], archived=archived)
                for cl in t.data["checklists"]:
                    for i in cl["items"]:
                        out.add("checklist_item", "checklist_item", i["id"], archived=archived)
                for f in t.data["values"]:
                    out.add("field_value", "field_value", f"{t.id}.{f}", archived=archived)
        return out


def build(seed: int = 1, scale: str = "small", **kw: Any) -> ClickUpSandbox:
    return ClickUpSandbox(seed=seed, scale=scale, **kw)
