"""The ledger names each object the kanban preset changes on its way into Tallyfy, with the
reason, using the same helpers the writes use; the Losses tab shows it per board."""

from __future__ import annotations

import re

from adapters.tallyfy import ledger
from adapters.tallyfy import mapping as tm
from wizard.engine.container_notes import container_losses
from wizard.model import (
    Checklist,
    ChecklistItem,
    FieldDef,
    FieldOption,
    FieldType,
    FieldValue,
    Item,
    Relation,
    Stage,
    Tag,
    Template,
)

PRIORITY = FieldDef(
    key="trello:field:p",
    name="Priority",
    type=FieldType.dropdown,
    options=[FieldOption(id="o1", text="Low"), FieldOption(id="o2", text="High")],
)
REF = FieldDef(key="trello:field:r", name="Ref", type=FieldType.text)
TPL = Template(
    key="trello:board:b",
    name="Board",
    fields=[PRIORITY, REF],
    tags=[
        Tag(key="trello:label:l1", name="Yellow label", color="#f2d600", source_name=""),
        Tag(key="trello:label:l2", name="Urgent", color="#eb5a46"),
    ],
)


def item(**kw: object) -> Item:
    return Item(key="trello:card:c", template_key=TPL.key, name=kw.pop("name", "Card"), **kw)  # type: ignore[arg-type]


def test_a_tidy_card_changes_nothing() -> None:
    assert ledger.item_changes(item(values=[FieldValue(field_key=PRIORITY.key, value="o2")]), TPL, {}, True) == []


def test_blank_and_over_long_names_say_what_they_become() -> None:
    [blank] = ledger.item_changes(item(name=" \t "), TPL, {}, True)
    assert blank["key"] == "trello:card:c" and "'Untitled'" in blank["why"] and blank["dropped"] == 0
    assert tm.name_for(" \t ", tm.RUN_NAME_LIMIT) == "Untitled"  # what the write does
    [long] = ledger.item_changes(item(name="x" * 16_384), TPL, {}, True)
    assert "16,384 characters" in long["why"] and "550" in long["why"]


def test_values_the_target_cannot_hold_are_dropped_and_cut_ones_named() -> None:
    changes = ledger.item_changes(
        item(
            values=[FieldValue(field_key=PRIORITY.key, value="gone"), FieldValue(field_key=REF.key, value="r" * 40_000)]
        ),
        TPL,
        {},
        True,
    )
    assert [(c["kind"], c["dropped"]) for c in changes] == [("field_value", 1), ("field_value", 0)]
    assert "not one of the field's options" in changes[0]["why"] and "cut" in changes[1]["why"]


def test_checklist_items_past_the_field_limit_are_counted_as_dropped() -> None:
    items = [ChecklistItem(name=f"step {i} " + "y" * 300) for i in range(200)]
    card = item(checklists=[Checklist(key="trello:checklist:k", name="QA", items=items)])
    [c] = ledger.item_changes(card, TPL, {}, True)
    kept = sum(
        1 for line in tm.checklist_text(card)[: tm.TEXTAREA_LIMIT - 1].splitlines()[:-1] if line.startswith("- [")
    )
    assert c["kind"] == "checklist_item" and c["dropped"] == 200 - kept > 0
    assert ledger.item_changes(card, TPL, {}, False) == []  # as tasks, nothing is cut


def test_a_renamed_label_is_in_the_template_ledger() -> None:
    [c] = ledger.template_changes(TPL)
    assert c["key"] == "trello:label:l1" and "'Yellow label'" in c["why"]


def test_the_losses_tab_counts_cards_left_out_and_lists_the_ledger() -> None:
    inv = {
        "containers": [
            {
                "key": TPL.key,
                "left_out": [
                    {"key": f"trello:card:{i}", "kind": "card", "reason": "it is in an archived list"} for i in range(3)
                ],
                "ledger": ledger.template_changes(TPL) * 25,
            }
        ]
    }
    out = container_losses({**inv, "source_system": "trello"}, TPL.key)
    assert out[0] == "3 cards left out: it is in an archived list", "in the source's own words"
    assert container_losses(inv, TPL.key)[0] == "3 items left out: it is in an archived list", "no source known"
    assert out[1] == "25 object(s) change on the way:" and "and 5 more" in out[-1]
    assert container_losses(inv, "trello:board:other")[0].startswith("Objects that change")


def test_the_losses_tab_says_how_many_cards_of_archived_lists_are_migrated() -> None:
    inv = {
        "containers": [
            {
                "key": TPL.key,
                "items_by_stage_index": [4, 2, 3],
                "template": {
                    "stages": [
                        {"key": "l1", "position": 1},
                        {"key": "l9", "position": 9, "closed": True, "name": "Old sprint (archived list)"},
                        {"key": "l2", "position": 2},
                    ]
                },
            }
        ]
    }
    assert container_losses({**inv, "source_system": "trello"}, TPL.key)[0] == (
        "3 cards in archived stages are migrated (include_archived = true), into 'Old sprint (archived list)'"
    )


def test_the_ledger_speaks_of_names_and_values_never_of_a_sources_boards_lists_cards_or_labels() -> None:
    tpl = TPL.model_copy(
        update={
            "name": "b" * 300,
            "stages": [Stage(key="trello:list:s", name="s" * 700)],
            "fields": [*TPL.fields, FieldDef(key="trello:field:f", name="f" * 700, type=FieldType.text)],
        }
    )
    lines = ledger.template_changes(tpl) + ledger.item_changes(
        item(name="", values=[FieldValue(field_key="trello:field:nowhere", value="x")]), tpl, {}, True
    )
    assert {x["kind"] for x in lines} == {"template", "stage", "field", "tag", "item", "field_value"}
    said = re.sub(r"'[^']*'", "", " ".join(f"{x['what']} {x['why']}" for x in lines))  # quoted names are data
    assert not re.search(r"\b(boards?|lists?|cards?|labels?|trello)\b", said, re.IGNORECASE), said


def test_approval_automated_and_stop_steps_say_what_tallyfy_makes_of_them() -> None:
    stages = [
        Stage(key="processstreet:task_template:a", name="Approve", kind="approval"),
        Stage(key="processstreet:task_template:b", name="Summarise", kind="automated"),
        Stage(key="processstreet:task_template:c", name="Check", waits=True),
        Stage(key="processstreet:task_template:d", name="Plain"),
    ]
    tpl = Template(key="processstreet:workflow:w", name="Workflow", stages=stages)
    assert [tm.step_body(s, "t")["step_type"] for s in stages] == ["approval", "task", "task", "task"]
    said = {(c["key"].rsplit(":", 1)[1], c["what"]): c["why"] for c in ledger.template_changes(tpl)}
    assert set(said) == {("b", "kind"), ("c", "waits")}, "an approval step is one in Tallyfy too: no loss"
    assert "a person does" in said[("b", "kind")] and "do not wait" in said[("c", "waits")]
    rules = dict(tm.losses(tpl, {}, True))
    assert "automated steps" in rules and "steps the later ones wait for" in rules
    assert "automated steps" not in dict(tm.losses(TPL, {}, True)), "a template without them names no such rule"


def test_a_steps_own_field_and_an_items_links_are_named() -> None:
    stage = Stage(key="pipefy:phase:p1", name="Approval")
    own = FieldDef(key="pipefy:field:x/approvers", name="Approvers", type=FieldType.text, stage_key=stage.key)
    tpl = TPL.model_copy(update={"stages": [stage], "fields": [*TPL.fields, own]})
    assert not [x for x in ledger.template_changes(tpl) if x["key"] == own.key], "its step's own form holds it"
    assert not any(what.startswith("fields of a") for what, _ in tm.losses(tpl, {}, True))
    assert [d["guidance"] for d in tm.prerun_defs(tpl, {}, True) if own.key in d["guidance"]] == []
    lost = own.model_copy(update={"stage_key": "pipefy:phase:gone"})  # a stage the template does not have
    orphan = TPL.model_copy(update={"stages": [stage], "fields": [*TPL.fields, lost]})
    [line] = [x for x in ledger.template_changes(orphan) if x["key"] == own.key]
    assert "kick-off form" in line["why"] and line["dropped"] == 0
    assert any(what == "fields of a missing step" for what, _ in tm.losses(orphan, {}, True))
    linked = item(relations=[Relation(kind="relates_to", item_key="trello:card:d")])
    [links] = ledger.item_changes(linked, TPL, {}, True)
    assert links["what"] == "links" and "1 link(s)" in links["why"] and links["dropped"] == 0
