"""The canonical model every source maps into and every target writes from.

Every object carries `key`, its source key `<system>:<type>:<id>` (e.g. `trello:card:5f..`),
which is what the store maps to target ids and what provenance markers name.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SourceKey = Annotated[str, StringConstraints(pattern=r"^[a-z]+:[a-z_]+:[^\s]+$", max_length=300)]


def source_key(system: str, kind: str, ident: str) -> str:
    return f"{system}:{kind}:{ident}"


class Canonical(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")

    key: SourceKey

    @property
    def system(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def source_id(self) -> str:
        return self.key.split(":", 2)[2]

    def content_hash(self) -> str:
        """A stable hash of the content, used by sync and duplicate detection."""
        data = self.model_dump(mode="json", exclude={"key"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class Person(Canonical):
    name: str
    username: str | None = None
    email: str | None = None


class FieldType(str, Enum):
    text = "text"
    textarea = "textarea"
    number = "number"
    checkbox = "checkbox"
    date = "date"
    dropdown = "dropdown"
    multiselect = "multiselect"
    email = "email"
    url = "url"
    file = "file"
    people = "people"


class FieldOption(BaseModel):
    id: str
    text: str


class FieldDef(Canonical):
    name: str
    type: FieldType
    options: list[FieldOption] = Field(default_factory=list)


class FieldValue(BaseModel):
    field_key: str
    value: str | float | bool | list[str] | None = None


class Tag(Canonical):
    name: str
    color: str | None = None
    source_name: str | None = None  # the name in the source, when `name` had to differ from it


class Stage(Canonical):
    """A list, section, phase or step: where an item sits in its template."""

    name: str
    position: float = 0
    closed: bool = False


class Template(Canonical):
    """A board, project or workflow."""

    kind: Literal["board", "project", "workflow", "pipe"] = "board"
    name: str
    description: str = ""
    url: str | None = None
    stages: list[Stage] = Field(default_factory=list)
    fields: list[FieldDef] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)


class ChecklistItem(BaseModel):
    name: str
    done: bool = False
    due: datetime | None = None
    assignee_key: str | None = None


class Checklist(BaseModel):
    key: SourceKey
    name: str
    items: list[ChecklistItem] = Field(default_factory=list)


class Comment(Canonical):
    item_key: str
    author_key: str | None = None
    author_name: str = "Unknown"
    created_at: datetime
    text: str


class Attachment(Canonical):
    item_key: str
    name: str
    size: int = Field(ge=0)
    mime_type: str | None = None
    is_upload: bool = True
    url: str | None = None
    created_at: datetime | None = None
    file_name: str | None = None  # the stored file's own name, when the source has one


class Item(Canonical):
    """A card, task or run."""

    template_key: str
    stage_key: str | None = None
    name: str
    description: str = ""
    closed: bool = False
    position: float = 0
    due: datetime | None = None
    due_complete: bool = False
    updated_at: datetime | None = None
    assignee_keys: list[str] = Field(default_factory=list)
    tag_keys: list[str] = Field(default_factory=list)
    values: list[FieldValue] = Field(default_factory=list)
    checklists: list[Checklist] = Field(default_factory=list)
    url: str | None = None


ObjectKind = Literal["template", "stage", "field", "tag", "person", "item", "comment", "attachment"]
