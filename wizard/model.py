"""The canonical model every source maps into and every target writes from.

Every object carries `key`, its source key `<system>:<type>:<id>` (e.g. `trello:card:5f..`),
which is what the store maps to target ids and what provenance markers name.

Not every source fills every part: each declares the `Capability` set it fills
(`SourceAdapter.fills`), and `capabilities_used` says which parts one object fills, so the
conformance suite and verify can hold a source to what it declares.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, StringConstraints

from wizard.lazy_model import LazyModel

SourceKey = Annotated[str, StringConstraints(pattern=r"^[a-z]+:[a-z_]+:[^\s]+$", max_length=300)]
HexColour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$", to_lower=True)]
"""A colour as `#rrggbb`: a source turns its vendor's colour names into this."""

Capability = Literal[
    "subitems",  # items with a parent item (Item.parent_key)
    "stage_fields",  # fields that belong to one stage (FieldDef.stage_key)
    "created_at",
    "completed_at",
    "due",
    "item_assignees",  # Item.assignee_keys
    "stage_assignees",  # Stage.assignee_keys, Item.stage_assignees
    "relations",  # Item.relations
    "tag_colours",  # Tag.color
    "tags",
    "fields",
    "field_values",
    "checklists",
    "comments",
    "attachments",
    "archived",
    "stage_kinds",  # Stage.kind and Stage.waits: approval and automated steps, steps later ones wait for
    "approvals",  # items that are a decision or a checkpoint rather than work (Item.approval)
]
"""A part of the canonical model a source fills. A part a source does not declare stays empty
in everything it yields (`capabilities_used` finds the parts one object fills)."""


def source_key(system: str, kind: str, ident: str) -> str:
    return f"{system}:{kind}:{ident}"


class Canonical(LazyModel):
    model_config = ConfigDict(frozen=False, extra="forbid")

    key: SourceKey

    @property
    def system(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def source_id(self) -> str:
        return self.key.split(":", 2)[2]

    # Parts added after stores were written: left out of the hash while empty, so an object
    # that does not fill them hashes as it did before they existed (a sync after an upgrade
    # sees no change where there is none).
    hash_when_set: ClassVar[frozenset[str]] = frozenset()

    def content_hash(self) -> str:
        """A stable hash of the content, used by sync and duplicate detection."""
        data = self.model_dump(mode="json", exclude={"key"})
        for name in self.hash_when_set:
            if data.get(name) in (None, [], {}):
                data.pop(name, None)
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


class FieldOption(LazyModel):
    id: str
    text: str


class FieldDef(Canonical):
    name: str
    type: FieldType
    options: list[FieldOption] = Field(default_factory=list)
    stage_key: str | None = None  # a field that belongs to one stage (a Pipefy phase's form)
    # The vendor's own type when the source had to read the field as another (an Asana
    # `reference`, a type added after this source was written, read as text): the ledger says so.
    source_type: str | None = None

    hash_when_set: ClassVar[frozenset[str]] = frozenset({"source_type"})


class FieldValue(LazyModel):
    field_key: str
    value: str | float | bool | list[str] | None = None


class Tag(Canonical):
    name: str
    color: HexColour | None = None
    source_name: str | None = None  # the name in the source, when `name` had to differ from it


StageKind = Literal["approval", "automated"]
"""What a stage is beyond an ordinary task: someone approves or rejects what came before it
(a Process Street approval task), or the source's own automation does it (an AI or code task)."""


class Stage(Canonical):
    """A list, section, phase or step: where an item sits in its template."""

    name: str
    position: float = 0
    closed: bool = False
    assignee_keys: list[str] = Field(default_factory=list)  # who works every item at this stage
    kind: StageKind | None = None  # None: an ordinary stage
    waits: bool = False  # the stages after it wait until it is done (a Process Street stop task)


class Template(Canonical):
    """A container of items: a board, project or workflow."""

    kind: str = "container"  # the source's own word for it (board, project, workflow, pipe)
    name: str
    description: str = ""
    url: str | None = None
    stages: list[Stage] = Field(default_factory=list)
    fields: list[FieldDef] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)


class ChecklistItem(LazyModel):
    name: str
    done: bool = False
    due: datetime | None = None
    assignee_key: str | None = None


class Checklist(LazyModel):
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


RelationKind = Literal["blocks", "blocked_by", "duplicates", "relates_to"]


class Relation(LazyModel):
    """This item `kind` the item `item_key` (a dependency, a duplicate, a plain link)."""

    kind: RelationKind
    item_key: str


class Item(Canonical):
    """A card, task or run; with a `parent_key`, a sub-item of another item (an Asana
    subtask, a ClickUp subtask, a monday subitem), yielded after its parent."""

    template_key: str
    stage_key: str | None = None
    parent_key: str | None = None
    name: str
    description: str = ""
    closed: bool = False
    position: float = 0
    due: datetime | None = None
    due_complete: bool = False
    created_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    assignee_keys: list[str] = Field(default_factory=list)
    stage_assignees: dict[str, list[str]] = Field(default_factory=dict)  # stage key -> person keys, this item only
    tag_keys: list[str] = Field(default_factory=list)
    values: list[FieldValue] = Field(default_factory=list)
    checklists: list[Checklist] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    url: str | None = None
    # A decision or a checkpoint rather than work, in the source's own word ("milestone",
    # "approval"); where items become steps, it is a step of approval.
    approval: str | None = None

    hash_when_set: ClassVar[frozenset[str]] = frozenset(
        {"parent_key", "created_at", "completed_at", "stage_assignees", "relations", "approval"}
    )


ObjectKind = Literal["template", "stage", "field", "tag", "person", "item", "comment", "attachment"]


def capabilities_used(obj: Canonical) -> set[Capability]:
    """The parts of the model `obj` fills: a source yielding an object that fills a part it
    did not declare in `SourceAdapter.fills` breaks its declaration."""
    used: set[Capability] = set()
    if isinstance(obj, Template):
        used.update(_template_parts(obj))
    elif isinstance(obj, Item):
        used.update(_item_parts(obj))
    elif isinstance(obj, Comment):
        used.add("comments")
    elif isinstance(obj, Attachment):
        used.add("attachments")
    return used


def _template_parts(tpl: Template) -> set[Capability]:
    parts: dict[Capability, Any] = {
        "tags": tpl.tags,
        "tag_colours": any(t.color for t in tpl.tags),
        "fields": tpl.fields,
        "stage_fields": any(f.stage_key for f in tpl.fields),
        "stage_assignees": any(s.assignee_keys for s in tpl.stages),
        "archived": any(s.closed for s in tpl.stages),
        "stage_kinds": any(s.kind or s.waits for s in tpl.stages),
    }
    return {name for name, filled in parts.items() if filled}


def _item_parts(item: Item) -> set[Capability]:
    parts: dict[Capability, Any] = {
        "subitems": item.parent_key,
        "created_at": item.created_at,
        "completed_at": item.completed_at,
        "due": item.due,
        "item_assignees": item.assignee_keys,
        "stage_assignees": item.stage_assignees,
        "relations": item.relations,
        "tags": item.tag_keys,
        "field_values": item.values,
        "checklists": item.checklists,
        "archived": item.closed,
        "approvals": item.approval,
    }
    return {name for name, filled in parts.items() if filled}
