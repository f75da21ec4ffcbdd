"""What the engine asks of a target system. The Tallyfy adapter implements it; a monday.com
target would too. Writes go through `Writer`, so a dry run records the exact action list
instead of sending it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Action:
    """One call a run makes (or, in a dry run, would make)."""

    method: str
    path: str
    what: str
    key: str = ""

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


@dataclass
class TemplateCtx:
    """Where a source container landed: ids the items, comments and attachments need."""

    template_id: str
    steps: dict[str, str] = field(default_factory=dict)  # stage key -> step id
    step_order: list[str] = field(default_factory=list)  # step ids, in order
    prerun_ids: dict[str, str] = field(default_factory=dict)  # field key -> kick-off field id
    prerun_specs: dict[str, dict[str, Any]] = field(default_factory=dict)  # kick-off field id -> its definition
    tags: dict[str, str] = field(default_factory=dict)  # tag key -> tag id

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TemplateCtx":
        return cls(**data)


@dataclass(frozen=True)
class TargetUser:
    id: int | str
    name: str
    email: str | None = None
    status: str = "active"
