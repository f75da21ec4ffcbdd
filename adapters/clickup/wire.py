"""ClickUp's wire shapes (API v2) as pydantic v2 models: tolerant of the many fields we do not
read (extra="ignore"), strict on the ones the mapping reads, so a malformed record fails here
with the field named. Field names are ClickUp's own. Timestamps are Unix milliseconds sent as
strings (some as numbers): `Millis` reads both into an aware datetime."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr


def _millis(v: Any) -> Any:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise ValueError("a timestamp is not a boolean")
    if isinstance(v, (int, float)) or (isinstance(v, str) and v.strip().lstrip("-").isdigit()):
        return datetime.fromtimestamp(int(v) / 1000, tz=UTC)
    raise ValueError("a timestamp is Unix milliseconds")


Millis = Annotated[datetime | None, BeforeValidator(_millis)]
Id = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class CUUser(Wire):
    id: int
    username: StrictStr | None = None
    email: StrictStr | None = None


class CUMember(Wire):
    user: CUUser


class CUTeam(Wire):
    id: Id
    name: StrictStr = ""
    members: list[CUMember] = Field(default_factory=list)


class CUStatus(Wire):
    id: Id | None = None
    status: StrictStr
    color: StrictStr | None = None
    orderindex: int | float | str = 0
    type: StrictStr = "custom"


class CUSpace(Wire):
    id: Id
    name: StrictStr = ""
    archived: StrictBool = False


class CURef(Wire):
    id: Id | None = None
    name: StrictStr | None = None
    hidden: StrictBool | None = None


class CUList(Wire):
    id: Id
    name: StrictStr
    content: StrictStr | None = ""
    archived: StrictBool = False
    task_count: int | str | None = None
    folder: CURef | None = None
    space: CURef | None = None
    statuses: list[CUStatus] = Field(default_factory=list)


class CUFolder(Wire):
    id: Id
    name: StrictStr = ""
    archived: StrictBool = False
    lists: list[Any] = Field(default_factory=list)


class CUOption(Wire):
    id: Id
    name: StrictStr | None = None
    label: StrictStr | None = None
    color: StrictStr | None = None
    orderindex: int | str | None = None


class CUTypeConfig(Wire):
    options: list[CUOption] = Field(default_factory=list)


class CUField(Wire):
    """A definition; `type` is kept as a string: a type we do not know is read as text."""

    id: Id
    name: StrictStr = ""
    type: StrictStr = ""
    type_config: CUTypeConfig | None = None


class CUFieldValue(CUField):
    """A custom field on a task, with its `value` in whatever shape its type gives it
    (absent when the task leaves it empty)."""

    value: Any = None


class CUTag(Wire):
    name: StrictStr
    tag_fg: StrictStr | None = None
    tag_bg: StrictStr | None = None


class CUChecklistItem(Wire):
    id: Id
    name: StrictStr = ""
    orderindex: int | float | None = None
    resolved: StrictBool = False
    assignee: CUUser | None = None
    children: list[Any] = Field(default_factory=list)


class CUChecklist(Wire):
    id: Id
    name: StrictStr = ""
    orderindex: int | float | None = None
    items: list[CUChecklistItem] = Field(default_factory=list)


class CUDependency(Wire):
    task_id: Id
    depends_on: Id


class CULink(Wire):
    task_id: Id
    link_id: Id


class CUPriority(Wire):
    id: Id | None = None
    priority: StrictStr
    color: StrictStr | None = None


class CUTask(Wire):
    id: Id
    name: StrictStr
    text_content: StrictStr | None = None
    description: StrictStr | None = None
    markdown_description: StrictStr | None = None
    status: CUStatus
    orderindex: int | float | str | None = None
    date_created: Millis = None
    date_updated: Millis = None
    date_closed: Millis = None
    date_done: Millis = None
    archived: StrictBool = False
    assignees: list[CUUser] = Field(default_factory=list)
    watchers: list[CUUser] = Field(default_factory=list)
    checklists: list[CUChecklist] = Field(default_factory=list)
    tags: list[CUTag] = Field(default_factory=list)
    priority: CUPriority | None = None
    parent: Id | None = None
    top_level_parent: Id | None = None
    due_date: Millis = None
    start_date: Millis = None
    time_estimate: int | str | None = None  # a string in listings, a number in Get Task
    points: int | float | None = None
    custom_fields: list[Any] = Field(default_factory=list)  # validated one by one
    dependencies: list[CUDependency] = Field(default_factory=list)
    linked_tasks: list[CULink] = Field(default_factory=list)
    url: StrictStr | None = None
    attachments: list[Any] = Field(default_factory=list)  # on Get Task only; validated one by one


class CUComment(Wire):
    id: Id
    comment_text: StrictStr = ""
    user: CUUser | None = None
    date: Millis
    reply_count: int | str | None = None


class CUAttachment(Wire):
    id: Id
    title: StrictStr = ""
    extension: StrictStr | None = None
    mimetype: StrictStr | None = None
    size: int | None = Field(default=None, ge=0)
    date: Millis = None
    url: StrictStr | None = None
    deleted: StrictBool = False
