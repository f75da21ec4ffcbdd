"""Pipefy's values as it stores them (always a string; a JSON array in a string for the
multi-valued types) read into the canonical types; what cannot be read stays what it was."""

from __future__ import annotations

import pytest

from adapters.pipefy import mapping
from adapters.pipefy.wire import PAttachment, PField, PLabel
from wizard.model import FieldType

PEOPLE = {"Ana Lima": "pipefy:user:1", "نور الهدى": "pipefy:user:2"}


@pytest.mark.parametrize(
    ("ftype", "value", "want"),
    [
        ("checklist_vertical", '["Budget", "Legal"]', ["Budget", "Legal"]),
        ("checklist_vertical", "Budget", ["Budget"]),  # a bare string is one value
        ("checklist_vertical", "[]", []),
        ("label_select", '["Urgent", null, ""]', ["Urgent"]),
        ("assignee_select", '["Ana Lima", "نور الهدى", "Someone gone"]', ["pipefy:user:1", "pipefy:user:2"]),
        ("connector", '["Buy laptops #1", "طلب شراء جديد"]', "Buy laptops #1, طلب شراء جديد"),
        ("currency", "1,250.50", 1250.5),
        ("number", "12", 12.0),
        ("number", "twelve", "twelve"),  # kept as given when it is no number
        ("date", "2024-06-30", "2024-06-30"),
        ("dynamic_content", '{"a": 1}', '{"a": 1}'),  # a type we do not know: its text
        ("short_text", "", None),
        ("short_text", None, None),
    ],
)
def test_values_are_read_from_pipefys_strings(ftype: str, value: str | None, want: object) -> None:
    assert mapping.value_of(ftype, value, PEOPLE) == want


def test_a_field_of_a_type_we_do_not_know_is_text_and_says_which() -> None:
    f = mapping.field_def("9", PField(id="score", label="Score", type="dynamic_content"), None, [])
    assert f.type == FieldType.text and f.source_type == "dynamic_content"
    known = mapping.field_def("9", PField(id="x", label="", type="select", options=["A", ""]), "pipefy:phase:3", [])
    assert known.source_type is None and known.name == "x" and known.stage_key == "pipefy:phase:3"
    assert [o.text for o in known.options] == ["A", "(blank)"]
    labels = mapping.field_def("9", PField(id="t", label="Tags", type="label_select"), None, ["Urgent", "VIP"])
    assert [o.text for o in labels.options] == ["Urgent", "VIP"], "a label field's options are the pipe's labels"


def test_a_label_without_name_or_colour_is_still_a_tag() -> None:
    t = mapping.tag(PLabel(id="5", name="", color="red"))
    assert t.name == "label 5" and t.source_name == "" and t.color is None


def test_a_file_is_named_by_its_path_and_keyed_by_its_card_and_path() -> None:
    a = PAttachment(url="https://x.s3.amazonaws.com/q.pdf?X-Amz-Expires=60", path="orgs/1/uploads/ab/notes%202024.pdf")
    att = mapping.map_attachment(a, "77")
    assert att.name == "notes 2024.pdf" and att.mime_type == "application/pdf"
    assert att.key == mapping.map_attachment(a, "77").key != mapping.map_attachment(a, "78").key
    assert att.item_key == "pipefy:card:77"


def test_a_presigned_url_is_expired_a_minute_before_it_says() -> None:
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415 - only this test reads clocks

    from adapters.pipefy.source import _expired  # noqa: PLC0415 - a private helper, tested alone

    now = datetime.now(UTC)
    assert _expired(f"https://h/f?expires_on={int(now.timestamp()) + 30}&signature=x")
    assert not _expired(f"https://h/f?expires_on={int(now.timestamp()) + 600}&signature=x")
    signed = (now - timedelta(seconds=100)).strftime("%Y%m%dT%H%M%SZ")
    assert _expired(f"https://b.s3.amazonaws.com/f?X-Amz-Date={signed}&X-Amz-Expires=120")
    assert not _expired(f"https://b.s3.amazonaws.com/f?X-Amz-Date={signed}&X-Amz-Expires=3600")
    assert not _expired("https://h/f"), "a URL that says nothing of it is taken as alive"
