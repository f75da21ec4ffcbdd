"""Which Tallyfy types a source field may become, and what each loses: the mapping screen
offers only these, and losses() (the Losses tab, the report) follows the plan's choice."""

from __future__ import annotations

from adapters.tallyfy.mapping import CONVERSIONS, FIELD_TYPES, conversion_loss, field_value, losses
from wizard.model import FieldDef, FieldOption, FieldType, Template

SAMPLE = {
    FieldType.text: "hello",
    FieldType.textarea: "long text",
    FieldType.number: "12.5",
    FieldType.checkbox: True,
    FieldType.date: "2026-09-21T12:00:00Z",
    FieldType.dropdown: "1",
    FieldType.multiselect: ["1"],
    FieldType.email: "a@b.test",
    FieldType.url: "https://x.test",
    FieldType.file: "f.pdf",
    FieldType.people: "Priya Nair",
}


def test_every_type_offers_its_default_first() -> None:
    assert set(CONVERSIONS) == set(FieldType)
    for ftype, offered in CONVERSIONS.items():
        assert next(iter(offered)) == FIELD_TYPES[ftype], ftype
    assert "file" not in CONVERSIONS[FieldType.checkbox] and "file" not in CONVERSIONS[FieldType.number]


def test_every_offered_conversion_keeps_the_value() -> None:
    for ftype, offered in CONVERSIONS.items():
        f = FieldDef(
            key=f"trello:field:{ftype.value}", name=ftype.value, type=ftype, options=[FieldOption(id="1", text="High")]
        )
        for target in offered:
            options = [{"id": 1, "text": "Yes" if ftype == FieldType.checkbox else "High"}]
            assert field_value(f, target, SAMPLE[ftype], options) not in (None, [], ""), (ftype, target)


def test_losses_follow_the_chosen_type() -> None:
    signed = FieldDef(key="trello:field:signed", name="Signed", type=FieldType.checkbox)
    tpl = Template(key="trello:board:b1", name="Board", fields=[signed])
    default = dict(losses(tpl, {}, True))
    assert "Yes/No choice" in default["field 'Signed' (checkbox)"]
    as_text = dict(losses(tpl, {"trello:field:signed": "text"}, True))
    assert (
        "Yes/No" not in as_text["field 'Signed' (checkbox)"] and "True or False" in as_text["field 'Signed' (checkbox)"]
    )
    assert "does not convert" in conversion_loss(signed, "file"), "a hand-edited plan still gets a reason"
