"""A target is built with the plan's mapping options, never with guessed defaults: Tallyfy's
kick-off fields follow the plan's field types and checklists mode."""

from __future__ import annotations

import asyncio

import pytest

from adapters.tallyfy.spec import SPEC, TallyfyMapping
from adapters.tallyfy.target import TallyfyTarget
from wizard.plan import Limits, Target
from wizard.registry import Connection

TARGET = Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="p", organization="o")


def test_a_target_without_the_plans_mapping_options_is_refused() -> None:
    with pytest.raises(ValueError, match="mapping options"):
        SPEC.connect(Connection(TARGET, {"token": "t"}, Limits()))


def test_the_target_writes_by_the_plans_mapping_options() -> None:
    mapping = TallyfyMapping(checklists="subtasks", field_types={"src:field:f": "text"})
    target = SPEC.connect(Connection(TARGET, {"token": "t"}, Limits(), mapping=mapping))
    try:
        assert isinstance(target, TallyfyTarget)
        assert (target.with_checklists, target.overrides) == (False, {"src:field:f": "text"})
        assert target.checklists_as_subitems, "the engine asks the target, not the plan by an option's name"
    finally:
        asyncio.run(target.aclose())


def test_checklists_are_written_with_the_item_unless_the_plan_says_subtasks() -> None:
    target = SPEC.connect(Connection(TARGET, {"token": "t"}, Limits(), mapping=TallyfyMapping()))
    try:
        assert not target.checklists_as_subitems and target.with_checklists
    finally:
        asyncio.run(target.aclose())
