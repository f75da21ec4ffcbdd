"""Tallyfy's transformers: entities as the API shows them.

Why separate: the wire shape (Fractal includes nested as `{"data": ...}`, `prerun` always
inlined on a checklist, ids that are timeline ids) is what clients break on, so it is kept
in one place that reads like the vendor's own transformers.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from adapters.tallyfy.sandbox_state import (
    Asset,
    FormField,
    Group,
    Guest,
    Run,
    Step,
    Tag,
    TallyfyState,
    Task,
    Template,
    Thread,
    User,
)


def includes(params: dict[str, str]) -> set[str]:
    return {w.strip() for w in params.get("with", "").split(",") if w.strip()}


def field(f: FormField) -> dict[str, Any]:
    return {
        "id": f.id,
        "checklist_id": f.checklist_id,
        "step_id": f.step_id,
        "label": f.label,
        "field_type": f.field_type,
        "guidance": f.guidance,
        "required": f.required,
        "position": f.position,
        "options": f.options,
        "columns": f.columns,
        **f.extra,
    }


def step(s: Step) -> dict[str, Any]:
    return {
        "id": s.id,
        "checklist_id": s.checklist_id,
        "title": s.title,
        "alias": s.alias,
        "summary": s.summary,
        "step_type": s.step_type,
        "position": s.position,
        "created_at": s.created_at,
        "captures": [field(c) for c in s.captures],
        **s.extra,
    }


def tag(t: Tag) -> dict[str, Any]:
    return {
        "id": t.id,
        "title": t.title,
        "color": t.color,
        "auto_generated": t.auto_generated,
        "created_at": t.created_at,
    }


def template(st: TallyfyState, t: Template, inc: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "increment_id": t.increment_id,
        "title": t.title,
        "type": t.type,
        "summary": t.summary,
        "alias": t.alias,
        "steps_count": len(t.steps),
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "archived_at": t.archived_at,
        "is_published_state": True,
        "owner_id": st.owner_id,
        # ChecklistTransformer inlines prerun as a plain array (not a ?with= include).
        "prerun": [field(f) for f in t.prerun],
        "automated_actions": [],
        **t.extra,
    }
    if "steps" in inc:
        out["steps"] = {"data": [step(s) for s in t.steps]}
    if "tags" in inc:
        out["tags"] = {"data": []}
    return out


def thread(th: Thread) -> dict[str, Any]:
    return {
        "id": th.id,
        "task_id": th.task_id,
        "content": th.content,
        "label": th.label,
        "state": th.state,
        "user_id": th.user_id,
        "created_at": th.created_at,
    }


def asset(a: Asset) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "size": a.size,
        "mime": a.mime,
        "subject_type": a.subject_type,
        "subject_id": a.subject_id,
        "uploaded_from": a.uploaded_from,
        "step_id": a.step_id,
        "checklist_id": a.checklist_id,
        "created_at": a.created_at,
        "archived_at": a.archived_at,
    }


def task(st: TallyfyState, t: Task, inc: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "run_id": t.run_id,
        "step_id": t.step_id,
        "title": t.title,
        "summary": t.summary,
        "task_type": t.task_type,
        "status": t.status,
        "position": t.position,
        "is_oneoff_task": t.is_oneoff,
        "owners": t.owners,
        "deadline": t.deadline,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "completed_at": t.completed_at,
        "completer_id": t.completer_id,
        "archived_at": t.archived_at,
        "taskdata": t.taskdata,
    }
    if "threads" in inc:
        out["threads"] = {"data": [thread(th) for th in t.threads if th.deleted_at is None]}
    if "form_fields" in inc:
        out["form_fields"] = {"data": [dict(field(c), value=t.taskdata.get(c.id)) for c in t.captures]}
    if "assets" in inc:
        out["assets"] = {
            "data": [asset(a) for a in st.assets_of(t.id) + st.assets_of(t.run_id) if a.deleted_at is None]
        }
    return out


def run(st: TallyfyState, r: Run, inc: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    tasks = st.run_tasks(r)
    done = sum(t.status == "completed" for t in tasks)
    tpl = st.templates.get(r.checklist_id)
    out: dict[str, Any] = {
        "id": r.id,
        "increment_id": r.increment_id,
        "checklist_id": r.checklist_id,
        "checklist_title": tpl.title if tpl else None,
        "name": r.name,
        "summary": r.summary,
        "status": r.status,
        "owner_id": r.owner_id,
        "starred": r.starred,
        "prerun": dict(r.prerun),
        "progress": {"complete": done, "total": len(tasks), "percent": round(100 * done / len(tasks)) if tasks else 0},
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "started_at": r.created_at,
        "archived_at": r.archived_at,
        "completed_at": r.completed_at,
    }
    if "tasks" in inc:
        out["tasks"] = {"data": [task(st, t) for t in tasks if t.deleted_at is None]}
    if "tags" in inc:
        out["tags"] = {"data": [tag(st.tags[i]) for i in r.tags if i in st.tags]}
    if "assets" in inc:
        out["assets"] = {"data": [asset(a) for a in st.assets_of(r.id, "Run") if a.deleted_at is None]}
    if "checklist" in inc and tpl:
        out["checklist"] = {"data": template(st, tpl)}
    return out


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "full_name": u.full_name,
        "role": u.role,
        "status": u.status,
        "created_at": u.created_at,
    }


def guest(g: Guest) -> dict[str, Any]:
    return {
        "id": g.id,
        "email": g.email,
        "first_name": g.first_name,
        "last_name": g.last_name,
        "company_name": g.company_name,
        "created_at": g.created_at,
        **g.details,
    }


def group(g: Group) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "members": g.members,
        "guests": g.guests,
        "created_at": g.created_at,
    }
