"""Source presets: a source's spec declares them, the plan records the choice (checked in one
sentence), and a preset may reshape the source's stream with a core transform
(`wizard.reshape.container_as_process`) that knows no vendor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from wizard.adapter import ChangeSet, Container, Identity, SourceAdapter, SourceLoss, SourceRejected, StatedItem
from wizard.errors import PlanError
from wizard.model import Attachment, Comment, FieldDef, FieldType, FieldValue, Item, Stage, Template, capabilities_used
from wizard.plan import load_plan
from wizard.reshape import as_process, container_as_process, process_key

PLAN = """
[source]
system = "asana"
base_url = "https://app.asana.com/api/1.0"
{preset}
[target]
system = "tallyfy"
base_url = "https://go.tallyfy.com/api"
organization = "abc"
"""

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def plan_with(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(preset=line))
    return path


def test_the_source_preset_defaults_to_the_first_the_source_declares(tmp_path: Path) -> None:
    assert load_plan(plan_with(tmp_path, "")).source.preset == "board"
    chosen = load_plan(plan_with(tmp_path, 'preset = "project_as_process"'))
    assert chosen.source.preset == "project_as_process"


def test_an_unknown_source_preset_is_one_sentence_naming_the_choices(tmp_path: Path) -> None:
    path = plan_with(tmp_path, 'preset = "gantt"')
    with pytest.raises(PlanError) as e:
        load_plan(path)
    assert e.value.sentence == f"{path}: key 'source.preset' must be one of board, project_as_process."


def test_a_source_without_presets_takes_none(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(
        PLAN.format(preset='preset = "board"')
        .replace('"asana"', '"trello"')
        .replace("https://app.asana.com/api/1.0", "https://api.trello.com/1")
    )
    with pytest.raises(PlanError) as e:
        load_plan(path)
    assert (
        e.value.sentence
        == f"{path}: key 'source.preset' names 'board', but Trello has no mapping presets; leave it out."
    )


# -- container as process ---------------------------------------------------------------
def item(n: int, stage: str, *, done: bool = False, **kw: Any) -> Item:
    return Item(
        key=f"toy:task:{n}",
        template_key="toy:project:p",
        stage_key=f"toy:section:{stage}",
        name=f"task {n}",
        position=n,
        completed_at=T0 if done else None,
        **kw,
    )


TPL = Template(
    key="toy:project:p",
    kind="project",
    name="Launch",
    stages=[Stage(key="toy:section:b", name="Later", position=1), Stage(key="toy:section:a", name="First", position=0)],
)


def test_items_become_steps_in_stage_order_then_item_order_and_one_process_holds_their_states() -> None:
    items = [item(3, "b"), item(1, "a", done=True), item(2, "a", done=True, parent_key="toy:task:1")]
    shaped, process, losses = as_process(TPL, items, "toy:process:p")
    assert [s.key for s in shaped.stages] == ["toy:task:1", "toy:task:2", "toy:task:3"]
    assert [s.position for s in shaped.stages] == [0, 1, 2]
    assert process is not None and process.key == "toy:process:p" and process.template_key == TPL.key
    assert process.stage_key == "toy:task:3", "it stands at the first step whose item is open"
    assert process.name == "Launch" and not process.due_complete and losses == []


def test_all_done_stands_at_the_last_step_and_is_complete() -> None:
    _, process, _ = as_process(TPL, [item(1, "a", done=True), item(2, "b", done=True)], "toy:process:p")
    assert process is not None and process.stage_key == "toy:task:2" and process.due_complete
    assert process.completed_at == T0


def test_what_one_process_cannot_hold_is_in_the_ledger() -> None:
    items = [item(1, "a"), item(2, "a", done=True)]
    _, process, losses = as_process(TPL, items, "toy:process:p")
    assert process is not None
    assert [(x.key, x.kind, x.dropped) for x in losses] == [("toy:task:2", "item", 0)]
    assert "first open step" in losses[0].why


def test_each_items_values_are_its_steps_own_fields_and_the_process_holds_them() -> None:
    f = FieldDef(key="toy:field:f", name="Budget", type=FieldType.number)
    tpl = TPL.model_copy(update={"fields": [f]})
    items = [
        item(1, "a", values=[FieldValue(field_key=f.key, value=5.0)]),
        item(2, "a"),
        item(3, "b", values=[FieldValue(field_key=f.key, value=7.0)]),
        item(4, "b", values=[FieldValue(field_key=f.key, value=9.0)]).model_copy(update={"name": "task 3"}),
    ]
    shaped, process, losses = as_process(tpl, items, "toy:process:p")
    assert [(x.key, x.name, x.type, x.stage_key) for x in shaped.fields] == [
        ("toy:field:f/toy:task:1", "task 1: Budget", FieldType.number, "toy:task:1"),
        ("toy:field:f/toy:task:3", "task 3: Budget", FieldType.number, "toy:task:3"),
        ("toy:field:f/toy:task:4", "task 3: Budget (2)", FieldType.number, "toy:task:4"),
    ], "one copy per item that has a value, on that item's step, each of its own name"
    assert process is not None and [(v.field_key, v.value) for v in process.values] == [
        ("toy:field:f/toy:task:1", 5.0),
        ("toy:field:f/toy:task:3", 7.0),
        ("toy:field:f/toy:task:4", 9.0),
    ]
    assert losses == [], "no value is lost"


def test_an_empty_container_is_a_template_without_a_process() -> None:
    shaped, process, losses = as_process(TPL, [], "toy:process:p")
    assert shaped.stages == [] and process is None and losses == []


class Toy(SourceAdapter):
    system = "toy"
    label = "Toy"
    credential_parts = ()

    @classmethod
    def connect(cls, *a: Any, **kw: Any) -> SourceAdapter:
        return cls()

    async def whoami(self) -> Identity:
        return Identity("me", "ws")

    async def containers(self) -> list[Container]:
        return [Container("toy:project:p", "p", "Launch")]

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Any]:
        yield TPL
        yield item(1, "a", done=True)
        yield Comment(key="toy:comment:c", item_key="toy:task:1", created_at=T0, text="hi")
        yield SourceRejected("toy:task:9", "item", "malformed")
        yield item(2, "b")
        yield Attachment(key="toy:attachment:f", item_key="toy:task:2", name="f.txt", size=1)

    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def stated_counts(self, container_id: str) -> list[StatedItem] | None:
        return [StatedItem("toy:task:1", "a", {"comment": 1}), StatedItem("toy:task:2", "b", {"file": 1})]

    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        return ChangeSet({"toy:task:2"}, set(), {"toy:comment:d"}, "c2")

    @property
    def calls(self) -> int:
        return 7


async def test_the_reshaped_stream_yields_template_then_process_then_children_rehung() -> None:
    src = container_as_process(Toy())
    got = [o async for o in src.extract("p")]
    assert [type(o).__name__ for o in got] == ["SourceRejected", "Template", "Item", "Comment", "Attachment"]
    process = got[2]
    assert process.key == process_key("toy", "p") == "toy:process:p"
    assert got[3].item_key == got[4].item_key == "toy:process:p"
    assert got[3].text == "On 'task 1': hi", "a comment says which item it was on"
    assert src.calls == 7 and src.system == "toy" and "subitems" not in src.fills


async def test_stated_counts_and_changes_are_the_process_s() -> None:
    src = container_as_process(Toy())
    stated = await src.stated_counts("p")
    assert stated == [StatedItem("toy:process:p", "", {"comment": 1, "file": 1}, None)]
    changes = await src.changes_since("p", "c1")
    assert changes is not None
    assert (changes.changed_item_ids, changes.new_comment_ids, changes.cursor) == (
        {"toy:process:p"},
        {"toy:comment:d"},
        "c2",
    )


def test_a_source_loss_is_a_ledger_line() -> None:
    assert SourceLoss("k:x:1", "item", "done", "why", 2).line() == {
        "key": "k:x:1",
        "kind": "item",
        "what": "done",
        "why": "why",
        "dropped": 2,
    }


def test_an_item_that_is_a_decision_or_a_checkpoint_becomes_a_step_of_approval() -> None:
    shaped, _, _ = as_process(TPL, [item(1, "a"), item(2, "a", approval="milestone")], "toy:process:p")
    assert [s.kind for s in shaped.stages] == [None, "approval"]
    assert "stage_kinds" in capabilities_used(shaped)
