"""ClickUp wire records -> canonical objects. Pure functions: no I/O, so every rule (what a
status becomes, how each custom-field type is read, what a subtask, a checklist or a
dependency turns into) is tested on its own. Anything malformed becomes a SourceRejected with
one sentence."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from adapters.clickup.wire import (
    CUAttachment,
    CUChecklistItem,
    CUComment,
    CUField,
    CUFieldValue,
    CUList,
    CUStatus,
    CUTag,
    CUTask,
    CUUser,
)
from wizard.adapter import SourceLoss, SourceRejected
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
    Relation,
    Stage,
    Tag,
    Template,
)
from wizard.records import WireRecords, describe

SYSTEM = "clickup"

FIELD_TYPES = {
    "drop_down": FieldType.dropdown,
    "labels": FieldType.multiselect,
    "number": FieldType.number,
    "currency": FieldType.number,
    "emoji": FieldType.number,  # a rating: how many of its emoji are set
    "date": FieldType.date,
    "short_text": FieldType.text,
    "text": FieldType.textarea,
    "email": FieldType.email,
    "phone": FieldType.text,
    "url": FieldType.url,
    "checkbox": FieldType.checkbox,
    "users": FieldType.people,
}
"""ClickUp's custom-field types we read as such; any other (location, formula, a type added
later) is read as text, and the ledger says so (FieldDef.source_type)."""

CLOSED_TYPES = ("closed", "done")  # a status of these types completes the task
PRIORITIES = {"urgent": "#f50000", "high": "#ffcc00", "normal": "#6fddff", "low": "#d8d8d8"}
"""ClickUp's four priorities (reference 3.6) with the colours its app draws: a task's priority
arrives as a tag of its process ("Priority: high"), the one place a process can hold it."""

RECORDS = WireRecords(SYSTEM, "ClickUp")
key = RECORDS.key
raw_id = RECORDS.raw_id
parse = RECORDS.parse


def status_key(list_id: str, status: CUStatus) -> str:
    """A status belongs to its list (a list may inherit its Space's, whose ids it shares)."""
    return key("status", f"{list_id}.{status.id or quote(status.status.lower(), safe='')}")


def tag_key(space_id: str, name: str) -> str:
    """Tags are named, not numbered, per Space."""
    return key("tag", f"{space_id}.{quote(name, safe='')}")


# -- containers ---------------------------------------------------------------------------
def status_to_stage(list_id: str, status: CUStatus, position: int, archived: bool = False) -> Stage:
    return Stage(key=status_key(list_id, status), name=status.status, position=position, closed=archived)


def user_to_person(user: CUUser) -> Person:
    return Person(key=key("user", str(user.id)), name=user.username or user.email or str(user.id), email=user.email)


def tag_to_tag(space_id: str, tag: CUTag) -> Tag:
    name = tag.name.strip()
    colour = tag.tag_bg if tag.tag_bg and len(tag.tag_bg) == 7 and tag.tag_bg.startswith("#") else None
    return Tag(
        key=tag_key(space_id, tag.name),
        name=name or "Unnamed tag",
        color=colour,
        source_name=None if name == tag.name else tag.name,
    )


def priority_key(name: str) -> str:
    return key("tag", f"priority.{quote(name.lower(), safe='')}")


def priority_tags() -> list[Tag]:
    return [Tag(key=priority_key(n), name=f"Priority: {n}", color=c) for n, c in PRIORITIES.items()]


def _options(f: CUField) -> list[FieldOption]:
    opts = f.type_config.options if f.type_config else []
    return [FieldOption(id=o.id, text=o.name or o.label or o.id) for o in opts]


def field_to_def(f: CUField) -> FieldDef:
    return FieldDef(
        key=key("field", f.id),
        name=f.name or "Unnamed field",
        type=FIELD_TYPES.get(f.type, FieldType.text),
        options=_options(f),
        source_type=None if f.type in FIELD_TYPES else (f.type or "none"),
    )


def unknown_type(f: CUField) -> bool:
    return f.type not in FIELD_TYPES


def list_to_template(
    lst: CUList, statuses: list[CUStatus], fields: list[FieldDef], tags: list[Tag], people: list[Person], archived: bool
) -> Template:
    ordered = sorted(statuses, key=lambda s: float(s.orderindex or 0))
    return Template(
        key=key("list", lst.id),
        kind="list",
        name=lst.name,
        description=lst.content or "",
        stages=[status_to_stage(lst.id, s, i, archived) for i, s in enumerate(ordered)],
        fields=fields,
        tags=[*tags, *priority_tags()],
        people=people,
    )


# -- values -------------------------------------------------------------------------------
def has_value(raw: Any) -> bool:
    """Whether a task's custom field holds a value, as ClickUp shows one: absent, null, blank
    text and an empty list are none."""
    if not isinstance(raw, dict) or "value" not in raw:
        return False
    v = raw["value"]
    return not (v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, (list, dict)) and not v))


def _number(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError("is a boolean, not a number")
    return float(v)  # numbers come as strings ("8") as often as not


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and isinstance(v.get("formatted_address"), str):
        return v["formatted_address"]
    if isinstance(v, list):
        return ", ".join(_text(x) for x in v)
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v)


def field_value(f: CUFieldValue) -> FieldValue | None:
    """One custom-field value in the canonical shape, or None when the task leaves it empty.
    A drop-down is read back as its option's orderindex (or, written by some clients, its
    id); numbers given as strings are numbers; a type we do not know is its text."""
    if not has_value(f.model_dump()):
        return None
    v, t = f.value, f.type
    value: str | float | bool | list[str]
    opts = f.type_config.options if f.type_config else []
    if t == "drop_down":
        found = next((o.id for o in opts if str(o.orderindex) == str(v) or o.id == str(v)), None)
        if found is None:
            raise ValueError(f"'{f.name}' names option {v!r}, which the field does not have")
        value = found
    elif t == "labels":
        value = [str(x) for x in (v if isinstance(v, list) else [v])]
    elif t in ("number", "currency", "emoji"):
        value = _number(v)
    elif t == "date":
        value = datetime.fromtimestamp(int(v) / 1000, tz=UTC).isoformat()
    elif t == "checkbox":
        value = v is True or (isinstance(v, str) and v.lower() == "true")
    elif t == "users":
        people = v if isinstance(v, list) else [v]
        value = [
            (p.get("username") or p.get("email") or str(p.get("id"))) if isinstance(p, dict) else str(p) for p in people
        ]
    else:
        value = _text(v)
    return FieldValue(field_key=key("field", f.id), value=value)


# -- tasks ----------------------------------------------------------------------------------
def relations_of(task: CUTask) -> list[Relation]:
    """Dependencies (this task waits on, or blocks, another) and plain links, each once."""
    out: list[Relation] = []
    for d in task.dependencies:
        if d.task_id == task.id and d.depends_on != task.id:
            out.append(Relation(kind="blocked_by", item_key=key("task", d.depends_on)))
        elif d.depends_on == task.id and d.task_id != task.id:
            out.append(Relation(kind="blocks", item_key=key("task", d.task_id)))
    for link in task.linked_tasks:
        other = link.link_id if link.task_id == task.id else link.task_id
        if other != task.id:
            out.append(Relation(kind="relates_to", item_key=key("task", other)))
    unique: dict[tuple[str, str], Relation] = {(r.kind, r.item_key): r for r in out}
    return list(unique.values())


RELATION_WORDS = {
    "blocked_by": "Waiting on",
    "blocks": "Blocking",
    "relates_to": "Linked to",
    "duplicates": "Duplicates",
}
TASK_URL = "https://app.clickup.com/t/"


def relations_text(relations: list[Relation]) -> str:
    """The task's relationships as links, one a line, for a description."""
    lines = [f"- {RELATION_WORDS[r.kind]}: {TASK_URL}{r.item_key.rsplit(':', 1)[1]}" for r in relations]
    return "Related in ClickUp:\n" + "\n".join(lines)


def relation_loss(item: Item) -> SourceLoss | None:
    """The ledger's line for a task's dependencies and links: kept as links in its description."""
    if not item.relations:
        return None
    n = len(item.relations)
    return SourceLoss(
        item.key,
        "item",
        "relationships",
        f"{n} dependenc{'y or link' if n == 1 else 'ies and links'} to other tasks kept as links in the "
        "description: a process has no task relationships",
    )


UNHELD = {
    "watchers": lambda t: bool(t.watchers),
    "start dates": lambda t: t.start_date is not None,
    "time estimates": lambda t: t.time_estimate not in (None, "", 0, "0"),
    "sprint points": lambda t: t.points is not None,
}
"""What a ClickUp task has that no part of the canonical model holds, by what it is called."""


def unheld(task: CUTask) -> list[str]:
    return [name for name, has in UNHELD.items() if has(task)]


def unheld_loss(list_id: str, counts: dict[str, int]) -> SourceLoss | None:
    """One ledger line per list for what its tasks have and a process cannot hold."""
    found = [f"{name} ({n} task{'s' if n != 1 else ''})" for name, n in counts.items() if n]
    if not found:
        return None
    return SourceLoss(
        key("list", list_id),
        "item",
        "task details",
        f"{', '.join(found)}: a process has no place for them; not carried",
    )


def checklists_of(task: CUTask) -> list[Checklist]:
    """Each checklist with its items in order; a nested item (children) follows its parent."""
    out = []
    for cl in sorted(task.checklists, key=lambda c: c.orderindex or 0):
        items = [
            ChecklistItem(
                name=it.name,
                done=it.resolved,
                assignee_key=key("user", str(it.assignee.id)) if it.assignee else None,
            )
            for it in _flat(cl.items, set())
        ]
        out.append(Checklist(key=key("checklist", cl.id), name=cl.name or "Checklist", items=items))
    return out


def _flat(items: list[CUChecklistItem], seen: set[str]) -> list[CUChecklistItem]:
    """A checklist's items in order, each nested item (`children`) right after its parent,
    each once (ClickUp counts nested items in the checklist's resolved and unresolved)."""
    out: list[CUChecklistItem] = []
    for it in sorted(items, key=lambda i: i.orderindex or 0):
        if it.id in seen:
            continue
        seen.add(it.id)
        out.append(it)
        kids = [CUChecklistItem.model_validate(c) for c in it.children if isinstance(c, dict)]
        out += _flat(kids, seen)
    return out


def task_to_item(
    task: CUTask,
    list_id: str,
    space_id: str,
    position: int,
    *,
    stages: dict[str, str],
    parent_id: str | None = None,
) -> Item:
    """A task standing at its status in this list (`stages`: status id or lower-case name ->
    stage key); a subtask is a sub-item of its parent (`parent_id`, when that parent is in the
    same list). A closed or done status completes it; an archived task is closed."""
    stage = stages.get(task.status.id or "") or stages.get(task.status.status.lower())
    values = []
    for raw in task.custom_fields:
        v = field_value(CUFieldValue.model_validate(raw))
        if v is not None:
            values.append(v)
    done = task.status.type in CLOSED_TYPES
    relations = relations_of(task)
    description = task.markdown_description or task.text_content or task.description or ""
    if relations:
        description = (description.rstrip() + "\n\n" if description.strip() else "") + relations_text(relations)
    return Item(
        key=key("task", task.id),
        template_key=key("list", list_id),
        stage_key=stage,
        parent_key=key("task", parent_id) if parent_id else None,
        name=task.name,
        description=description,
        closed=task.archived,
        position=position,
        due=task.due_date,
        due_complete=done,
        created_at=task.date_created,
        completed_at=(task.date_closed or task.date_done or task.date_updated) if done else None,
        updated_at=task.date_updated,
        assignee_keys=[key("user", str(u.id)) for u in task.assignees],
        tag_keys=[tag_key(space_id, t.name) for t in task.tags]
        + (
            [priority_key(task.priority.priority)]
            if task.priority and task.priority.priority.lower() in PRIORITIES
            else []
        ),
        values=values,
        checklists=checklists_of(task),
        relations=relations,
        url=task.url,
    )


def map_task(
    raw: Any,
    list_id: str,
    space_id: str,
    position: int,
    *,
    stages: dict[str, str],
    parent_id: str | None = None,
) -> Item | SourceRejected:
    task = parse(CUTask, raw, "task", position)
    if isinstance(task, SourceRejected):
        return task
    try:
        return task_to_item(task, list_id, space_id, position, stages=stages, parent_id=parent_id)
    except (ValueError, ValidationError) as e:
        reason = describe(e) if isinstance(e, ValidationError) else str(e)
        return SourceRejected(key("task", task.id), "task", f"ClickUp sent task {task.id} whose custom field {reason}.")


# -- comments and attachments ---------------------------------------------------------------
def comment_to_comment(c: CUComment, task_id: str, reply_to: CUComment | None = None) -> Comment:
    """A comment on its task; a threaded reply is a comment of its own that says whose
    comment it answers (a target's comments are not threaded)."""
    author = c.user
    name = (author.username or author.email or "Unknown") if author else "Unknown"
    text = c.comment_text
    if reply_to is not None:
        to = (reply_to.user.username or reply_to.user.email or "a comment") if reply_to.user else "a comment"
        text = f"↳ Reply to {to}: {text}"
    assert c.date is not None  # the model requires it
    return Comment(
        key=key("comment", c.id),
        item_key=key("task", task_id),
        author_key=key("user", str(author.id)) if author else None,
        author_name=name,
        created_at=c.date,
        text=text,
    )


def map_comment(raw: Any, task_id: str, reply_to: CUComment | None = None) -> Comment | SourceRejected:
    c = parse(CUComment, raw, "comment")
    if isinstance(c, SourceRejected):
        return c
    if c.date is None:
        return SourceRejected(key("comment", c.id), "comment", f"ClickUp sent comment {c.id} without its date.")
    return comment_to_comment(c, task_id, reply_to)


def attachment_to_canonical(att: CUAttachment, task_id: str) -> Attachment:
    return Attachment(
        key=key("attachment", att.id),
        item_key=key("task", task_id),
        name=att.title or att.id,
        size=att.size or 0,
        mime_type=att.mimetype,
        is_upload=True,
        url=att.url,
        created_at=att.date,
        file_name=att.title or None,
    )


def map_attachment(raw: Any, task_id: str) -> Attachment | SourceRejected:
    att = parse(CUAttachment, raw, "attachment")
    if isinstance(att, SourceRejected):
        return att
    return attachment_to_canonical(att, task_id)
