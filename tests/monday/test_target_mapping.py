"""What the monday.com target's mapping writes, and what its ledger says it loses: the same
helpers, so a value the run leaves empty is a value the ledger counts as dropped."""

from __future__ import annotations

from adapters.monday import target_mapping as mm
from adapters.monday.target_ledger import MondayLosses
from wizard.model import FieldDef, FieldType, FieldValue, Item, Stage, Template

FLAG = FieldDef(key="table:column:t/flag", name="Paid", type=FieldType.checkbox)
TPL = Template(key="table:container:t", name="T", fields=[FLAG])


def row(flag: object) -> Item:
    return Item(
        key="table:row:t/1", template_key=TPL.key, name="R1", values=[FieldValue(field_key=FLAG.key, value=flag)]
    )


def test_an_unchecked_checkbox_is_an_empty_column_and_the_ledger_drops_it() -> None:
    assert mm.value_for(FLAG, "checkbox", True) == ({"checked": "true"}, None)
    value, why = mm.value_for(FLAG, "checkbox", False)
    assert value is None and why and "unchecked" in why
    losses = MondayLosses().item_losses(row(False), TPL)
    assert [(c["kind"], c["dropped"]) for c in losses] == [("field_value", 1)]
    assert MondayLosses().item_losses(row(True), TPL) == []


def test_a_value_a_column_cannot_hold_is_dropped_with_its_reason() -> None:
    when = FieldDef(key="x:field:d", name="Due", type=FieldType.date)
    assert mm.value_for(when, "date", "2024-06-15T10:00:00Z") == ({"date": "2024-06-15"}, None)
    value, why = mm.value_for(when, "date", "next week")
    assert value is None and why and "not a date" in why
    number = FieldDef(key="x:field:n", name="Budget", type=FieldType.number)
    assert mm.value_for(number, "numbers", 42.0) == ("42", None)


def test_fields_sharing_a_title_and_type_get_columns_named_for_their_stage() -> None:
    """Two stages' "Notes" would be one column (found by title and type), one value over the
    other: each is named for its stage; a stageless one keeps the title and a second is
    numbered; the same title of another type is its own column already and keeps it."""
    stages = [Stage(key="x:phase:1", name="Triage", position=0), Stage(key="x:phase:2", name="  Doing ", position=1)]
    fields = [
        FieldDef(key="x:field:start", name="Notes", type=FieldType.textarea),
        FieldDef(key="x:field:triage", name="Notes", type=FieldType.textarea, stage_key="x:phase:1"),
        FieldDef(key="x:field:doing", name="Notes", type=FieldType.textarea, stage_key="x:phase:2"),
        FieldDef(key="x:field:again", name="Notes", type=FieldType.textarea),
        FieldDef(key="x:field:other", name="Notes", type=FieldType.number, stage_key="x:phase:1"),
        FieldDef(key="x:field:named", name="Triage: Notes", type=FieldType.textarea),
    ]
    tpl = Template(key="x:pipe:c", name="C", stages=stages, fields=fields)
    titles = mm.column_titles(tpl, {})
    assert titles == {
        "x:field:start": "Notes",
        "x:field:triage": "Triage: Notes (2)",  # a field of the template is already called so
        "x:field:doing": "Doing: Notes",
        "x:field:again": "Notes (2)",
        "x:field:other": "Notes",
        "x:field:named": "Triage: Notes",
    }
    assert len({(t, mm.column_type(f, {})) for f in fields for t in [titles[f.key]]}) == len(fields)
    assert mm.column_titles(tpl, {}) == titles, "the same template, the same titles"
