"""Process Street records -> canonical objects, rule by rule: each form-field type, values
given as strings, a type nobody documented, where a run stands, which task template a run's
task is (and a run of another revision), approvals, files of File fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.processstreet import mapping, wire
from wizard.adapter import SourceRejected
from wizard.model import FieldType

AUDIT = {"createdDate": "2024-09-15T14:32:00.000Z", "updatedDate": "2024-09-16T09:01:12.345Z"}


def field(ftype: str, **kw: Any) -> wire.FormField:
    return wire.FormField.model_validate({"id": "f1", "taskId": "t1", "fieldType": ftype, "key": "k", **kw})


def val(ftype: str, data: Any, **kw: Any) -> wire.FieldValue:
    return wire.FieldValue.model_validate(
        {"id": "f1", "workflowRunId": "r1", "taskId": "rt1", "fieldType": ftype, "key": "k", "data": data, **kw}
    )


def task(tid: str, name: str, status: str = "NotCompleted", **kw: Any) -> wire.RunTask:
    return wire.RunTask.model_validate(
        {"id": tid, "workflowRunId": "r1", "name": name, "status": status, "hidden": False, "stopped": False, **kw}
    )


def tpl(tid: str, name: str, order: str) -> wire.TaskTemplate:
    return wire.TaskTemplate.model_validate({"id": tid, "workflowId": "w1", "name": name, "orderTree": order})


@pytest.mark.parametrize(
    ("ftype", "want"),
    [
        ("Text", FieldType.text),
        ("Textarea", FieldType.textarea),
        ("Email", FieldType.email),
        ("Url", FieldType.url),
        ("Number", FieldType.number),
        ("Date", FieldType.date),
        ("Select", FieldType.dropdown),
        ("MultiChoice", FieldType.multiselect),
        ("Members", FieldType.people),
    ],
)
def test_types_with_a_counterpart_keep_it_and_say_nothing(ftype: str, want: FieldType) -> None:
    d = mapping.field_to_def(field(ftype, label="Label"), [])
    assert d is not None and d.type == want and d.source_type is None
    assert d.stage_key == "processstreet:task_template:t1", "a field sits on its task's stage"


@pytest.mark.parametrize("ftype", ["Table", "Hidden", "Snippet", "SendRichEmail", "Document", "Signature"])
def test_types_kept_as_text_say_so_in_the_ledger(ftype: str) -> None:
    d = mapping.field_to_def(field(ftype, label="Label"), [])
    assert d is not None and d.type in (FieldType.text, FieldType.textarea)
    assert d.source_type and d.source_type.startswith(ftype), "the ledger names the type it came from"


@pytest.mark.parametrize("ftype", ["MultiSelect", "File", "MultiFile"])
def test_checklists_and_files_are_no_field(ftype: str) -> None:
    assert mapping.field_to_def(field(ftype), []) is None
    assert mapping.value_of(val(ftype, [])) is None


def test_a_field_without_a_label_takes_its_key() -> None:
    d = mapping.field_to_def(field("Text"), [])
    assert d is not None and d.name == "k"


@pytest.mark.parametrize(
    ("ftype", "data", "want"),
    [
        ("Number", "7", 7.0),  # given as a string
        ("Number", "1,200.50", 1200.5),
        ("Number", 4.5, 4.5),
        ("Number", "n/a", "n/a"),  # not a number: kept for the target's rules to judge
        ("Date", "2024-09-15", "2024-09-15"),
        ("Date", "2024-09-15T14:32:00.000Z", "2024-09-15T14:32:00+00:00"),
        ("Select", "sales", "sales"),
        ("Select", ["sales"], "sales"),
        ("MultiChoice", ["laptop", "badge"], ["laptop", "badge"]),
        ("MultiChoice", '["laptop"]', ["laptop"]),  # a JSON list given as a string
        ("Members", [{"id": "u1", "email": "a@x.example", "username": "Ann"}], ["Ann"]),
        ("Members", ["b@x.example"], ["b@x.example"]),
        ("Table", "Item,Amount\nDesk,300", "Item,Amount\nDesk,300"),
        ("SendRichEmail", {"subject": "Hi"}, '{"subject": "Hi"}'),
        ("Signature", "signed", "signed"),
        ("Text", "  ", None),
        ("Text", None, None),
        ("MultiChoice", [], None),
    ],
)
def test_values_are_read_by_type(ftype: str, data: Any, want: Any) -> None:
    got = mapping.value_of(val(ftype, data))
    assert (got.value if got else None) == want
    if got:
        assert got.field_key == "processstreet:field:f1"


def test_subtasks_become_a_checklist_with_every_option() -> None:
    options = [wire.Option(value="nda", label="Sign NDA"), wire.Option(value="hb", label="Read handbook")]
    cl = mapping.checklist_of(val("MultiSelect", ["hb"]), field("MultiSelect", label="Onboarding"), options)
    assert cl.name == "Onboarding"
    assert [(i.name, i.done) for i in cl.items] == [("Sign NDA", False), ("Read handbook", True)]


def test_a_file_fields_files_each_take_their_link() -> None:
    v = val(
        "MultiFile",
        [{"id": "a1", "name": "x.pdf", "mimeType": "application/pdf", "size": 10}, {"id": "a2", "name": "y.png"}],
        links=[{"name": "file", "href": "https://files.process.st/a1"}, {"name": "file", "href": "https://f/a2"}],
    )
    found = mapping.field_files(v)
    atts = [mapping.field_file_to_attachment(x, url, "r1", None) for x, url in found]
    assert [(a.key, a.url, a.size) for a in atts] == [
        ("processstreet:file:a1", "https://files.process.st/a1", 10),
        ("processstreet:file:a2", "https://f/a2", 0),
    ]
    assert all(a.item_key == "processstreet:run:r1" for a in atts)


def test_run_tasks_match_the_published_templates_in_order_else_by_name() -> None:
    published = [tpl("a", "Collect", "0001"), tpl("b", "Approve", "0002"), tpl("c", "Ship", "0003")]
    same = [task("x", "Collect"), task("y", "Approve"), task("z", "Ship")]
    assert mapping.match_tasks(same, published) == {"x": "a", "y": "b", "z": "c"}
    older = [task("x", "Collect"), task("y", "Old step"), task("z", "Approve")]
    assert mapping.match_tasks(older, published) is None
    assert mapping.match_by_name(older, published) == {"x": "a", "z": "b"}


def run(status: str = "Active", **kw: Any) -> wire.Run:
    body = {"id": "r1", "name": "Onboarding – Jane", "status": status, "workflowId": "w1", "audit": AUDIT, **kw}
    return wire.Run.model_validate(body)


def test_a_run_stands_at_its_first_open_visible_task_and_says_each_tasks_state() -> None:
    done = datetime(2024, 9, 16, 9, 1, tzinfo=UTC)
    tasks = [
        task("x", "Collect", "Completed", completedDate=done.isoformat(), completedBy={"id": "u", "username": "Ann"}),
        task("h", "Hidden one", hidden=True),
        task("y", "Approve", taskType="Approval", stopped=True),
        task("z", "Ship", "Completed"),  # ticked out of order
    ]
    stage_of = {"x": "a", "h": "h", "y": "b", "z": "c"}
    item = mapping.run_to_item(
        run(), tasks, stage_of, values=[], checklists=[], assignees=[], task_assignees={"y": ["processstreet:user:u"]}
    )
    assert item.stage_key == "processstreet:task_template:b"
    assert item.stage_assignees == {"processstreet:task_template:b": ["processstreet:user:u"]}
    lines = item.description.splitlines()
    assert "[x] Collect — completed by Ann on 2024-09-16 09:01 UTC" in lines
    assert "[ ] Approve (approval) — waiting (a stop task before it is not done)" in lines
    assert "[x] Ship — completed" in lines
    assert item.created_at is not None and item.completed_at is None and not item.closed


def test_a_completed_run_stands_at_its_last_task_and_an_archived_one_is_closed() -> None:
    t = [task("x", "Collect", "Completed", completedDate="2024-09-20T10:00:00Z")]
    item = mapping.run_to_item(
        run("Completed"), t, {"x": "a"}, values=[], checklists=[], assignees=[], task_assignees={}
    )
    assert item.stage_key == "processstreet:task_template:a" and item.due_complete
    assert item.completed_at == datetime(2024, 9, 20, 10, tzinfo=UTC)
    archived = mapping.run_to_item(run("Archived"), t, {}, values=[], checklists=[], assignees=[], task_assignees={})
    assert archived.closed and archived.stage_key is None


def test_a_note_on_another_revision_comes_first_in_the_description() -> None:
    item = mapping.run_to_item(
        run(), [task("x", "Old")], {}, values=[], checklists=[], assignees=[], task_assignees={}, note="Revision 1."
    )
    assert item.description.startswith("Revision 1.\n")


def test_an_approval_is_a_comment_saying_who_decided_what() -> None:
    a = wire.Approval.model_validate(
        {
            "id": "ap1",
            "workflowRunId": "r1",
            "approvalTaskId": "y",
            "subjectTaskId": "x",
            "status": "Rejected",
            "reviewedBy": {"id": "u", "email": "m@x.example", "username": "Max"},
            "comment": "Please redo the forms.",
            "audit": AUDIT,
        }
    )
    c = mapping.approval_to_comment(a, {"x": "Collect"}, datetime.now(UTC))
    assert c.key == "processstreet:approval:ap1" and c.item_key == "processstreet:run:r1"
    assert c.text == "Rejected: Collect\nPlease redo the forms." and c.author_name == "Max"


def test_a_malformed_run_is_one_sentence() -> None:
    got = mapping.parse(wire.Run, {"id": "r9", "status": 7, "workflowId": "w1", "name": {}}, "run")
    assert isinstance(got, SourceRejected) and got.key == "processstreet:run:r9"
    assert got.reason.startswith("Process Street sent run r9 that")


@pytest.mark.parametrize(
    ("task_type", "stop", "kind"),
    [
        ("Standard", False, None),
        ("Approval", True, "approval"),
        ("AI", False, "automated"),
        ("Code", True, "automated"),
    ],
)
def test_task_templates_keep_what_kind_of_step_they_are(task_type: str, stop: bool, kind: str | None) -> None:
    t = wire.TaskTemplate.model_validate(
        {"id": "a", "workflowId": "w", "name": "N", "orderTree": "1", "taskType": task_type, "stopTask": stop}
    )
    stage = mapping.task_to_stage(t, 3)
    assert (stage.kind, stage.waits, stage.position) == (kind, stop, 3)
