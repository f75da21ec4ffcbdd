"""One data-quality rule as the plan declares it (`[[quality]]`); `wizard.quality` checks items
against them. Apart from the checking so that reading a plan does not load the source
contracts the checker wraps (and the HTTP stack behind them)."""

from __future__ import annotations

from typing import Literal

import simpleeval
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wizard.model import FieldType, Template

Severity = Literal["critical", "warning"]


class QualityRule(BaseModel):
    """One rule of the plan's `[[quality]]`: a name, a severity, and exactly one check."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, description="Named in the quarantine, the report and the screen.")
    severity: Severity = Field(default="critical", description="critical: the item is quarantined; warning: it goes.")
    field: str = Field(
        default="", description="The field the check reads, by its name (required, type, allowed, unique)."
    )
    required: bool = Field(default=False, description="The field must hold a value.")
    type: FieldType | None = Field(default=None, description="A value the field holds must read as this type.")
    allowed: list[str] | None = Field(default=None, description="A value the field holds must be one of these.")
    unique: bool = Field(default=False, description="No two items of a container hold the same value.")
    expression: str = Field(
        default="",
        description="A cross-field check that must hold, e.g. 'amount > 0 or status == \"Draft\"' (fields by name).",
    )
    containers: list[str] = Field(default_factory=list, description="Container ids or names it applies to; empty: all.")

    @model_validator(mode="after")
    def _one_check(self) -> QualityRule:
        checks = [self.required, self.type is not None, self.allowed is not None, self.unique, bool(self.expression)]
        if sum(checks) != 1:
            raise ValueError(
                f"rule '{self.name}' must make exactly one check (required, type, allowed, unique or expression)"
            )
        if not self.expression and not self.field:
            raise ValueError(f"rule '{self.name}' names no field to check")
        if self.expression:
            try:
                simpleeval.SimpleEval().parse(self.expression)
            except SyntaxError as e:
                raise ValueError(f"rule '{self.name}': its expression is not valid ({e.msg})") from None
        return self

    def applies_to(self, tpl: Template) -> bool:
        return not self.containers or bool({tpl.source_id, tpl.name, tpl.key} & set(self.containers))
