"""Process Street wire records -> canonical objects. Pure functions: no I/O, so every rule (what
each form-field type becomes, where a run stands, which task template a run's task is, what an
approval turns into) is tested on its own. Anything malformed becomes a SourceRejected with
one sentence.

workflow -> Template (kind "workflow"); its published revision's task templates -> Stages in
order; form fields -> FieldDefs by type (each on its task template's stage); a workflow run ->
Item standing at its first open task (earlier ones completed), with its values, its run and
task assignees, and a line per task saying its state, who completed it and when (which no
target can set); MultiSelect (Process Street's subtasks) -> a checklist; File and MultiFile
values -> Attachments, as task files are; comments -> Comments; approvals -> Comments saying
who approved or rejected, and why.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from adapters.processstreet import wire
from wizard import task_lines
from wizard.adapter import SourceRejected
from wizard.model import (
    Attachment,
    Checklist,
    ChecklistItem,
    Comment,
    FieldDef,
    FieldOption,
    FieldType,
    FieldValue,
    Item,
    Person,
    Stage,
    StageKind,
    Template,
)
from wizard.records import WireRecords

SYSTEM = "processstreet"
RECORDS = WireRecords(SYSTEM, "Process Street")
key = RECORDS.key
raw_id = RECORDS.raw_id
parse = RECORDS.parse

FIELD_TYPES: dict[str, FieldType] = {
    "Text": FieldType.text,  # at most 255 characters in Process Street
    "Textarea": FieldType.textarea,
    "Email": FieldType.email,
    "Url": FieldType.url,
    "Number": FieldType.number,
    "Date": FieldType.date,
    "Select": FieldType.dropdown,
    "MultiChoice": FieldType.multiselect,
    "Members": FieldType.people,
}
"""Form-field types with a canonical counterpart."""

AS_TEXT: dict[str, str] = {
    "Table": "Table (its rows kept as CSV text)",
    "Hidden": "Hidden (a value set by a link or logic, shown as text)",
    "Snippet": "Snippet (its text kept; it is not a value anyone typed)",
    "SendRichEmail": "SendRichEmail (what was sent, kept as text; nothing is sent again)",
    "Document": "Document (what was generated, kept as text)",
}
"""Types kept as text, each with what the ledger says of it (FieldDef.source_type)."""

TASK_STATES_LOSS = (
    "a process stands at one step, the ones before it completed: a task ticked out of order, "
    "who completed each task and when, its due date and whether it was hidden are lines of "
    "the process's description"
)
CHECKLIST = "MultiSelect"  # Process Street's subtasks: a checklist on the run
FILES = ("File", "MultiFile")  # their files arrive as attachments of the run


# -- templates ------------------------------------------------------------------------------
def user_to_person(u: wire.User) -> Person:
    return Person(key=key("user", u.id), name=u.username or u.email or u.id, email=u.email or None)


STAGE_KINDS: dict[str, StageKind] = {"Approval": "approval", "AI": "automated", "Code": "automated"}


def task_to_stage(t: wire.TaskTemplate, position: int) -> Stage:
    """A task template: an approval task an approval step, an AI or code task an automated
    one, a stop task a step the later ones wait for."""
    return Stage(
        key=key("task_template", t.id),
        name=t.name,
        position=position,
        kind=STAGE_KINDS.get(t.taskType),
        waits=t.stopTask,
    )


def field_to_def(f: wire.FormField, options: list[wire.Option]) -> FieldDef | None:
    """A field's definition, on its task's stage; None for the types that are not values
    (MultiSelect: a checklist; File, MultiFile: the run's attachments)."""
    if f.fieldType == CHECKLIST or f.fieldType in FILES:
        return None
    known = f.fieldType in FIELD_TYPES
    return FieldDef(
        key=key("field", f.id),
        name=(f.label or "").strip() or f.key or "Untitled field",
        type=FIELD_TYPES.get(f.fieldType, FieldType.textarea if f.fieldType == "Table" else FieldType.text),
        options=[FieldOption(id=o.value, text=o.label or o.value) for o in options],
        stage_key=key("task_template", f.taskId),
        source_type=None if known else AS_TEXT.get(f.fieldType, f.fieldType),
    )


def workflow_to_template(
    wf: wire.Workflow, tasks: list[wire.TaskTemplate], fields: list[FieldDef], people: list[Person]
) -> Template:
    return Template(
        key=key("workflow", wf.id),
        kind="workflow",
        name=wf.name,
        description=wf.description,
        url=wf.link("app"),
        stages=[task_to_stage(t, i) for i, t in enumerate(tasks)],
        fields=fields,
        people=people,
    )


# -- which task template a run's task is -----------------------------------------------------
def match_tasks(run_tasks: list[wire.RunTask], templates: list[wire.TaskTemplate]) -> dict[str, str] | None:
    """Run task id -> task template id, when the run's tasks are these templates in order (a
    run lists its tasks in its revision's order, by name); None when they are not (the run was
    launched on another revision of its workflow)."""
    if [t.name for t in run_tasks] != [t.name for t in templates]:
        return None
    return {r.id: t.id for r, t in zip(run_tasks, templates, strict=True)}


def match_by_name(run_tasks: list[wire.RunTask], published: list[wire.TaskTemplate]) -> dict[str, str]:
    """A run of an older revision: each task to the published template of its name (in order,
    each template once); a task the published revision no longer has maps to nothing."""
    free = list(published)
    out: dict[str, str] = {}
    for r in run_tasks:
        hit = next((t for t in free if t.name == r.name), None)
        if hit is not None:
            free.remove(hit)
            out[r.id] = hit.id
    return out


# -- values ---------------------------------------------------------------------------------
def _text(data: Any) -> str | None:
    if data is None:
        return None
    if isinstance(data, str):
        return data if data.strip() else None
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return str(data)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return None if text in ("[]", "{}", '""') else text


def _number(data: Any) -> float | str | None:
    if isinstance(data, bool):
        return None
    if isinstance(data, (int, float)):
        return float(data)
    if isinstance(data, str) and data.strip():
        try:
            return float(data.strip().replace(",", ""))
        except ValueError:
            return data  # not a number: the target's rules say what becomes of it
    return None


def _date(data: Any) -> str | None:
    if not isinstance(data, str) or not data.strip():
        return None
    raw = data.strip()
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw).isoformat()
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC).isoformat()
    except ValueError:
        return raw


def _options(data: Any) -> list[str]:
    if isinstance(data, str):  # one option given alone, or a JSON list given as a string
        try:
            data = json.loads(data) if data.startswith("[") else [data]
        except ValueError:
            data = [data]
    if not isinstance(data, list):
        return []
    return [str(x.get("value") if isinstance(x, dict) else x) for x in data if x not in (None, "")]


def _people(data: Any) -> list[str]:
    items = data if isinstance(data, list) else [data] if data else []
    out = []
    for x in items:
        if isinstance(x, dict):
            name = x.get("username") or x.get("email") or x.get("id")
            if name:
                out.append(str(name))
        elif isinstance(x, str) and x.strip():
            out.append(x)
    return out


def value_of(v: wire.FieldValue) -> FieldValue | None:
    """One form-field value in the canonical shape, or None when the run leaves it empty (or it
    is not a value: a checklist, files). Values given as strings are read as their type."""
    t = v.fieldType
    value: str | float | list[str] | None
    if t == CHECKLIST or t in FILES:
        return None
    if t == "Number":
        value = _number(v.data)
    elif t == "Date":
        value = _date(v.data)
    elif t == "Select":
        opts = _options(v.data)
        value = opts[0] if opts else None
    elif t == "MultiChoice":
        value = _options(v.data) or None
    elif t == "Members":
        value = _people(v.data) or None
    else:  # text, and every type kept as text (Table's CSV, Hidden, a type we do not know)
        value = _text(v.data)
    return None if value is None else FieldValue(field_key=key("field", v.id), value=value)


def checklist_of(v: wire.FieldValue, f: wire.FormField | None, options: list[wire.Option]) -> Checklist:
    """A MultiSelect (Process Street's subtasks): one checklist item per option, done when
    the run checked it."""
    checked = set(_options(v.data))
    name = ((f.label if f else v.label) or "").strip() or v.key or "Subtasks"
    return Checklist(
        key=key("checklist", f"{v.workflowRunId}.{v.id}"),
        name=name,
        items=[ChecklistItem(name=o.label or o.value, done=o.value in checked) for o in options],
    )


def field_files(v: wire.FieldValue) -> list[tuple[dict[str, Any], str | None]]:
    """A File or MultiFile value's files, each with its `file` link (the n-th link for the
    n-th file). The shape of such a value is not documented: a list of {id, name, mimeType,
    size}, or one of them alone."""
    items = v.data if isinstance(v.data, list) else [v.data] if isinstance(v.data, dict) else []
    links = [x.href for x in v.links if x.name == "file"]
    out = []
    for i, x in enumerate(items):
        if isinstance(x, dict) and isinstance(x.get("id"), str):
            out.append((x, links[i] if i < len(links) else None))
    return out


def field_file_to_attachment(x: dict[str, Any], url: str | None, run_id: str, when: datetime | None) -> Attachment:
    name = str(x.get("name") or x["id"])
    size = x.get("size")
    return Attachment(
        key=key("file", x["id"]),
        item_key=key("run", run_id),
        name=name,
        size=size if isinstance(size, int) and size >= 0 else 0,
        mime_type=x.get("mimeType") if isinstance(x.get("mimeType"), str) else None,
        url=url,
        created_at=when,
        file_name=name,
    )


# -- runs -----------------------------------------------------------------------------------
def _when(d: datetime | None) -> str:
    return d.strftime("%Y-%m-%d %H:%M UTC") if d else ""


def task_line(t: wire.RunTask) -> str:
    """One task's state as a line of the run's description."""
    said = [t.name or "Untitled task"]
    if t.taskType != "Standard":
        said.append(f"({t.taskType.lower()})")
    if t.status == "Completed":
        who = t.completedBy.username or t.completedBy.email if t.completedBy else ""
        said.append(
            "— completed" + (f" by {who}" if who else "") + (f" on {_when(t.completedDate)}" if t.completedDate else "")
        )
    elif t.stopped:
        said.append("— waiting (a stop task before it is not done)")
    if t.hidden:
        said.append("— hidden")
    if t.dueDate:
        said.append(f"— due {_when(t.dueDate)}")
    return task_lines.line(t.status == "Completed", " ".join(said))


def run_to_item(
    run: wire.Run,
    tasks: list[wire.RunTask],
    stage_of: dict[str, str],
    *,
    values: list[FieldValue],
    checklists: list[Checklist],
    assignees: list[str],
    task_assignees: dict[str, list[str]],
    note: str = "",
) -> Item:
    """A run: it stands at its first open task that is not hidden (every task done: at its
    last one); each task's state, who completed it and when, are lines of its description."""
    open_task = next((t for t in tasks if t.status != "Completed" and not t.hidden and t.id in stage_of), None)
    placed = [t for t in tasks if t.id in stage_of]
    at = open_task or (placed[-1] if placed else None)
    completed = [t.completedDate for t in tasks if t.completedDate]
    lines = task_lines.section("Process Street", (task_line(t) for t in tasks))
    description = "\n".join(([note, ""] if note else []) + lines)
    stage_people: dict[str, list[str]] = {}
    for tid, people in task_assignees.items():
        if tid in stage_of and people:
            stage_people.setdefault(key("task_template", stage_of[tid]), []).extend(people)
    audit = run.audit or wire.RunAudit()
    return Item(
        key=key("run", run.id),
        template_key=key("workflow", run.workflowId),
        stage_key=key("task_template", stage_of[at.id]) if at else None,
        name=run.name,
        description=description,
        closed=run.status == "Archived",
        due=run.dueDate,
        due_complete=run.status == "Completed",
        created_at=audit.createdDate,
        completed_at=max(completed) if run.status == "Completed" and completed else None,
        updated_at=audit.updatedDate,
        assignee_keys=assignees,
        stage_assignees=stage_people,
        values=values,
        checklists=checklists,
        url=run.link("app"),
    )


def comment_to_comment(c: wire.Comment) -> Comment:
    who = c.createdBy
    return Comment(
        key=key("comment", c.id),
        item_key=key("run", c.workflowRunId),
        author_key=key("user", who.id) if who else None,
        author_name=(who.username or who.email or "Unknown") if who else "Unknown",
        created_at=c.createdDate,
        text=c.text,
    )


def approval_to_comment(a: wire.Approval, task_names: dict[str, str], fallback: datetime) -> Comment:
    """An approval (Process Street lists the approved and rejected ones, never the pending):
    a comment saying who decided what about which task, and why."""
    who = a.reviewedBy
    verb = "Approved" if a.status == "Approved" else "Rejected"
    subject = task_names.get(a.subjectTaskId) or "the task"
    text = f"{verb}: {subject}" + (f"\n{a.comment}" if a.comment else "")
    audit = a.audit or wire.Audit()
    return Comment(
        key=key("approval", a.id),
        item_key=key("run", a.workflowRunId),
        author_key=key("user", who.id) if who else None,
        author_name=(who.username or who.email or "Unknown") if who else "Unknown",
        created_at=audit.updatedDate or audit.createdDate or fallback,
        text=text,
    )


def attachment_to_attachment(a: wire.Attachment) -> Attachment:
    return Attachment(
        key=key("attachment", a.id),
        item_key=key("run", a.workflowRunId),
        name=a.fileName or a.id,
        size=a.size,
        mime_type=a.mimeType,
        url=a.link("file"),
        created_at=a.createdDate,
        file_name=a.fileName or None,
    )


def map_run(raw: Any, index: int) -> wire.Run | SourceRejected:
    got = parse(wire.Run, raw, "run", index)
    return got
