"""Data-quality rules, declared in the plan (`[[quality]]`) and checked on every item of any
source before anything is written: a value required, of a type, among allowed values, unique
in its container, or a cross-field expression that must hold.

A rule is *critical* (the item is quarantined with the rule's name, and what hangs on it with
it) or a *warning* (the item goes; discovery records it, the mapping screen shows it before the
run and the report lists it). Rules see an item by its fields' names, as people read them
(`Order ID` is `order_id` in an expression), plus `name` and `stage`.

Expressions are read by simpleeval (a small, maintained library that walks Python's syntax
tree itself, with no `eval`, no attribute of an underscore, no method that formats or imports,
and a cap on the size of what it builds); the names it sees are the item's values and the few
functions below, nothing else of the process.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import simpleeval

from wizard.adapter import Extracted, QualityFailure, SourceAdapter, SourceRejected
from wizard.errors import PlanError
from wizard.model import FieldType, Item, Template
from wizard.quality_rule import QualityRule, Severity
from wizard.reshape import ReshapedSource

Value = str | float | bool | list[str] | None

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def name_of(field_name: str) -> str:
    """A field's name as an expression reads it: `Order ID` → `order_id`."""
    return re.sub(r"\W+", "_", field_name.strip().lower()).strip("_") or "_"


def _number(v: Value) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, float | int):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def fits(kind: FieldType, v: Value) -> bool:
    """Whether a value reads as `kind` (text of any kind fits text)."""
    text = v if isinstance(v, str) else ""
    checks: dict[FieldType, Callable[[], bool]] = {
        FieldType.number: lambda: _number(v) is not None,
        FieldType.checkbox: lambda: isinstance(v, bool) or text.strip().lower() in ("true", "false", "yes", "no"),
        FieldType.date: lambda: bool(DATE.match(text.strip())),
        FieldType.email: lambda: bool(EMAIL.match(text.strip())),
        FieldType.url: lambda: bool(URL.match(text.strip())),
        FieldType.multiselect: lambda: isinstance(v, list),
    }
    check = checks.get(kind)
    return check() if check else True


def _empty(v: Value) -> bool:
    return v is None or v == "" or v == []


def _text(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return ", ".join(v) if isinstance(v, list) else ("" if v is None else str(v))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": lambda v: len(v) if isinstance(v, str | list) else 0,
    "lower": lambda v: str(v or "").lower(),
    "upper": lambda v: str(v or "").upper(),
    "strip": lambda v: str(v or "").strip(),
    "number": _number,
    "empty": _empty,
    "today": lambda: date.today().isoformat(),
    "matches": lambda v, pattern: bool(re.fullmatch(str(pattern), str(v or ""))),
}


@dataclass(frozen=True)
class Failure:
    rule: str
    severity: Severity
    detail: str


class ContainerRules:
    """The plan's rules bound to one container's fields; `check` one item at a time."""

    def __init__(self, rules: list[QualityRule], tpl: Template) -> None:
        self.rules = [r for r in rules if r.applies_to(tpl)]
        self.fields = {f.key: f.name for f in tpl.fields}
        self.stages = {s.key: s.name for s in tpl.stages}
        by_name = {f.name.strip().lower(): f.key for f in tpl.fields}
        self.seen: dict[str, dict[str, str]] = {}  # rule -> value -> the item that held it first
        self.parsed: dict[str, Any] = {}
        for r in self.rules:
            if r.field and r.field.strip().lower() not in by_name and name_of(r.field) not in ("name", "stage"):
                raise PlanError(
                    f"[[quality]] rule '{r.name}' reads the field '{r.field}', which {tpl.name} does not have; "
                    f"its fields are: {', '.join([*self.fields.values(), 'name', 'stage'])}."
                )
            if r.expression:
                self.parsed[r.name] = simpleeval.SimpleEval().parse(r.expression)
        self.by_name = by_name

    def _names(self, item: Item) -> dict[str, Value]:
        names: dict[str, Value] = {name_of(n): None for n in self.fields.values()}
        names.update(name=item.name, stage=self.stages.get(item.stage_key or "", ""))
        for v in item.values:
            names[name_of(self.fields.get(v.field_key, v.field_key))] = v.value
        return names

    def _value(self, item: Item, field_name: str) -> Value:
        low = field_name.strip().lower()
        if low in ("name", "stage") and low not in self.by_name:
            return self._names(item)[low]
        key = self.by_name[low]
        return next((v.value for v in item.values if v.field_key == key), None)

    def check(self, item: Item) -> list[Failure]:
        return [Failure(r.name, r.severity, why) for r in self.rules if (why := self._fails(r, item))]

    def _fails(self, r: QualityRule, item: Item) -> str:
        """Why the item fails the rule, or '' when it passes."""
        if r.expression:
            return self._expression(r, item)
        v = self._value(item, r.field)
        if r.required:
            return f"'{r.field}' is empty" if _empty(v) else ""
        if _empty(v):
            return ""  # presence is `required`'s to check
        if r.type is not None:
            kind = r.type.value
            return (
                ""
                if fits(r.type, v)
                else f"'{r.field}' is {_text(v)!r}, not {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
            )
        if r.allowed is not None:
            values = v if isinstance(v, list) else [_text(v)]
            wrong = [x for x in values if x not in r.allowed]
            return f"'{r.field}' is {', '.join(map(repr, wrong))}, not one of {', '.join(r.allowed)}" if wrong else ""
        first = self.seen.setdefault(r.name, {}).setdefault(_text(v), item.key)
        return f"'{r.field}' is {_text(v)!r}, as {first}'s is" if first != item.key else ""

    def _expression(self, r: QualityRule, item: Item) -> str:
        evaluator = simpleeval.EvalWithCompoundTypes(names=self._names(item), functions=FUNCTIONS)
        try:
            held = evaluator.eval(r.expression, previously_parsed=self.parsed[r.name])
        except simpleeval.NameNotDefined as e:
            raise PlanError(
                f"[[quality]] rule '{r.name}' reads {e.name!r}, which is no field of this container; "
                f"its fields read as: {', '.join(sorted(self._names(item)))}."
            ) from None
        except Exception as e:  # noqa: BLE001 - a value the expression cannot take (text compared to a number): the row fails
            return f"{r.expression} could not be checked ({type(e).__name__}: {e})"
        return "" if held else f"{r.expression} does not hold"


class QualityChecked(ReshapedSource):
    """A source whose items pass the plan's rules on their way out: before each item, a
    QualityFailure per rule it fails; an item failing a critical rule comes as SourceRejected
    (quarantined with the rule's name) instead of itself, and so do its comments and files."""

    def __init__(self, inner: SourceAdapter, rules: list[QualityRule]) -> None:
        super().__init__(inner)
        self.rules = rules

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        bound: ContainerRules | None = None
        held_back: dict[str, str] = {}  # quarantined item -> why what hangs on it is too
        async for obj in self.inner.extract(container_id, include_archived=include_archived):
            if isinstance(obj, Template):
                bound = ContainerRules(self.rules, obj)
            elif isinstance(obj, Item) and bound is not None:
                failures = bound.check(obj)
                for f in failures:
                    yield QualityFailure(obj.key, obj.name, f.rule, f.severity, f.detail)
                critical = [f for f in failures if f.severity == "critical"]
                if critical or obj.parent_key in held_back:
                    why = "; ".join(f"quality rule '{f.rule}' failed: {f.detail}" for f in critical)
                    held_back[obj.key] = f"its item {obj.key} was quarantined"
                    yield SourceRejected(obj.key, "item", why or held_back[obj.parent_key or ""])
                    continue
            else:
                parent = getattr(obj, "item_key", None)
                if parent in held_back:
                    yield SourceRejected(obj.key, _kind(obj), held_back[parent])
                    continue
            yield obj


def _kind(obj: object) -> str:
    return type(obj).__name__.lower()


def checked(source: SourceAdapter, rules: list[QualityRule]) -> SourceAdapter:
    """The source with the plan's rules applied (itself when the plan has none)."""
    return QualityChecked(source, rules) if rules else source
