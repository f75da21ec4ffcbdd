"""The canonical model: what each part holds, what an object fills, and hashes that stay
what they were for objects that fill none of the parts added later."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from wizard.model import FieldDef, FieldType, Item, Relation, Stage, Tag, Template, capabilities_used

ITEM = {"key": "x:item:1", "template_key": "x:board:1", "name": "One"}


def test_an_item_that_fills_no_new_part_hashes_as_before_those_parts_existed() -> None:
    # The hash a store written before the model grew holds for this item (computed then).
    item = Item(**ITEM, description="d", assignee_keys=["x:person:1"])
    assert item.content_hash() == "a2c5ee03f7e1a671"


def test_a_new_part_filled_changes_the_hash() -> None:
    base = Item(**ITEM).content_hash()
    assert Item(**ITEM, parent_key="x:item:0").content_hash() != base
    assert Item(**ITEM, relations=[Relation(kind="blocks", item_key="x:item:2")]).content_hash() != base
    assert Item(**ITEM, completed_at=datetime(2024, 1, 1, tzinfo=UTC)).content_hash() != base


def test_colours_are_hex_only() -> None:
    assert Tag(key="x:tag:1", name="t", color="#ABCDEF").color == "#abcdef"
    with pytest.raises(ValidationError):
        Tag(key="x:tag:1", name="t", color="green")


def test_what_an_object_fills_is_named_part_by_part() -> None:
    assert capabilities_used(Item(**ITEM)) == set()
    sub = Item(
        **ITEM,
        parent_key="x:item:0",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        assignee_keys=["x:person:1"],
        stage_assignees={"x:stage:1": ["x:person:2"]},
        relations=[Relation(kind="relates_to", item_key="x:item:3")],
    )
    assert capabilities_used(sub) == {"subitems", "created_at", "item_assignees", "stage_assignees", "relations"}
    tpl = Template(
        key="x:board:1",
        name="B",
        stages=[Stage(key="x:stage:1", name="S", assignee_keys=["x:person:1"])],
        fields=[FieldDef(key="x:field:1", name="F", type=FieldType.text, stage_key="x:stage:1")],
        tags=[Tag(key="x:tag:1", name="t", color="#000000")],
    )
    assert capabilities_used(tpl) == {"stage_assignees", "fields", "stage_fields", "tags", "tag_colours"}


def test_stage_kinds_are_a_part_of_their_own() -> None:
    plain = Template(key="t:board:b", name="B", stages=[Stage(key="t:list:l", name="L")])
    assert "stage_kinds" not in capabilities_used(plain)
    for stage in (Stage(key="t:list:a", name="A", kind="approval"), Stage(key="t:list:w", name="W", waits=True)):
        assert "stage_kinds" in capabilities_used(Template(key="t:board:b", name="B", stages=[stage]))
