"""The Process Street sandbox's API routes (GET), each answering in the shape its OpenAPI
operation gives: the list key of each endpoint (`workflows`, `tasks`, `fields`, `users`,
`assignees`, `approvals`, `options` or `data`), HATEOAS `links` on every resource, and
pages of 20 followed by the opaque `_` cursor of the `next` link. Errors are
`{"error", "errorCode", "requestId"}` (raised as `PSError`)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from adapters.processstreet.sandbox_state import PSState, Run, Workflow, iso

API = "/api/v1.1"
PAGE = 20
SEARCH_CAP = 200  # GET /workflow-runs: "the latest 200 workflow runs", never paged
CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    402: "PaymentRequired",
    403: "Forbidden",
    404: "NotFound",
    429: "RateLimited",
    500: "InternalError",
}


class PSError(Exception):
    def __init__(self, status: int, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    def body(self, request_id: str = "sbx") -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message, "errorCode": CODES.get(self.status, "BadRequest")}
        out["requestId"] = request_id
        if self.details:
            out["details"] = self.details
        return out


@dataclass
class Ctx:
    """One request: the state, its path parameters and query, where it was asked (for links),
    and the sandbox's switches (a run rendered malformed, files whose storage fails)."""

    st: PSState
    params: dict[str, str]
    query: dict[str, str]
    base: str  # scheme://host:port
    path: str  # the request's path under the API root
    file_url: Callable[[str, str], str]  # (file id, name) -> its signed download link
    bad_runs: set[str] = field(default_factory=set)

    def link(self, name: str, path: str, rel: str | None = None) -> dict[str, str]:
        out = {"name": name, "href": f"{self.base}{API}{path}", "type": "Api"}
        if rel:
            out["rel"] = rel
        return out

    def app(self, path: str) -> dict[str, str]:
        return {"name": "app", "href": f"https://app.process.st{path}", "type": "App"}


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        offset = json.loads(raw)["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise PSError(400, "Invalid pagination cursor.") from None


def page(ctx: Ctx, key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of 20 from `_`, and a `next` link (with the same filters) while more remain."""
    start = _offset(ctx.query.get("_"))
    links = [ctx.link("self", ctx.path + _query(ctx.query))]
    if start + PAGE < len(records):
        links.append(ctx.link("next", ctx.path + _query({**ctx.query, "_": _cursor(start + PAGE)})))
    return {key: records[start : start + PAGE], "links": links}


def _query(q: dict[str, str]) -> str:
    return "?" + urlencode(q, quote_via=quote) if q else ""


# -- rendering ------------------------------------------------------------------------------
def user(st: PSState, uid: str) -> dict[str, str]:
    return st.user_ref(uid)


def workflow(ctx: Ctx, wf: Workflow) -> dict[str, Any]:
    out = {k: wf.data[k] for k in ("id", "audit", "name")}
    if wf.data.get("description"):
        out["description"] = wf.data["description"]
    out["links"] = [
        ctx.link("self", f"/workflows/{wf.id}", "Workflow"),
        ctx.link("tasks", f"/workflows/{wf.id}/tasks", "Tasks"),
        ctx.app(f"/workflows/{wf.id}"),
    ]
    return out


def task_template(ctx: Ctx, t: dict[str, Any]) -> dict[str, Any]:
    out = {k: t[k] for k in ("id", "audit", "workflowId", "orderTree", "stopTask", "hiddenByDefault", "taskType")}
    out["name"] = t["name"]
    out["links"] = [ctx.link("workflow", f"/workflows/{t['workflowId']}", "Workflow")]
    return out


def form_field(ctx: Ctx, f: dict[str, Any]) -> dict[str, Any]:
    out = {k: f[k] for k in ("id", "audit", "taskId", "fieldType", "key", "dataSetLinked")}
    if f["label"]:
        out["label"] = f["label"]
    out["links"] = []
    return out


def run(ctx: Ctx, r: Run) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in r.data.items() if v is not None}
    out["links"] = [
        ctx.link("self", f"/workflow-runs/{r.id}", "Workflow Run"),
        ctx.link("tasks", f"/workflow-runs/{r.id}/tasks", "Tasks"),
        ctx.link("form-field-values", f"/workflow-runs/{r.id}/form-fields", "Form Field Values"),
        ctx.link("workflow", f"/workflows/{r.data['workflowId']}", "Workflow"),
        ctx.app(f"/runs/{r.id}"),
    ]
    if r.id in ctx.bad_runs:  # a record the API sent malformed: a status no enum knows, a name that is no text
        out["status"] = 7
        out["name"] = {"text": out.get("name")}
    return out


def run_task(ctx: Ctx, t: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in t.items() if k != "templateId"}
    out["links"] = [
        ctx.link("self", f"/workflow-runs/{t['workflowRunId']}/tasks/{t['id']}", "Task"),
        ctx.link("workflow-run", f"/workflow-runs/{t['workflowRunId']}", "Workflow Run"),
    ]
    return out


def value(ctx: Ctx, r: Run, f: dict[str, Any], task_of: dict[str, str]) -> dict[str, Any]:
    st = ctx.st
    data = r.values[f["id"]]
    links: list[dict[str, str]] = []
    if f["fieldType"] in ("File", "MultiFile"):  # a file's value: its name, type and size, and a link to its bytes
        files = [st.files[x] for x in data]
        data = [{"id": x["id"], "name": x["name"], "mimeType": x["mime"], "size": x["size"]} for x in files]
        links = [
            {"name": "file", "href": ctx.file_url(x["id"], x["name"]), "type": "App", "rel": "Form Field Values"}
            for x in files
        ]
    out: dict[str, Any] = {
        "id": f["id"],
        "updatedDate": iso(r.value_dates.get(f["id"], 0)),
        "updatedBy": user(st, next(iter(st.users))),
        "workflowRunId": r.id,
        "taskId": task_of.get(f["taskId"], f["taskId"]),
        "key": f["key"],
        "data": data,
        "fieldType": f["fieldType"],
        "dataSetLinked": f["dataSetLinked"],
        "links": links,
    }
    if f["label"]:
        out["label"] = f["label"]
    return out


def comment(ctx: Ctx, c: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in c.items() if k != "workflowId"}
    out["links"] = [ctx.link("workflow-run", f"/workflow-runs/{c['workflowRunId']}", "Workflow Run")]
    return out


def attachment(ctx: Ctx, a: dict[str, Any]) -> dict[str, Any]:
    # HATEOAS: the bytes are at the `file` link (a signed URL on the file host), not in the record
    return {
        **a,
        "links": [
            {"name": "file", "href": ctx.file_url(a["id"], a["fileName"]), "type": "App"},
            ctx.link("workflow-run", f"/workflow-runs/{a['workflowRunId']}", "Workflow Run"),
        ],
    }


# -- lookups ----------------------------------------------------------------------------------
def _workflow(ctx: Ctx) -> Workflow:
    wf = ctx.st.workflows.get(ctx.params["workflowId"])
    if wf is None:
        raise PSError(404, "Workflow not found.")
    return wf


def _run(ctx: Ctx) -> Run:
    r = ctx.st.runs.get(ctx.params["workflowRunId"])
    if r is None or r.status == "Deleted":
        raise PSError(404, "Workflow run not found.")
    return r


def _live_runs(st: PSState) -> list[Run]:
    return [r for r in st.runs.values() if r.status != "Deleted"]


# -- routes -----------------------------------------------------------------------------------
def test_auth(ctx: Ctx) -> dict[str, Any]:
    return {"apiKeyLabel": ctx.st.api_key_label}


def list_users(ctx: Ctx) -> dict[str, Any]:
    users = sorted(ctx.st.users.values(), key=lambda u: u["username"])
    return page(ctx, "users", [dict(u) for u in users])


def list_folders(ctx: Ctx) -> dict[str, Any]:
    folders = [{**f, "links": [ctx.app(f"/folders/{f['id']}")]} for f in ctx.st.folders.values()]
    return page(ctx, "data", [{k: v for k, v in f.items() if v is not None} for f in folders])


def list_workflows(ctx: Ctx) -> dict[str, Any]:
    name = ctx.query.get("name", "").lower()
    wfs = sorted(ctx.st.workflows.values(), key=lambda w: w.data["name"])
    return page(ctx, "workflows", [workflow(ctx, w) for w in wfs if name in w.data["name"].lower()])


def get_workflow(ctx: Ctx) -> dict[str, Any]:
    return {"data": workflow(ctx, _workflow(ctx)), "links": []}


def list_workflow_tasks(ctx: Ctx) -> dict[str, Any]:
    return page(ctx, "tasks", [task_template(ctx, t) for t in _workflow(ctx).published.tasks])


def list_revisions(ctx: Ctx) -> dict[str, Any]:
    wf = _workflow(ctx)
    status = ctx.query.get("status")
    out = []
    for rev in reversed(wf.revisions):  # newest first
        if status and rev.status != status:
            continue
        by = wf.data["audit"]["createdBy"]
        out.append(
            {
                "id": rev.id,
                "createdDate": iso(rev.created),
                "createdBy": by,
                "updatedDate": iso(rev.created),
                "updatedBy": by,
                "workflowId": wf.id,
                "version": str(rev.version),
                "status": rev.status,
                "links": [ctx.link("tasks", f"/workflows/{wf.id}/revisions/{rev.id}/tasks", "Tasks")],
            }
        )
    return page(ctx, "data", out)


def list_revision_tasks(ctx: Ctx) -> dict[str, Any]:
    wf = _workflow(ctx)
    rev = next((r for r in wf.revisions if r.id == ctx.params["revisionId"]), None)
    if rev is None:
        raise PSError(404, "Workflow revision not found.")
    kind = ctx.query.get("taskType")
    return page(ctx, "data", [task_template(ctx, t) for t in rev.tasks if not kind or t["taskType"] == kind])


def list_form_fields(ctx: Ctx) -> dict[str, Any]:
    return page(ctx, "fields", [form_field(ctx, f) for f in _workflow(ctx).fields])


def list_options(ctx: Ctx) -> dict[str, Any]:
    f = ctx.st.field(_workflow(ctx), ctx.params["formFieldId"])
    if f is None:
        raise PSError(404, "Form field not found.")
    return page(ctx, "options", [dict(o) for o in f["options"]])


def list_runs(ctx: Ctx) -> dict[str, Any]:
    """Runs newest first by creation, deleted ones never; `status` one of Active, Completed,
    Archived (Deleted is refused); an unknown workflow is an empty page."""
    status = ctx.query.get("status")
    if status and status not in ("Active", "Completed", "Archived"):
        raise PSError(400, f"Invalid status '{status}'.", {"status": "must be Active, Completed or Archived"})
    wid = ctx.query.get("workflowId")
    runs = [r for r in _live_runs(ctx.st) if (not wid or r.data["workflowId"] == wid)]
    runs = [r for r in runs if not status or r.status == status]
    runs.sort(key=lambda r: (r.data["audit"]["createdDate"], r.id), reverse=True)
    return page(ctx, "data", [run(ctx, r) for r in runs])


def search_runs(ctx: Ctx) -> dict[str, Any]:
    """The run search: the latest 200 by update, Active unless asked otherwise, never paged."""
    status = ctx.query.get("status", "Active")
    wid = ctx.query.get("workflowId")
    runs = [r for r in _live_runs(ctx.st) if r.status == status and (not wid or r.data["workflowId"] == wid)]
    runs.sort(key=lambda r: r.data["audit"]["updatedDate"], reverse=True)
    return {"workflowRuns": [run(ctx, r) for r in runs[:SEARCH_CAP]]}


def get_run(ctx: Ctx) -> dict[str, Any]:
    return run(ctx, _run(ctx))


def list_run_tasks(ctx: Ctx) -> dict[str, Any]:
    return page(ctx, "tasks", [run_task(ctx, t) for t in _run(ctx).tasks])


def list_run_assignees(ctx: Ctx) -> dict[str, Any]:
    return page(ctx, "assignees", [user(ctx.st, u) for u in _run(ctx).assignees])


def list_task_assignees(ctx: Ctx) -> dict[str, Any]:
    r = _run(ctx)
    if not any(t["id"] == ctx.params["taskId"] for t in r.tasks):
        raise PSError(404, "Task not found.")
    return {"assignees": [user(ctx.st, u) for u in r.task_assignees.get(ctx.params["taskId"], [])]}


def list_approvals(ctx: Ctx) -> dict[str, Any]:
    r = _run(ctx)
    return page(ctx, "approvals", [{**a, "links": []} for a in r.approvals])


def list_values(ctx: Ctx) -> dict[str, Any]:
    r = _run(ctx)
    wf = ctx.st.workflows[r.data["workflowId"]]
    task_of = {t["templateId"]: t["id"] for t in r.tasks}
    return page(ctx, "fields", [value(ctx, r, f, task_of) for f in wf.fields if f["id"] in r.values])


def list_tasks_by_assignee(ctx: Ctx) -> dict[str, Any]:
    email = ctx.query.get("assigneeEmail", "").lower()
    if not email:
        raise PSError(400, "assigneeEmail is required.", {"assigneeEmail": "required"})
    uid = next((u for u, rec in ctx.st.users.items() if rec["email"].lower() == email), None)
    wid = ctx.query.get("workflowId")
    out = []
    for r in _live_runs(ctx.st):
        if wid and r.data["workflowId"] != wid:
            continue
        for t in r.tasks:
            if uid in r.task_assignees.get(t["id"], []):
                out.append(run_task(ctx, t))
    out.sort(key=lambda t: (t.get("dueDate") or "9999", t["id"]))
    return page(ctx, "tasks", out)


def _filtered(ctx: Ctx, records: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    wid, rid, tid = (ctx.query.get(k) for k in ("workflowId", "workflowRunId", "taskId"))
    if not wid and not rid:
        raise PSError(400, f"Provide either workflowId, or workflowRunId to list {what}.")
    live = {r.id for r in _live_runs(ctx.st)}
    out = [
        c
        for c in records
        if c["workflowRunId"] in live
        and (not wid or c["workflowId"] == wid)
        and (not rid or c["workflowRunId"] == rid)
        and (not tid or c["taskId"] == tid)
    ]
    out.sort(key=lambda c: (c["createdDate"], c["id"]), reverse=True)  # newest first
    return out


def list_comments(ctx: Ctx) -> dict[str, Any]:
    found = _filtered(ctx, list(ctx.st.comments.values()), "comments")
    return page(ctx, "data", [comment(ctx, c) for c in found])


def get_comment(ctx: Ctx) -> dict[str, Any]:
    c = ctx.st.comments.get(ctx.params["commentId"])
    if c is None:
        raise PSError(404, "Comment not found.")
    return {"data": comment(ctx, c), "links": []}


def list_attachments(ctx: Ctx) -> dict[str, Any]:
    by = ctx.query.get("createdById")
    found = _filtered(ctx, list(ctx.st.attachments.values()), "attachments")
    return page(ctx, "data", [attachment(ctx, a) for a in found if not by or a["createdBy"]["id"] == by])


ROUTES: list[tuple[str, Callable[[Ctx], dict[str, Any]]]] = [
    ("/testAuth", test_auth),
    ("/users", list_users),
    ("/folders", list_folders),
    ("/workflows", list_workflows),
    ("/workflows/{workflowId}", get_workflow),
    ("/workflows/{workflowId}/tasks", list_workflow_tasks),
    ("/workflows/{workflowId}/revisions", list_revisions),
    ("/workflows/{workflowId}/revisions/{revisionId}/tasks", list_revision_tasks),
    ("/workflows/{workflowId}/form-fields", list_form_fields),
    ("/workflows/{workflowId}/form-fields/{formFieldId}/options", list_options),
    ("/workflow-runs", search_runs),
    ("/workflow-runs/list", list_runs),
    ("/workflow-runs/{workflowRunId}", get_run),
    ("/workflow-runs/{workflowRunId}/tasks", list_run_tasks),
    ("/workflow-runs/{workflowRunId}/assignees", list_run_assignees),
    ("/workflow-runs/{workflowRunId}/tasks/{taskId}/assignees", list_task_assignees),
    ("/workflow-runs/{workflowRunId}/approvals", list_approvals),
    ("/workflow-runs/{workflowRunId}/form-fields", list_values),
    ("/tasks", list_tasks_by_assignee),
    ("/comments", list_comments),
    ("/comments/{commentId}", get_comment),
    ("/attachments", list_attachments),
]
_COMPILED = [
    (template, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"), handler)
    for template, handler in ROUTES
]


def resolve(path: str) -> tuple[str, Callable[[Ctx], dict[str, Any]], dict[str, str]] | None:
    """The route for a GET path: literal segments win over parameters (`/workflow-runs/list`)."""
    found = [(t, h, m.groupdict()) for t, rx, h in _COMPILED if (m := rx.match(path))]
    if not found:
        return None
    return min(found, key=lambda f: len(f[2]))
