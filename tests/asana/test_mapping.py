"""The Asana mapping, rule by rule (pure functions: no sandbox needed)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from adapters.asana import mapping
from adapters.asana.wire import AsanaAttachment, AsanaCustomField, AsanaFieldValue, AsanaTag, AsanaTask
from adapters.tallyfy import ledger
from wizard.adapter import SourceRejected
from wizard.model import Comment, FieldDef, FieldType, Item, Template


def value(ftype: str | None, **slots: Any) -> Any:
    return mapping.field_value(AsanaFieldValue.model_validate({"gid": "9", "name": "F", "type": ftype, **slots}))


def task(**kw: Any) -> dict[str, Any]:
    return {"gid": "100", "name": "Ship it", **kw}


def test_each_custom_field_type_is_read_as_its_canonical_value() -> None:
    assert value("enum", enum_value={"gid": "5", "name": "High"}).value == "5"
    assert value("enum", enum_value=None) is None
    assert value("multi_enum", multi_enum_values=[{"gid": "5"}, {"gid": "6"}]).value == ["5", "6"]
    assert value("number", number_value=8).value == 8.0
    assert value("number", number_value="2.5").value == 2.5  # a number given as a string
    assert value("text", text_value="ACME-042").value == "ACME-042"
    assert value("text", text_value="   ") is None  # blanks are no value (nor does Asana's count take them)
    assert value("date", date_value={"date": "2025-03-10", "date_time": None}).value == "2025-03-10"
    assert value("date", date_value={"date": "2025-03-10", "date_time": "2025-03-10T09:00:00Z"}).value == (
        "2025-03-10T09:00:00Z"
    )
    people = value("people", people_value=[{"gid": "1", "name": "Mei Chen"}, {"gid": "2", "email": "o@x.io"}])
    assert people.value == ["Mei Chen", "o@x.io"]


def test_a_type_we_do_not_know_is_read_as_its_display_text() -> None:
    ref = value("reference", reference_value=[{"gid": "7", "name": "Roadmap"}], display_value="Roadmap")
    assert ref.value == "Roadmap"
    assert value("formula_of_the_future", display_value="42 %").value == "42 %"
    defn = mapping.field_to_def(AsanaCustomField(gid="9", name="Related", type="reference"))
    assert defn.type == FieldType.text and mapping.unknown_type(AsanaCustomField(gid="9", type="reference"))
    enum = mapping.field_to_def(
        AsanaCustomField.model_validate(
            {"gid": "9", "type": "enum", "enum_options": [{"gid": "1", "name": "A"}, {"gid": "2", "enabled": False}]}
        )
    )
    assert enum.type == FieldType.dropdown and [o.id for o in enum.options] == ["1"]  # disabled options left out


def test_a_top_level_task_stands_at_its_section_and_a_subtask_where_its_parent_does() -> None:
    raw = task(
        memberships=[
            {"project": {"gid": "2"}, "section": {"gid": "20"}},
            {"project": {"gid": "1"}, "section": {"gid": "10"}},
        ],
        due_on="2025-03-10",
        completed=True,
        completed_at="2025-03-09T10:00:00.000Z",
        assignee={"gid": "7"},
        tags=[{"gid": "3", "name": "urgent"}],
    )
    item = mapping.map_task(raw, "1", 0)
    assert isinstance(item, Item)
    assert item.stage_key == "asana:section:10" and item.parent_key is None
    assert item.due == datetime(2025, 3, 10, tzinfo=UTC) and item.due_complete and item.completed_at
    assert item.assignee_keys == ["asana:user:7"] and item.tag_keys == ["asana:tag:3"]
    sub = mapping.map_task(task(gid="101", memberships=[]), "1", 1, parent_gid="100", stage_gid="10")
    assert isinstance(sub, Item)
    assert sub.parent_key == "asana:task:100" and sub.stage_key == "asana:section:10"


def test_a_malformed_task_is_one_sentence() -> None:
    bad = mapping.map_task(task(name=404), "1", 0)
    assert isinstance(bad, SourceRejected) and bad.key == "asana:task:100" and "'name'" in bad.reason
    odd = mapping.map_task(task(custom_fields=[{"gid": "x", "type": "number"}]), "1", 0)
    assert isinstance(odd, SourceRejected) and "custom field" in odd.reason
    assert isinstance(mapping.map_task("not an object", "1", 3), SourceRejected)


def test_comments_are_comment_stories_only() -> None:
    story = {"gid": "5", "type": "comment", "text": "", "created_at": "2025-01-01T00:00:00.000Z"}
    comment = mapping.map_story({**story, "created_by": {"gid": "7", "name": "Mei"}}, "100")
    assert isinstance(comment, Comment)
    assert comment.item_key == "asana:task:100" and comment.author_key == "asana:user:7" and comment.text == ""
    assert mapping.map_story({**story, "type": "system"}, "100") is None  # the activity log is not migrated


def test_files_asana_stores_are_uploads_and_the_rest_links() -> None:
    signed = "https://asana-user-private-us-east-1.s3.amazonaws.com/assets/1/mockup.png?X-Amz-Expires=120"
    up = mapping.attachment_to_canonical(
        AsanaAttachment(gid="1", name="mockup.png", host="asana", size=10, download_url=signed), "100"
    )
    assert up.is_upload and up.size == 10 and up.mime_type == "image/png" and up.url == signed
    link = mapping.attachment_to_canonical(
        AsanaAttachment(gid="2", name="Plan", host="gdrive", view_url="https://drive.example/x"), "100"
    )
    assert not link.is_upload and link.url == "https://drive.example/x" and link.size == 0


def test_tags_get_hex_colours_and_a_name() -> None:
    tag = mapping.tag_to_tag(AsanaTag(gid="1", name="urgent", color="dark-red"))
    assert tag.color == "#d1435b"
    blank = mapping.tag_to_tag(AsanaTag(gid="2", name=" ", color=None))
    assert blank.name == "Unnamed tag" and blank.source_name == " " and blank.color is None


def test_a_task_without_a_section_here_has_no_stage() -> None:
    item = mapping.task_to_item(AsanaTask.model_validate(task(memberships=[])), "1", 0)
    assert item.stage_key is None


def test_a_field_of_a_type_we_do_not_know_gets_a_ledger_line() -> None:
    known = mapping.field_to_def(AsanaCustomField(gid="8", name="Priority", type="enum"))
    unknown = mapping.field_to_def(AsanaCustomField(gid="9", name="Related", type="reference"))
    assert known.source_type is None and unknown.source_type == "reference"
    tpl = Template(key="asana:project:1", kind="project", name="P", fields=[known, unknown])
    lines = [line for line in ledger.template_changes(tpl) if line["kind"] == "field"]
    assert [(line["key"], line["what"]) for line in lines] == [("asana:field:9", "type")]
    assert "'reference'" in lines[0]["why"] and "text" in lines[0]["why"]
    # a field that fills nothing new hashes as it did before the part existed (stores stay valid)
    before = FieldDef.model_fields["source_type"]
    assert "source_type" not in known.model_dump(exclude_none=True) and before.default is None
    assert known.content_hash() == _hash_without(known, "source_type")


def _hash_without(f: FieldDef, name: str) -> str:
    data = f.model_dump(mode="json", exclude={"key", name})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def test_system_stories_come_as_activity_only_when_asked() -> None:
    story = {"gid": "6", "type": "system", "text": "moved this task to Doing", "created_at": "2025-01-01T00:00:00Z"}
    assert mapping.map_story(story, "100") is None
    activity = mapping.map_story(story, "100", activity_log=True)
    assert isinstance(activity, Comment) and activity.text == "Activity: moved this task to Doing"


def test_milestones_and_approvals_are_marked_as_such_and_a_decision_not_kept_is_in_the_ledger() -> None:
    assert mapping.map_task(task(resource_subtype="milestone"), "1", 0).approval == "milestone"
    assert mapping.map_task(task(resource_subtype="approval"), "1", 0).approval == "approval"
    assert mapping.map_task(task(), "1", 0).approval is None
    rejected = mapping.decision_loss(task(resource_subtype="approval", approval_status="rejected"))
    assert rejected is not None and rejected.key == "asana:task:100" and "'rejected'" in rejected.why
    assert mapping.decision_loss(task(resource_subtype="approval", approval_status="approved")) is None
    assert mapping.decision_loss(task(resource_subtype="milestone")) is None


def test_under_the_board_preset_a_milestone_is_a_process_and_the_ledger_says_so() -> None:
    item = mapping.map_task(task(resource_subtype="milestone"), "1", 0)
    tpl = Template(key="asana:project:1", name="P")
    lines = ledger.item_changes(item, tpl, {}, True)
    assert [(x["key"], x["what"]) for x in lines] == [("asana:task:100", "kind")]
    assert "a milestone, not work" in lines[0]["why"]
