"""Reading a vendor's raw records: the id a record's source key takes (even when the record is
broken), and one validation that answers a model or a `SourceRejected` saying in one sentence
what was wrong. Every source's mapping reads its records through one of these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from wizard.adapter import SourceRejected
from wizard.model import source_key

M = TypeVar("M", bound=BaseModel)


def describe(err: ValidationError) -> str:
    """The first problem pydantic found, as 'field' plus what was wrong."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "record"
    got = first.get("input")
    if first["type"] == "missing":
        return f"has no '{loc}'"
    msg = str(first["msg"]).rstrip(".")
    kind = type(got).__name__ if got is not None else "nothing"
    return f"has an invalid '{loc}' ({msg[:1].lower() + msg[1:]}, got {kind})"


@dataclass(frozen=True)
class WireRecords:
    """One vendor's records: `system` names its source keys, `vendor` its sentences, and
    `id_field` is where a record keeps its id (Trello's `id`, Asana's `gid`)."""

    system: str
    vendor: str
    id_field: str = "id"

    def key(self, kind: str, ident: str) -> str:
        return source_key(self.system, kind, ident)

    def raw_id(self, raw: Any, index: int | None = None) -> str:
        """The record's id for its source key, even when the record is broken."""
        ident = raw.get(self.id_field) if isinstance(raw, dict) else None
        if isinstance(ident, str) and ident and not any(c.isspace() for c in ident):
            return ident
        return f"unknown-{index}" if index is not None else "unknown"

    def parse(self, model: type[M], raw: Any, kind: str, index: int | None = None) -> M | SourceRejected:
        """Validate one wire record, or say in one sentence why it cannot be read."""
        ident = self.raw_id(raw, index)
        if not isinstance(raw, dict):
            why = f"{self.vendor} sent a {kind} that is not a JSON object ({type(raw).__name__})."
            return SourceRejected(self.key(kind, ident), kind, why)
        try:
            return model.model_validate(raw)
        except ValidationError as e:
            return SourceRejected(self.key(kind, ident), kind, f"{self.vendor} sent {kind} {ident} that {describe(e)}.")
