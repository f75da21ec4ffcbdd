"""The Tallyfy sandbox's process routes: launch, update, archive/delete, process tasks and
their form values, completion, and comments (threads) on any task.

The launch and taskdata rules are where migrations silently lose data on the real API
(reference A2.5-6, A8.6-7): unknown `prerun`/`taskdata` keys are dropped with a success
status, a `prerun` list is a 422, a missing required kick-off field is a 422 naming it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.tallyfy import sandbox_views as v
from adapters.tallyfy.sandbox_routes import Call, Reply, listing, route
from adapters.tallyfy.sandbox_rules import ApiError, invalid, is_empty, require_str, resource_not_found, value_errors
from adapters.tallyfy.sandbox_state import Run, Task, Template

COMMENT_LABELS = ("comment", "problem", "resolve", "improvement", "advice")
COMMENT_STATES = ("open", "hide-for-guests", "collapsed")


def run_or_404(c: Call, key: str = "id") -> Run:
    r = c.st.runs.get(c.args[key])
    if r is None:
        raise resource_not_found()
    return r


def run_task_or_404(c: Call) -> tuple[Run, Task]:
    r = run_or_404(c)
    t = c.st.tasks.get(c.args["task"])
    if t is None or t.run_id != r.id or t.deleted_at is not None:
        raise resource_not_found()
    return r, t


def _prerun_values(t: Template, raw: Any, *, launching: bool) -> dict[str, Any]:
    """Keep the values whose key is a kick-off field's timeline id (others are dropped,
    as the real API does with a 201), validate them, and on launch require the required."""
    if raw is None or raw == [] or raw == {}:
        raw = {}
    if not isinstance(raw, dict):
        raise invalid({"prerun": "The prerun must be an object keyed by kick-off field id."})
    known = {f.id: f for f in t.prerun}
    kept = {k: val for k, val in raw.items() if k in known}
    errs: dict[str, list[str]] = {}
    for k, val in kept.items():
        errs.update(value_errors(known[k], val, f"prerun.{k}"))
    if launching:
        for f in t.prerun:
            if f.required and is_empty(kept.get(f.id)):
                errs[f"prerun.{f.id}"] = [f"{f.label} is required"]
    if errs:
        raise invalid(errs, next(iter(errs.values()))[0])
    return kept


def _tag_ids(c: Call, raw: Any) -> list[str]:
    if not isinstance(raw, list):
        raise invalid({"tags": "The tags must be an array."})
    for i, tid in enumerate(raw):
        if tid not in c.st.tags:
            raise invalid({f"tags.{i}": f"The selected tags.{i} is invalid."})
    return list(dict.fromkeys(raw))


@route("GET", "/runs")
def list_runs(c: Call) -> Reply:
    runs = list(c.st.runs.values())
    cid = c.params.get("checklist_id") or c.params.get("blueprint_id")
    if cid:
        runs = [r for r in runs if r.checklist_id == cid]
    status = c.params.get("status")
    runs = [r for r in runs if r.status == status] if status else [r for r in runs if r.status != "archived"]
    q = c.params.get("q", "").lower()
    if q:
        runs = [r for r in runs if q in r.name.lower()]
    runs.sort(key=lambda r: r.created_at, reverse=True)
    return listing(c, runs, lambda r: v.run(c.st, r, c.inc))


@route("POST", "/runs")
def launch_run(c: Call) -> Reply:
    cid = c.body.get("checklist_id")
    if not cid:
        raise invalid({"checklist_id": "The checklist id field is required."})
    t = c.st.templates.get(cid) if isinstance(cid, str) else None
    if t is None or t.archived_at is not None:
        raise invalid({"checklist_id": "The selected checklist id is invalid."})
    name = (
        require_str(c.body, "name", max_len=550, required=False)
        or f"{t.title} - {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')}"
    )
    summary = require_str(c.body, "summary", required=False)
    prerun = _prerun_values(t, c.body.get("prerun"), launching=True)
    tags = _tag_ids(c, c.body.get("tags") or [])
    owner = c.body.get("owner_id") if c.body.get("owner_id") in c.st.users else None
    r = c.st.launch(t, name, summary, prerun, tags, owner_id=owner)
    given = c.body.get("tasks")
    overrides = given if isinstance(given, dict) else {}
    for task in c.st.run_tasks(r):
        o = overrides.get(task.step_id or "")
        if isinstance(o, dict):
            if isinstance(o.get("owners"), dict):
                task.owners = {k: list(o["owners"].get(k) or []) for k in ("users", "guests", "groups")}
            if o.get("deadline"):
                task.deadline = str(o["deadline"])
    return 201, {"data": v.run(c.st, r, c.inc)}


@route("GET", "/runs/{id}")
def get_run(c: Call) -> Reply:
    return 200, {"data": v.run(c.st, run_or_404(c), c.inc)}


@route("PUT", "/runs/{id}")
def update_run(c: Call) -> Reply:
    r = run_or_404(c)
    if "name" in c.body:
        r.name = require_str(c.body, "name", max_len=550) or r.name
    if "summary" in c.body:
        r.summary = require_str(c.body, "summary", required=False)
    if "starred" in c.body:
        r.starred = bool(c.body["starred"])
    if "owner_id" in c.body and c.body["owner_id"] in c.st.users:
        r.owner_id = c.body["owner_id"]
    if "tags" in c.body:
        r.tags = _tag_ids(c, c.body["tags"])
    if "prerun" in c.body:
        t = c.st.templates.get(r.checklist_id)
        if t is not None:
            r.prerun.update(_prerun_values(t, c.body["prerun"], launching=False))
    r.updated_at = c.st.now()
    return 200, {"data": v.run(c.st, r, c.inc)}


@route("DELETE", "/runs/{id}")
def archive_run(c: Call) -> Reply:
    """Archive: status archived, and its tasks, threads and assets soft-deleted with it."""
    r = run_or_404(c)
    if r.archived_at is None:
        now = c.st.now()
        r.archived_at, r.status = now, "archived"
        for t in c.st.run_tasks(r):
            t.deleted_at = t.deleted_at or now
            for th in t.threads:
                th.deleted_at = th.deleted_at or now
        for a in c.st.assets_of(r.id, "Run"):
            a.deleted_at = a.deleted_at or now
    return 200, {"data": v.run(c.st, r, c.inc)}


@route("PUT", "/runs/{id}/activate")
def activate_run(c: Call) -> Reply:
    r = run_or_404(c)
    if r.archived_at is not None:
        stamp = r.archived_at
        for t in c.st.run_tasks(r):
            if t.deleted_at == stamp:
                t.deleted_at = None
            for th in t.threads:
                if th.deleted_at == stamp:
                    th.deleted_at = None
        for a in c.st.assets_of(r.id, "Run"):
            if a.deleted_at == stamp:
                a.deleted_at = None
        r.archived_at = None
        r.status = "complete" if r.completed_at else "active"
        r.updated_at = c.st.now()
    return 200, {"data": v.run(c.st, r, c.inc)}


@route("DELETE", "/runs/{id}/delete")
def delete_run(c: Call) -> Reply:
    r = run_or_404(c)
    if r.archived_at is None:
        raise ApiError(
            422,
            {
                "message": "The process must be archived before it can be deleted permanently.",
                "errors": {"run": ["The process must be archived first."]},
            },
        )
    for t in c.st.run_tasks(r):
        for th in t.threads:
            c.st.threads.pop(th.id, None)
        del c.st.tasks[t.id]
    for a in c.st.assets_of(r.id, "Run"):
        c.st.remove_asset(a.id)
    del c.st.runs[r.id]
    return 200, None


# -- process tasks ---------------------------------------------------------------------
@route("GET", "/runs/{id}/tasks")
def list_run_tasks(c: Call) -> Reply:
    r = run_or_404(c)
    return listing(c, [t for t in c.st.run_tasks(r) if t.deleted_at is None], lambda t: v.task(c.st, t, c.inc))


@route("GET", "/runs/{id}/tasks/{task}")
def get_run_task(c: Call) -> Reply:
    _, t = run_task_or_404(c)
    return 200, {"data": v.task(c.st, t, c.inc)}


@route("PUT", "/runs/{id}/tasks/{task}")
def update_run_task(c: Call) -> Reply:
    _, t = run_task_or_404(c)
    if t.status == "completed":
        raise invalid({"task": "A completed task cannot be updated; reopen it first."})
    if "taskdata" in c.body:
        raw = c.body["taskdata"]
        if not isinstance(raw, dict):
            raise invalid({"taskdata": "The taskdata must be an object."})
        known = {f.id: f for f in t.captures}
        kept = {k: val for k, val in raw.items() if k in known}  # unknown keys: dropped, still 200
        errs: dict[str, list[str]] = {}
        for k, val in kept.items():
            errs.update(value_errors(known[k], val, f"taskdata.{k}"))
        if errs:
            raise invalid(errs, next(iter(errs.values()))[0])
        t.taskdata.update(kept)
    if "title" in c.body:
        t.title = require_str(c.body, "title", max_len=600) or t.title
    if "deadline" in c.body:
        t.deadline = c.body["deadline"]
    t.updated_at = c.st.now()
    return 200, {"data": v.task(c.st, t, c.inc)}


def _complete(c: Call, t: Task) -> None:
    if t.status == "completed":
        raise invalid({"task_id": "This task is already completed."})
    missing = [f.label for f in t.captures if f.required and is_empty(t.taskdata.get(f.id))]
    if missing:
        raise invalid({"task_id": [f"{m} is required" for m in missing]}, f"{missing[0]} is required")
    now = c.st.now()
    t.status, t.completed_at, t.completer_id, t.updated_at = "completed", now, c.st.owner_id, now
    if t.run_id:
        r = c.st.runs[t.run_id]
        tasks = c.st.run_tasks(r)
        nxt = next((x for x in tasks if x.status == "not-started"), None)
        if nxt is not None and not any(x.status == "active" for x in tasks):
            nxt.status = "active"
        if all(x.status == "completed" for x in tasks):
            r.status, r.completed_at = "complete", now


@route("POST", "/runs/{id}/completed-tasks")
def complete_run_task(c: Call) -> Reply:
    r = run_or_404(c)
    t = c.st.tasks.get(str(c.body.get("task_id") or ""))
    if t is None or t.run_id != r.id or t.deleted_at is not None:
        raise invalid({"task_id": "The selected task id is invalid."})
    _complete(c, t)
    return 200, {"data": v.task(c.st, t, c.inc)}


@route("DELETE", "/runs/{id}/completed-tasks/{task}")
def reopen_run_task(c: Call) -> Reply:
    """Reopen a completed task (reference A2, tasks/reopen-task); the run is active again."""
    r = run_or_404(c)
    t = c.st.tasks.get(c.args["task"])
    if t is None or t.run_id != r.id or t.deleted_at is not None:
        raise resource_not_found()
    if t.status != "completed":
        raise invalid({"task_id": "This task is not completed."})
    now = c.st.now()
    t.status, t.completed_at, t.completer_id, t.updated_at = "active", None, None, now
    r.status, r.completed_at, r.updated_at = "active", None, now
    return 200, {"data": v.task(c.st, t, c.inc)}


# -- comments --------------------------------------------------------------------------
@route("POST", "/tasks/{task}/comment")
def comment(c: Call) -> Reply:
    c.limits.check_hourly("comments")
    t = c.st.tasks.get(c.args["task"])
    if t is None or t.deleted_at is not None:
        raise resource_not_found()
    content = require_str(c.body, "content") or ""
    label = c.body.get("label") or "comment"
    state = c.body.get("state") or "open"
    if label not in COMMENT_LABELS:
        raise invalid({"label": "The selected label is invalid."})
    if state not in COMMENT_STATES:
        raise invalid({"state": "The selected state is invalid."})
    th = c.st.add_thread(t, content, label, state)
    c.limits.count_hourly("comments")
    return 201, {"data": v.thread(th)}


@route("DELETE", "/tasks/{task}/comment/{comment}")
def delete_comment(c: Call) -> Reply:
    th = c.st.threads.get(c.args["comment"])
    if th is None or th.task_id != c.args["task"]:
        raise resource_not_found()
    t = c.st.tasks[th.task_id]
    t.threads = [x for x in t.threads if x.id != th.id]
    del c.st.threads[th.id]
    return 204, None


@route("GET", "/tasks/{id}")
def get_any_task(c: Call) -> Reply:
    t = c.st.tasks.get(c.args["id"])
    if t is None or t.deleted_at is not None:
        raise resource_not_found()
    return 200, {"data": v.task(c.st, t, c.inc)}


# -- one-off tasks ---------------------------------------------------------------------
@route("POST", "/tasks")
def create_oneoff_task(c: Call) -> Reply:
    title = require_str(c.body, "title", max_len=600) or ""
    task_type = c.body.get("task_type")
    if task_type not in ("task", "approval", "expiring", "email", "expiring_email"):
        raise invalid(
            {
                "task_type": "The task type field is required."
                if task_type is None
                else "The selected task type is invalid."
            }
        )
    owners = c.body.get("owners")
    if not isinstance(owners, dict) or not any(owners.get(k) for k in ("users", "guests", "groups")):
        raise invalid({"owners": "The owners field is required."})
    if not c.body.get("deadline"):
        raise invalid({"deadline": "The deadline field is required."})
    run_id = c.body.get("run_id")
    run = None
    if run_id is not None:
        run = c.st.runs.get(str(run_id))
        if run is None or run.archived_at is not None:
            raise invalid({"run_id": "The selected run id is invalid."})
    now = c.st.now()
    summary = c.body.get("summary") or c.body.get("description")
    t = Task(
        c.st.hex_id(),
        title,
        "active",
        1,
        now,
        now,
        run_id=run.id if run else None,
        summary=summary,
        task_type=task_type,
        owners={k: list(owners.get(k) or []) for k in ("users", "guests", "groups")},
        deadline=str(c.body["deadline"]),
    )
    c.st.tasks[t.id] = t
    if run is not None:
        t.position = len(run.task_ids) + 1
        run.task_ids.append(t.id)
    return 201, {"data": v.task(c.st, t, c.inc)}


def oneoff_or_404(c: Call, task_id: str) -> Task:
    t = c.st.tasks.get(task_id)
    if t is None or not t.is_oneoff or t.deleted_at is not None:
        raise resource_not_found()
    return t


@route("DELETE", "/tasks/{id}")
def archive_oneoff_task(c: Call) -> Reply:
    t = oneoff_or_404(c, c.args["id"])
    t.archived_at = t.deleted_at = c.st.now()
    return 204, None


@route("POST", "/completed-tasks")
def complete_oneoff_task(c: Call) -> Reply:
    t = c.st.tasks.get(str(c.body.get("task_id") or ""))
    if t is None or not t.is_oneoff or t.deleted_at is not None:
        raise invalid({"task_id": "The selected task id is invalid."})
    _complete(c, t)
    return 200, {"data": v.task(c.st, t, c.inc)}
