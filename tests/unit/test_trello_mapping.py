"""The Trello wire -> canonical rules, one at a time, and malformed records -> SourceRejected."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.trello import mapping
from adapters.trello.wire import TrelloCustomField, TrelloCustomFieldItem, TrelloLabel
from wizard.adapter import SourceRejected
from wizard.model import Attachment, Comment, FieldType, Item

BOARD = "65f1c0aae4b0a1b2c3d4e001"
LIST = "65f1c0aae4b0a1b2c3d4e010"
CARD = "65f1c2a9e4b0a1b2c3d4e5f6"
MEMBER = "5b02e7f4e1facdc393169f9d"
LABEL = "65f1c0aae4b0a1b2c3d4e0a1"
F_LIST, F_NUM, F_CHECK, F_TEXT, F_DATE = (f"65f1c0ffe4b0a1b2c3d4ecf{i}" for i in range(1, 6))
OPT = "65f1c0ffe4b0a1b2c3d4ec02"


def fields() -> dict[str, TrelloCustomField]:
    raw = [
        {
            "id": F_LIST,
            "name": "Priority",
            "type": "list",
            "options": [{"id": OPT, "value": {"text": "High"}, "color": "red"}],
        },
        {"id": F_NUM, "name": "Estimate", "type": "number"},
        {"id": F_CHECK, "name": "Approved", "type": "checkbox"},
        {"id": F_TEXT, "name": "Ref", "type": "text"},
        {"id": F_DATE, "name": "Go-live", "type": "date"},
    ]
    return {f["id"]: TrelloCustomField.model_validate(f) for f in raw}


def card(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": CARD,
        "name": "Ship onboarding email",
        "desc": "Draft in **Markdown**",
        "closed": False,
        "idBoard": BOARD,
        "idList": LIST,
        "pos": 16384.5,
        "dateLastActivity": "2026-03-02T10:15:00.000Z",
        "due": "2026-03-10T17:00:00.000Z",
        "dueComplete": False,
        "idMembers": [MEMBER],
        "idLabels": [LABEL],
        "url": "https://trello.com/c/Hk3pQx9Z/42-ship",
        "badges": {"comments": 2},
        "shortLink": "Hk3pQx9Z",
        "checklists": [
            {
                "id": "65f1c3b1e4b0a1b2c3d4e777",
                "name": "QA",
                "pos": 2,
                "checkItems": [
                    {
                        "id": "65f1c3c0e4b0a1b2c3d4e781",
                        "name": "Second",
                        "state": "incomplete",
                        "pos": 20,
                        "idMember": MEMBER,
                    },
                    {"id": "65f1c3c0e4b0a1b2c3d4e780", "name": "First", "state": "complete", "pos": 10},
                ],
            }
        ],
        "customFieldItems": [
            {
                "id": "65f1c6000000000000000001",
                "idCustomField": F_LIST,
                "idModel": CARD,
                "modelType": "card",
                "idValue": OPT,
            },
            {
                "id": "65f1c6000000000000000002",
                "idCustomField": F_NUM,
                "idModel": CARD,
                "modelType": "card",
                "value": {"number": "8"},
            },
            {
                "id": "65f1c6000000000000000003",
                "idCustomField": F_CHECK,
                "idModel": CARD,
                "modelType": "card",
                "value": {"checked": "true"},
            },
            {
                "id": "65f1c6000000000000000004",
                "idCustomField": F_TEXT,
                "idModel": CARD,
                "modelType": "card",
                "value": {"text": "REF-1"},
            },
            {
                "id": "65f1c6000000000000000005",
                "idCustomField": F_DATE,
                "idModel": CARD,
                "modelType": "card",
                "value": {"date": "2026-04-01T00:00:00.000Z"},
            },
        ],
    }
    base.update(over)
    return base


def test_card_maps_to_item_with_stage_tags_people_values_and_checklists() -> None:
    item = mapping.map_card(card(), BOARD, fields())
    assert isinstance(item, Item)
    assert item.key == f"trello:card:{CARD}"
    assert item.template_key == f"trello:board:{BOARD}"
    assert item.stage_key == f"trello:list:{LIST}"
    assert item.assignee_keys == [f"trello:member:{MEMBER}"]
    assert item.tag_keys == [f"trello:label:{LABEL}"]
    assert item.due == datetime(2026, 3, 10, 17, tzinfo=UTC)
    values = {v.field_key.rsplit(":", 1)[1]: v.value for v in item.values}
    # read values arrive as strings; the mapping gives them their real types, and numbers keep their form
    assert values == {F_LIST: OPT, F_NUM: "8", F_CHECK: True, F_TEXT: "REF-1", F_DATE: "2026-04-01T00:00:00.000Z"}
    [checklist] = item.checklists
    assert checklist.key == "trello:checklist:65f1c3b1e4b0a1b2c3d4e777"
    assert [i.name for i in checklist.items] == ["First", "Second"]  # by position
    assert [i.done for i in checklist.items] == [True, False]
    assert checklist.items[1].assignee_key == f"trello:member:{MEMBER}"


@pytest.mark.parametrize(
    "over, field",
    [
        ({"name": {"text": "oops"}}, "name"),
        ({"id": None}, "id"),
        ({"idList": "not-an-id"}, "idList"),
        ({"closed": "maybe"}, "closed"),
        (
            {
                "checklists": [
                    {
                        "id": "65f1c3b1e4b0a1b2c3d4e777",
                        "name": "QA",
                        "checkItems": [{"id": "65f1c3c0e4b0a1b2c3d4e780", "name": "x", "state": "done"}],
                    }
                ]
            },
            "state",
        ),
    ],
)
def test_malformed_card_becomes_one_sentence_rejection_naming_the_field(over: dict[str, Any], field: str) -> None:
    raw = card(**over)
    if over.get("id", "") is None:
        del raw["id"]
    out = mapping.map_card(raw, BOARD, fields(), index=7)
    assert isinstance(out, SourceRejected)
    assert out.kind == "card"
    assert field in out.reason
    assert out.reason.endswith(".") and out.reason.count(". ") == 0
    assert out.key == (f"trello:card:{CARD}" if "id" in raw else "trello:card:unknown-7")


def test_card_that_is_not_an_object_is_rejected() -> None:
    out = mapping.map_card(["a", "list"], BOARD, fields(), index=3)
    assert isinstance(out, SourceRejected)
    assert out.key == "trello:card:unknown-3" and "not a JSON object" in out.reason


@pytest.mark.parametrize(
    "item, message",
    [
        ({"idCustomField": F_NUM, "value": {"number": "eight"}}, "not a number"),
        ({"idCustomField": F_CHECK, "value": {"checked": "yes"}}, "neither true nor false"),
        ({"idCustomField": F_DATE, "value": {"date": "tomorrow"}}, "not a date"),
        ({"idCustomField": F_LIST, "idValue": "65f1c0ffe4b0a1b2c3d4ffff"}, "option the field does not have"),
    ],
)
def test_unreadable_field_value_rejects_the_card(item: dict[str, Any], message: str) -> None:
    out = mapping.map_card(card(customFieldItems=[item]), BOARD, fields())
    assert isinstance(out, SourceRejected) and message in out.reason


@pytest.mark.parametrize("raw", ["6", "3.5", "-2", "1e3"])
def test_numbers_keep_their_source_form(raw: str) -> None:
    v = mapping.field_value(
        fields()[F_NUM], TrelloCustomFieldItem.model_validate({"idCustomField": F_NUM, "value": {"number": raw}})
    )
    assert v.value == raw


def test_a_label_without_a_name_is_named_after_its_colour_and_says_so() -> None:
    tag = mapping.label_to_tag(TrelloLabel.model_validate({"id": LABEL, "name": "  ", "color": "sky"}))
    assert (tag.name, tag.source_name) == ("Sky label", "  ")
    named = mapping.label_to_tag(TrelloLabel.model_validate({"id": LABEL, "name": "Urgent", "color": "red"}))
    assert named.source_name is None


def test_checkbox_false_and_field_without_definition() -> None:
    v = mapping.field_value(
        fields()[F_CHECK],
        TrelloCustomFieldItem.model_validate({"idCustomField": F_CHECK, "value": {"checked": "false"}}),
    )
    assert v.value is False
    orphan = mapping.field_value(
        None, TrelloCustomFieldItem.model_validate({"idCustomField": F_TEXT, "value": {"text": "x"}})
    )
    assert orphan.value == "x"


def test_field_types_map_to_canonical_types() -> None:
    defs = {f.name: mapping.field_to_def(f) for f in fields().values()}
    assert {n: d.type for n, d in defs.items()} == {
        "Priority": FieldType.dropdown,
        "Estimate": FieldType.number,
        "Approved": FieldType.checkbox,
        "Ref": FieldType.text,
        "Go-live": FieldType.date,
    }
    assert [(o.id, o.text) for o in defs["Priority"].options] == [(OPT, "High")]


def test_unnamed_label_is_called_after_its_colour() -> None:
    assert mapping.label_to_tag(TrelloLabel(id=LABEL, name="", color="yellow")).name == "Yellow label"
    assert mapping.label_to_tag(TrelloLabel(id=LABEL, name=None, color=None)).name == "Unnamed label"
    assert mapping.label_to_tag(TrelloLabel(id=LABEL, name="Urgent", color="red")).name == "Urgent"


def comment(**over: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "65f1c5d2e4b0a1b2c3d4e900",
        "idMemberCreator": MEMBER,
        "type": "commentCard",
        "date": "2026-03-02T10:20:11.396Z",
        "data": {"text": "שלום 👍", "card": {"id": CARD, "name": "Ship"}, "board": {"id": BOARD}},
        "memberCreator": {"id": MEMBER, "username": "alexk", "fullName": "Alex K"},
    }
    raw.update(over)
    return raw


def test_comment_action_maps_to_comment_keeping_unicode() -> None:
    c = mapping.map_comment(comment())
    assert isinstance(c, Comment)
    assert c.key == "trello:comment:65f1c5d2e4b0a1b2c3d4e900"
    assert c.item_key == f"trello:card:{CARD}"
    assert c.author_key == f"trello:member:{MEMBER}" and c.author_name == "Alex K"
    assert c.text == "שלום 👍"


@pytest.mark.parametrize(
    "over, words",
    [
        ({"date": "yesterday"}, "'date'"),
        ({"data": {"card": {"id": CARD}}}, "no text"),
        ({"data": {"text": "hi"}}, "names no card"),
    ],
)
def test_malformed_comment_is_rejected(over: dict[str, Any], words: str) -> None:
    out = mapping.map_comment(comment(**over))
    assert isinstance(out, SourceRejected) and out.kind == "comment" and words in out.reason


def test_attachments_upload_and_link() -> None:
    up = mapping.map_attachment(
        {
            "id": "5ef22a288dcee602857a9990",
            "name": "mockup.png",
            "fileName": "mockup.png",
            "bytes": 48213,
            "mimeType": "image/png",
            "isUpload": True,
            "date": "2026-03-02T10:18:00.000Z",
            "url": f"https://trello.com/1/cards/{CARD}/attachments/5ef22a288dcee602857a9990/download/mockup.png",
        },
        CARD,
    )
    assert isinstance(up, Attachment) and up.is_upload and up.size == 48213 and up.mime_type == "image/png"
    link = mapping.map_attachment(
        {
            "id": "5ef22a288dcee602857a9991",
            "name": "https://x.test/doc",
            "bytes": None,
            "mimeType": "",
            "isUpload": False,
            "url": "https://x.test/doc",
        },
        CARD,
    )
    assert isinstance(link, Attachment) and not link.is_upload and link.size == 0 and link.mime_type is None
    bad = mapping.map_attachment(
        {"id": "5ef22a288dcee602857a9992", "name": "x", "bytes": -5, "isUpload": True, "url": "u"}, CARD
    )
    assert isinstance(bad, SourceRejected) and "'bytes'" in bad.reason
    nourl = mapping.map_attachment({"id": "5ef22a288dcee602857a9993", "name": "x", "bytes": 5, "isUpload": True}, CARD)
    assert isinstance(nourl, SourceRejected) and "url" in nourl.reason


def test_label_colours_become_hex_and_shades_take_their_base_colour() -> None:
    assert mapping.label_to_tag(TrelloLabel(id=LABEL, name="a", color="green")).color == "#61bd4f"
    assert mapping.label_to_tag(TrelloLabel(id=LABEL, name="a", color="green_dark")).color == "#61bd4f"
    assert mapping.label_to_tag(TrelloLabel(id=LABEL, name="a", color=None)).color is None
