"""Asana wire records -> canonical objects. Pure functions: no I/O, so every rule (what a
section becomes, how each custom-field type is read, what a subtask turns into) is tested on
its own. Anything malformed becomes a SourceRejected with one sentence."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime, time
from typing import Any

from pydantic import ValidationError

from adapters.asana.wire import (
    AsanaAttachment,
    AsanaCustomField,
    AsanaFieldValue,
    AsanaProject,
    AsanaProjectTemplate,
    AsanaSection,
    AsanaStory,
    AsanaTag,
    AsanaTask,
    AsanaUser,
)
from wizard.adapter import SourceLoss, SourceRejected
from wizard.model import (
    Attachment,
    Comment,
    FieldDef,
    FieldOption,
    FieldType,
    FieldValue,
    Item,
    Person,
    Stage,
    Tag,
    Template,
)
from wizard.records import WireRecords, describe

SYSTEM = "asana"

FIELD_TYPES = {
    "text": FieldType.text,
    "enum": FieldType.dropdown,
    "multi_enum": FieldType.multiselect,
    "number": FieldType.number,
    "date": FieldType.date,
    "people": FieldType.people,
}
"""Asana's custom-field types we read as such; any other (`reference`, a type added later) is
read as text: its `display_value`, the value as Asana shows it."""

# Asana's named colours (tags, projects, enum options) as the app draws them.
COLOURS = {
    "dark-pink": "#e8384f",
    "dark-green": "#48a641",
    "dark-blue": "#4573d2",
    "dark-red": "#d1435b",
    "dark-teal": "#37a5a0",
    "dark-brown": "#8d6e63",
    "dark-orange": "#fd612c",
    "dark-purple": "#8d59d8",
    "dark-warm-gray": "#6d6e6f",
    "light-pink": "#f9aaef",
    "light-green": "#b6e3a1",
    "light-blue": "#a9d4f5",
    "light-red": "#fca7a7",
    "light-teal": "#9ee7e3",
    "light-brown": "#e2c6ae",
    "light-orange": "#fdc88d",
    "light-purple": "#cbb2f0",
    "light-warm-gray": "#c7c4c4",
}


RECORDS = WireRecords(SYSTEM, "Asana", id_field="gid")
key = RECORDS.key
raw_id = RECORDS.raw_id
parse = RECORDS.parse


def colour(name: str | None) -> str | None:
    return COLOURS.get(name or "")


# -- containers ---------------------------------------------------------------------------
def section_to_stage(section: AsanaSection, position: int, archived: bool = False) -> Stage:
    return Stage(key=key("section", section.gid), name=section.name, position=position, closed=archived)


def user_to_person(user: AsanaUser) -> Person:
    return Person(key=key("user", user.gid), name=user.name or user.email or user.gid, email=user.email)


def tag_to_tag(tag: AsanaTag) -> Tag:
    name = tag.name.strip()
    return Tag(
        key=key("tag", tag.gid),
        name=name or "Unnamed tag",
        color=colour(tag.color),
        source_name=None if name == tag.name else tag.name,
    )


def field_to_def(f: AsanaCustomField) -> FieldDef:
    return FieldDef(
        key=key("field", f.gid),
        name=f.name or "Unnamed field",
        type=FIELD_TYPES.get(f.type or "", FieldType.text),
        options=[FieldOption(id=o.gid, text=o.name) for o in f.enum_options if o.enabled],
        source_type=None if f.type in FIELD_TYPES else (f.type or "none"),
    )


def unknown_type(f: AsanaCustomField) -> bool:
    return (f.type or "") not in FIELD_TYPES


def project_to_template(
    project: AsanaProject, stages: list[Stage], fields: list[FieldDef], tags: list[Tag], people: list[Person]
) -> Template:
    return Template(
        key=key("project", project.gid),
        kind="project",
        name=project.name,
        description=project.notes,
        url=project.permalink_url,
        stages=stages,
        fields=fields,
        tags=tags,
        people=people,
    )


def project_template_to_template(tpl: AsanaProjectTemplate, people: list[Person]) -> Template:
    """A project template: Asana's API gives its name, description and what it asks for when it
    is used (its requested dates and roles, which become kick-off fields), not its tasks."""
    fields = [
        FieldDef(key=key("template_date", f"{tpl.gid}-{d.gid}"), name=d.name or "Date", type=FieldType.date)
        for d in tpl.requested_dates
    ] + [
        FieldDef(key=key("template_role", f"{tpl.gid}-{r.gid}"), name=r.name or "Role", type=FieldType.people)
        for r in tpl.requested_roles
    ]
    return Template(
        key=key("project_template", tpl.gid),
        kind="project",
        name=tpl.name,
        description=tpl.description,
        fields=fields,
        people=people,
    )


def template_tasks_loss(tpl: AsanaProjectTemplate) -> SourceLoss:
    return SourceLoss(
        key("project_template", tpl.gid),
        "template",
        "tasks",
        "Asana's API gives a project template's name, description and requested dates and roles (kick-off "
        "fields here), not its tasks or sections: it arrives without steps",
    )


# -- tasks ----------------------------------------------------------------------------------
def field_value(f: AsanaFieldValue) -> FieldValue | None:
    """One custom-field value in the canonical shape, or None when the task leaves it empty.
    Numbers given as strings are read as numbers; a type we do not know is its display text."""
    fkey = key("field", f.gid)
    t = f.type or ""
    value: str | float | list[str] | None
    if t == "enum":
        value = f.enum_value.gid if f.enum_value else None
    elif t == "multi_enum":
        value = [o.gid for o in f.multi_enum_values] or None
    elif t == "number":
        value = f.number_value
    elif t == "text":
        value = f.text_value if f.text_value and f.text_value.strip() else None
    elif t == "date":
        value = (f.date_value.date_time or f.date_value.date) if f.date_value else None
    elif t == "people":
        value = [p.name or p.email or p.gid for p in f.people_value] or None
    else:
        value = f.display_value or None
    return None if value is None else FieldValue(field_key=fkey, value=value)


APPROVALS = ("milestone", "approval")
"""Asana's task subtypes that are a checkpoint or a decision rather than work."""

UNKEPT_DECISIONS = ("rejected", "changes_requested")


def decision_loss(task: Any) -> SourceLoss | None:
    """An approval whose decision says more than done: where it lands, it is only done or open."""
    if not isinstance(task, dict) or task.get("resource_subtype") != "approval":
        return None
    status = task.get("approval_status")
    if status not in UNKEPT_DECISIONS or not isinstance(task.get("gid"), str):
        return None
    return SourceLoss(
        key("task", task["gid"]),
        "item",
        "approval decision",
        f"the approval was '{status}' in Asana; where it lands a step or a process is only done or open, "
        f"so the decision is kept in name only",
    )


def due_of(task: AsanaTask) -> datetime | None:
    if task.due_at is not None:
        return task.due_at
    if task.due_on is not None:
        return datetime.combine(task.due_on, time(0, 0), tzinfo=UTC)
    return None


def task_to_item(
    task: AsanaTask,
    project_gid: str,
    position: int,
    *,
    parent_gid: str | None = None,
    stage_gid: str | None = None,
    archived: bool = False,
) -> Item:
    """A task. A top-level one stands at its section in this project; a subtask (in no
    project, as Asana keeps them) is a sub-item of its parent, standing where its top-level
    task stands (`stage_gid`)."""
    section = stage_gid or next(
        (m.section.gid for m in task.memberships if m.section and m.project and m.project.gid == project_gid), None
    )
    values = []
    for raw in task.custom_fields:
        f = AsanaFieldValue.model_validate(raw)
        v = field_value(f)
        if v is not None:
            values.append(v)
    return Item(
        key=key("task", task.gid),
        template_key=key("project", project_gid),
        stage_key=key("section", section) if section else None,
        parent_key=key("task", parent_gid) if parent_gid else None,
        name=task.name,
        description=task.notes,
        closed=archived,
        position=position,
        due=due_of(task),
        due_complete=task.completed,
        created_at=task.created_at,
        completed_at=task.completed_at if task.completed else None,
        updated_at=task.modified_at,
        assignee_keys=[key("user", task.assignee.gid)] if task.assignee else [],
        tag_keys=[key("tag", t.gid) for t in task.tags],
        values=values,
        url=task.permalink_url,
        approval=task.resource_subtype if task.resource_subtype in APPROVALS else None,
    )


def map_task(
    raw: Any,
    project_gid: str,
    position: int,
    *,
    parent_gid: str | None = None,
    stage_gid: str | None = None,
    archived: bool = False,
) -> Item | SourceRejected:
    task = parse(AsanaTask, raw, "task", position)
    if isinstance(task, SourceRejected):
        return task
    try:
        return task_to_item(task, project_gid, position, parent_gid=parent_gid, stage_gid=stage_gid, archived=archived)
    except (ValueError, ValidationError) as e:
        reason = describe(e) if isinstance(e, ValidationError) else str(e)
        return SourceRejected(key("task", task.gid), "task", f"Asana sent task {task.gid} whose custom field {reason}.")


# -- stories and attachments --------------------------------------------------------------
def story_to_comment(story: AsanaStory, item_gid: str) -> Comment:
    """A comment story, on its task (or subtask)."""
    author = story.created_by
    text = story.text
    return Comment(
        key=key("comment", story.gid),
        item_key=key("task", item_gid),
        author_key=key("user", author.gid) if author else None,
        author_name=(author.name or "Unknown") if author else "Unknown",
        created_at=story.created_at,
        text=text,
    )


def map_story(raw: Any, item_gid: str, *, activity_log: bool = False) -> Comment | SourceRejected | None:
    """A comment story as a Comment; a system story (Asana's activity log: "moved this task
    to Doing") as one too when the plan asks for the activity log, else None."""
    story = parse(AsanaStory, raw, "comment")
    if isinstance(story, SourceRejected):
        return story
    if story.type == "system" and activity_log:
        comment = story_to_comment(story, item_gid)
        return comment.model_copy(update={"text": f"Activity: {story.text}"})
    if story.type != "comment":
        return None
    return story_to_comment(story, item_gid)


def attachment_to_canonical(att: AsanaAttachment, item_gid: str) -> Attachment:
    """Files Asana stores itself carry bytes to copy; files on other hosts (Google Drive,
    Dropbox, Box...) carry only their address."""
    upload = (att.host or att.resource_subtype) == "asana"
    return Attachment(
        key=key("attachment", att.gid),
        item_key=key("task", item_gid),
        name=att.name or att.gid,
        size=att.size or 0 if upload else 0,
        mime_type=mimetypes.guess_type(att.name)[0] if upload else None,
        is_upload=upload,
        # an upload's: its download_url while it lasts (two minutes); a link's: where it lives
        url=att.download_url if upload else (att.view_url or att.permanent_url),
        created_at=att.created_at,
        file_name=att.name or None,
    )


def map_attachment(raw: Any, item_gid: str) -> Attachment | SourceRejected:
    att = parse(AsanaAttachment, raw, "attachment")
    if isinstance(att, SourceRejected):
        return att
    return attachment_to_canonical(att, item_gid)
