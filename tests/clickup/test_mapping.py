"""The ClickUp mapping, rule by rule (pure functions: no sandbox needed)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.clickup import mapping
from adapters.clickup.source import _Order
from adapters.clickup.wire import CUField, CUFieldValue, CUList, CUStatus, CUTask
from wizard.adapter import SourceRejected
from wizard.model import FieldType, Item

P1, P2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
OPTIONS = {"options": [{"id": P1, "name": "P1", "orderindex": 0}, {"id": P2, "name": "P2", "orderindex": 1}]}


def value(ftype: str, v: Any, config: dict[str, Any] | None = None) -> Any:
    raw = {"id": "f1", "name": "F", "type": ftype, "type_config": config or {}, "value": v}
    got = mapping.field_value(CUFieldValue.model_validate(raw))
    return None if got is None else got.value


def task(**kw: Any) -> dict[str, Any]:
    status = {"id": "s2", "status": "in progress", "type": "custom", "orderindex": 1}
    return {"id": "86abc", "name": "Ship it", "status": status, **kw}


def test_each_custom_field_type_is_read_as_its_canonical_value() -> None:
    assert value("drop_down", 1, OPTIONS) == P2  # read back as the option's orderindex
    assert value("drop_down", P1, OPTIONS) == P1  # or, from some clients, its id
    assert value("labels", [P1, P2], OPTIONS) == [P1, P2]
    assert value("number", "8") == 8.0  # numbers come as strings
    assert value("currency", "1200.50") == 1200.5
    assert value("emoji", 4) == 4.0
    assert value("date", "1773162000000") == "2026-03-10T17:00:00+00:00"
    assert value("short_text", "ACME-1042") == "ACME-1042"
    assert value("short_text", "   ") is None  # blanks are no value, nor does the stated count take them
    assert value("checkbox", "true") is True and value("checkbox", True) is True
    assert value("users", [{"id": 183, "username": "Alex K"}, {"id": 9, "email": "o@x.io"}]) == ["Alex K", "o@x.io"]
    assert value("phone", "+44 20") == "+44 20"
    assert value("number", None) is None


def test_a_type_this_source_does_not_know_is_text_and_the_ledger_is_told() -> None:
    loc = {"location": {"lat": 51.5, "lng": -0.12}, "formatted_address": "1 Example St"}
    assert value("location", loc) == "1 Example St"
    assert value("formula_v9", {"a": 1}) == '{"a": 1}'
    f = CUField.model_validate({"id": "f9", "name": "Site", "type": "location"})
    d = mapping.field_to_def(f)
    assert d.type is FieldType.text and d.source_type == "location" and mapping.unknown_type(f)
    assert mapping.field_to_def(CUField.model_validate({"id": "f8", "type": "drop_down"})).source_type is None


def test_a_drop_down_naming_an_option_it_lacks_quarantines_the_task() -> None:
    raw = task(custom_fields=[{"id": "f1", "name": "Tier", "type": "drop_down", "type_config": OPTIONS, "value": 7}])
    got = mapping.map_task(raw, "901", "90", 0, stages={})
    assert isinstance(got, SourceRejected) and "Tier" in got.reason and "7" in got.reason


def test_a_task_stands_at_its_status_and_a_closed_status_completes_it() -> None:
    stages = {"s2": "clickup:status:901.s2", "done": "clickup:status:901.s9"}
    item = mapping.map_task(task(date_updated="1773162000000"), "901", "90", 3, stages=stages)
    assert isinstance(item, Item) and item.stage_key == "clickup:status:901.s2" and not item.due_complete
    closed = task(status={"status": "Done", "type": "closed"}, date_closed="1773162000000")
    item = mapping.map_task(closed, "901", "90", 3, stages=stages)
    assert isinstance(item, Item) and item.stage_key == "clickup:status:901.s9"  # by name when it has no id
    assert item.due_complete and item.completed_at is not None


def test_statuses_become_stages_in_status_order() -> None:
    raws = [{"id": f"s{i}", "status": n, "orderindex": i} for i, n in ((2, "review"), (0, "to do"), (1, "doing"))]
    statuses = [CUStatus.model_validate(s) for s in raws]
    tpl = mapping.list_to_template(CUList(id="901", name="L"), statuses, [], [], [], archived=False)
    assert [s.name for s in tpl.stages] == ["to do", "doing", "review"]
    assert tpl.stages[0].key == "clickup:status:901.s0"


def test_checklists_dependencies_and_links() -> None:
    raw = task(
        checklists=[
            {
                "id": "c1",
                "name": "QA",
                "orderindex": 0,
                "items": [
                    {"id": "i2", "name": "second", "orderindex": 1, "resolved": False},
                    {"id": "i1", "name": "first", "orderindex": 0, "resolved": True, "assignee": {"id": 183}},
                ],
            }
        ],
        dependencies=[
            {"task_id": "86abc", "depends_on": "86zzz", "type": 1},
            {"task_id": "86yyy", "depends_on": "86abc", "type": 1},
        ],
        linked_tasks=[{"task_id": "86abc", "link_id": "86qqq"}, {"task_id": "86abc", "link_id": "86qqq"}],
    )
    t = mapping.task_to_item(CUTask.model_validate(raw), "901", "90", 0, stages={})
    assert [(i.name, i.done, i.assignee_key) for i in t.checklists[0].items] == [
        ("first", True, "clickup:user:183"),
        ("second", False, None),
    ]
    assert {(r.kind, r.item_key) for r in t.relations} == {
        ("blocked_by", "clickup:task:86zzz"),
        ("blocks", "clickup:task:86yyy"),
        ("relates_to", "clickup:task:86qqq"),
    }


def test_timestamps_are_milliseconds_as_strings_or_numbers() -> None:
    t = CUTask.model_validate(task(date_created="1771578764120", due_date=1773162000000))
    assert t.date_created is not None and t.date_created.year == 2026 and t.due_date is not None
    assert isinstance(mapping.map_task(task(date_created="yesterday"), "901", "90", 0, stages={}), SourceRejected)


def test_a_subtask_listed_before_its_parent_waits_for_it() -> None:
    order = _Order("901", "90", {})
    kid, grandkid = task(id="86kid", parent="86top"), task(id="86gk", parent="86kid")
    assert order.arrive([grandkid, kid]) == []
    ready = order.arrive([task(id="86top")])
    assert [(r["id"], p) for r, p in ready] == [("86top", None), ("86kid", "86top"), ("86gk", "86kid")]
    stray = task(id="86s", parent="86elsewhere")
    assert order.arrive([stray]) == []
    assert [(r["id"], p) for r, p in order.rest()] == [("86s", None)]  # its parent is in no page of this list


@pytest.mark.parametrize("name", ["", "   ", "🚀 Launch day 🎉", "בדיקת חוזה", "x" * 2000])
def test_awkward_names_arrive_as_they_are(name: str) -> None:
    item = mapping.map_task(task(name=name), "901", "90", 0, stages={})
    assert isinstance(item, Item) and item.name == name


def test_relationships_are_kept_as_links_in_the_description_with_a_ledger_line() -> None:
    raw = task(
        description="Draft in doc",
        dependencies=[{"task_id": "86abc", "depends_on": "86zzz"}],
        linked_tasks=[{"task_id": "86qqq", "link_id": "86abc"}],
    )
    item = mapping.map_task(raw, "901", "90", 0, stages={})
    assert isinstance(item, Item)
    assert item.description == (
        "Draft in doc\n\nRelated in ClickUp:\n"
        "- Waiting on: https://app.clickup.com/t/86zzz\n- Linked to: https://app.clickup.com/t/86qqq"
    )
    loss = mapping.relation_loss(item)
    assert loss is not None and loss.key == item.key and "2 dependencies and links" in loss.why
    plain = mapping.map_task(task(), "901", "90", 0, stages={})
    assert isinstance(plain, Item) and plain.description == "" and mapping.relation_loss(plain) is None


def test_a_tasks_priority_arrives_as_a_tag_of_its_list() -> None:
    raw = task(priority={"id": "2", "priority": "high", "color": "#ffcc00", "orderindex": "2"}, tags=[{"name": "x y"}])
    item = mapping.map_task(raw, "901", "90", 0, stages={})
    assert isinstance(item, Item) and item.tag_keys == ["clickup:tag:90.x%20y", "clickup:tag:priority.high"]
    tpl = mapping.list_to_template(CUList(id="901", name="L"), [], [], [], [], archived=False)
    assert {t.name: t.color for t in tpl.tags}["Priority: high"] == "#ffcc00" and len(tpl.tags) == 4
    no_priority = mapping.map_task(task(priority=None), "901", "90", 0, stages={})
    assert isinstance(no_priority, Item) and no_priority.tag_keys == []


def test_nested_checklist_items_follow_their_parent_once() -> None:
    child = {"id": "i3", "name": "nested", "orderindex": 0, "resolved": True, "children": []}
    raw = task(
        checklists=[
            {
                "id": "c1",
                "name": "QA",
                "items": [
                    {"id": "i1", "name": "first", "orderindex": 0, "children": [child]},
                    {"id": "i2", "name": "second", "orderindex": 1},
                    child,  # listed flat as well: counted once
                ],
            }
        ]
    )
    t = mapping.task_to_item(CUTask.model_validate(raw), "901", "90", 0, stages={})
    assert [i.name for i in t.checklists[0].items] == ["first", "nested", "second"]


def test_what_a_process_cannot_hold_is_one_ledger_line_per_list() -> None:
    t = CUTask.model_validate(task(watchers=[{"id": 1}], time_estimate="7200000", points=3, start_date=None))
    assert mapping.unheld(t) == ["watchers", "time estimates", "sprint points"]
    loss = mapping.unheld_loss("901", {"watchers": 2, "start dates": 0, "time estimates": 1})
    assert loss is not None and loss.key == "clickup:list:901"
    assert loss.why == "watchers (2 tasks), time estimates (1 task): a process has no place for them; not carried"
    assert mapping.unheld_loss("901", {"watchers": 0}) is None
