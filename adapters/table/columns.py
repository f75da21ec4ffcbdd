"""Columns as fields: each column's type inferred from every value it holds (the mapping screen
shows it, and the plan's [mapping] field_types confirms or changes it), and a cell read as that
type. Inference is a fold over the values, so a table is never held whole to infer it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from wizard.model import FieldType

TRUE = frozenset({"true", "yes", "y"})
FALSE = frozenset({"false", "no", "n"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")

# From the narrowest to the widest: a column is the first type every one of its values fits.
ORDER = (FieldType.checkbox, FieldType.number, FieldType.date, FieldType.email, FieldType.url, FieldType.text)


def text_of(cell: Any) -> str:
    """A cell as text: what a CSV holds, and what a database or a spreadsheet cell reads as."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime):
        return cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, Decimal):
        return format(cell.normalize(), "f")
    return str(cell)


def fits(kind: FieldType, text: str) -> bool:
    """Whether a non-empty value reads as `kind`."""
    low = text.strip().lower()
    if kind is FieldType.checkbox:
        return low in TRUE or low in FALSE
    if kind is FieldType.number:
        return bool(NUMBER.match(low))
    if kind is FieldType.date:
        return bool(DATE.match(text.strip()))
    if kind is FieldType.email:
        return bool(EMAIL.match(text.strip()))
    if kind is FieldType.url:
        return bool(URL.match(text.strip()))
    return True


@dataclass
class Inferred:
    """What the values of one column have shown so far."""

    candidates: list[FieldType] = field(default_factory=lambda: list(ORDER))
    multiline: bool = False
    filled: int = 0

    def see(self, text: str) -> None:
        if not text.strip():
            return
        self.filled += 1
        self.multiline = self.multiline or "\n" in text
        self.candidates = [k for k in self.candidates if fits(k, text)]

    @property
    def type(self) -> FieldType:
        if self.multiline:
            return FieldType.textarea
        return self.candidates[0] if self.filled and self.candidates else FieldType.text


def value(kind: FieldType, text: str) -> str | float | bool | None:
    """A cell as the canonical value of its field; empty is None, and a value that does not
    read as the field's type is kept as its text (the data-quality rules name it)."""
    if not text.strip():
        return None
    low = text.strip().lower()
    if kind is FieldType.checkbox and (low in TRUE or low in FALSE):
        return low in TRUE
    if kind is FieldType.number and NUMBER.match(low):
        return float(low)
    return text
