"""Pipefy's answers as we read them: strict on the fields we use, tolerant of the rest."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PUser(_Wire):
    id: str
    name: str | None = ""
    email: str | None = None


class PRef(_Wire):
    id: str
    name: str | None = ""


class PLabel(_Wire):
    id: str
    name: str | None = ""
    color: str | None = None


class PField(_Wire):
    id: str
    internal_id: str | None = None
    label: str | None = ""
    type: str
    options: list[str] | None = None
    required: bool | None = False
    description: str | None = None


class PPhase(_Wire):
    id: str
    name: str | None = ""
    done: bool | None = False
    index: float | None = None
    fields: list[PField] = Field(default_factory=list)


class PMember(_Wire):
    user: PUser | None = None
    role_name: str | None = None


class PPipe(_Wire):
    id: str
    name: str | None = ""
    description: str | None = None
    url: str | None = None
    cards_count: int | None = None
    startFormPhaseId: str | None = None
    phases: list[PPhase] = Field(default_factory=list)
    start_form_fields: list[PField] = Field(default_factory=list)
    labels: list[PLabel] = Field(default_factory=list)
    members: list[PMember] = Field(default_factory=list)


class PFieldRef(_Wire):
    id: str
    type: str | None = None


class PCardField(_Wire):
    value: str | None = None  # always a string; a JSON array in a string for multi-valued types
    field: PFieldRef


class PComment(_Wire):
    id: str
    text: str | None = ""
    created_at: str | None = None
    author: PUser | None = None


class PAttachment(_Wire):
    url: str | None = None
    path: str
    createdAt: str | None = None


class PHistory(_Wire):
    phase: PRef | None = None
    firstTimeIn: str | None = None
    lastTimeOut: str | None = None


class PConnected(_Wire):
    cards: list[PRef | None] = Field(default_factory=list)


class PCard(_Wire):
    id: str
    title: str | None = ""
    url: str | None = None
    done: bool | None = False
    due_date: str | None = None
    createdAt: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None
    current_phase: PRef
    assignees: list[PUser | None] = Field(default_factory=list)
    labels: list[PLabel | None] = Field(default_factory=list)
    fields: list[PCardField] = Field(default_factory=list)
    comments: list[PComment] = Field(default_factory=list)
    attachments: list[PAttachment] = Field(default_factory=list)
    phases_history: list[PHistory] = Field(default_factory=list)
    child_relations: list[PConnected] = Field(default_factory=list)
