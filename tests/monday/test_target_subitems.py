"""Checklist items as subitems ([mapping] checklists = "subitems"), and a source's own
sub-items as subitems of their parent's item, against the sandbox.

monday.com makes a board's subitems board with its first subitem, so that one is written, then
marked once the subitems board has our Migration source and Done columns; every later subitem
carries its marker in its one create. A later process finds each by its marker, and a run cut
off between a board's first subitem and its mark finds that subitem as its item's unmarked one
(no second copy). Done items are ticked; verify counts them; rollback deletes them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.monday import target_documents as td
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.target import MondayTarget
from adapters.monday.target_spec import MondayMapping
from tests.monday.helpers import target as connect
from wizard.model import Checklist, ChecklistItem, Comment, Item, Stage, Template
from wizard.target import Assignees, NewItem, TargetItem

TPL = Template(
    key="trello:board:b1",
    name="Launch",
    stages=[Stage(key="trello:list:l1", name="To do", position=1)],
)


def target(url: str) -> MondayTarget:
    return connect(url, MondayMapping(checklists="subitems"))


def card(n: int) -> Item:
    return Item(
        key=f"trello:card:c{n}",
        template_key=TPL.key,
        stage_key="trello:list:l1",
        name=f"Card {n}",
        checklists=[
            Checklist(
                key=f"trello:checklist:k{n}",
                name="Steps",
                items=[ChecklistItem(name="Draft", done=True), ChecklistItem(name="Send")],
            )
        ],
    )


def writes(url: str) -> int:
    stats = httpx.get(url + "/_sandbox/stats", timeout=10).json()["by_route"]
    return sum(n for route, by in stats.items() if not route.startswith("GET") for n in by.values())


def exported(url: str, item_id: str) -> dict[str, Any]:
    made = httpx.get(url + "/_sandbox/export", timeout=30).json()["made"]
    return next(i for b in made for i in b["items"] if i["id"] == item_id)


async def subitems_of(t: MondayTarget, item: Item, item_id: str) -> list[str]:
    """What the engine's child writer does: each checklist item once, done ones ticked."""
    out = []
    for cl in item.checklists:
        for n, ci in enumerate(cl.items):
            key = f"{cl.key}#{n}"
            sid = await t.find_subitem(key, item_id) or await t.add_subitem(
                item, key, f"{cl.name}: {ci.name}", ci.due, item_id, []
            )
            if ci.done:
                await t.complete_subitem(key, sid)
            out.append(sid)
    return out


async def test_checklist_items_become_marked_subitems_found_again_and_rolled_back(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    t = target(url)
    assert t.checklists_as_subitems, "the engine asks the target"
    ctx = await t.ensure_container(TPL, None, {})
    assert "mw_checklists" not in {c.id for c in sb.state.boards[ctx.container_id].columns}
    first = await t.create_item(card(1), ctx, {}, Assignees())
    subs = await subitems_of(t, card(1), first)
    second = await t.create_item(card(2), ctx, {}, Assignees())
    before = writes(url)
    await t.add_subitem(card(2), "trello:checklist:k2#0", "Steps: Draft", None, second, [])
    assert writes(url) == before + 1, "once the subitems board has our columns, a subitem is one write"
    await t.aclose()

    held = exported(url, first)["subitems"]
    assert [(s["name"], s["source_ref"], s["done"]) for s in held] == [
        ("Steps: Draft", "trello:checklist:k1#0", True),
        ("Steps: Send", "trello:checklist:k1#1", False),
    ]
    board = sb.state.boards[ctx.container_id]
    assert all(sb.state.items[s].board_id == board.subitems_board_id for s in subs)

    later = target(url)  # a resumed run: each found by its marker, nothing written twice
    before = writes(url)
    assert await subitems_of(later, card(1), first) == subs
    assert writes(url) == before + 1, "only the done one ticked again"
    back = await later.read_back(TargetItem(id=first), ctx, None, comments=False, files=False)
    assert back.counts["checklist_item"] == 2
    assert await later.remove("subitem", subs[1]) == "deleted"
    assert [s["id"] for s in exported(url, first)["subitems"]] == [subs[0]]
    await later.aclose()


async def test_a_run_cut_off_before_the_first_subitem_was_marked_adopts_it(
    served: tuple[MondaySandbox, str],
) -> None:
    _, url = served
    t = target(url)
    ctx = await t.ensure_container(TPL, None, {})
    item_id = await t.create_item(card(1), ctx, {}, Assignees())
    # the first create went through; the process died before the subitems board got our columns
    await t.client.mutate(
        "create_subitem",
        td.document("create_subitem"),
        {"parent_item_id": item_id, "item_name": "Steps: Draft", "column_values": "{}"},
    )
    await t.aclose()

    later = target(url)
    subs = await subitems_of(later, card(1), item_id)
    held = exported(url, item_id)["subitems"]
    assert len(held) == 2 and [s["source_ref"] for s in held] == ["trello:checklist:k1#0", "trello:checklist:k1#1"]
    assert subs == [s["id"] for s in held]
    await later.aclose()


def subtask(n: int, *, done: bool = False) -> Item:
    """A source's own sub-item of card 1 (an Asana subtask, as the canonical model holds it)."""
    return Item(
        key=f"asana:task:s{n}",
        template_key=TPL.key,
        stage_key="trello:list:l1",
        parent_key="trello:card:c1",
        name=f"Subtask {n}",
        description=f"the subtask's own notes {n}",
        completed_at=datetime(2026, 1, 2, tzinfo=UTC) if done else None,
    )


async def test_a_sources_sub_item_is_a_subitem_with_its_values_and_updates(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    t = connect(url)
    assert t.items_as_subitems, "the engine asks the target"
    ctx = await t.ensure_container(TPL, None, {})
    parent = await t.create_item(card(1), ctx, {}, Assignees())
    first = await t.create_child(NewItem(subtask(1, done=True), ctx, {}, Assignees()), parent)
    second = await t.create_child(NewItem(subtask(2), ctx, {}, Assignees()), parent)
    assert await t.place_item(subtask(2), second, ctx, {}) == dict.fromkeys(ctx.stage_order, second), "no move"
    when = datetime(2026, 1, 3, tzinfo=UTC)
    comment = Comment(key="asana:story:x1", item_key="asana:task:s2", created_at=when, text="looks good")
    await t.add_comment(comment, second, second)
    await t.aclose()

    item = exported(url, parent)
    assert item["source_ref"] == "trello:card:c1"
    held = {s["source_ref"]: s for s in item["subitems"]}
    assert set(held) == {"asana:task:s1", "asana:task:s2"} and held["asana:task:s1"]["done"]
    assert [u["source_ref"] for u in held["asana:task:s2"]["updates"]] == ["asana:story:x1"]
    sub = sb.state.items[second]
    assert sub.board_id == sb.state.boards[ctx.container_id].subitems_board_id
    assert "the subtask's own notes 2" in json.dumps(sub.values), "its description in the board's own column"
    assert sub.values.get("mw_stage") == "To do", "its stage by name: a subitem stands in no group of the board"
    assert not any(i["source_ref"] == "asana:task:s2" for i in exported_items(url)), "not an item of the board"

    later = connect(url)  # a resumed run finds each by its marker; verify reads it on its own
    assert await later.find_child(NewItem(subtask(1), ctx, {}, Assignees()), parent) == first
    got = await later.read_item(second)
    assert got is not None and got.marker == "asana:task:s2"
    edited = subtask(2, done=True).model_copy(update={"name": "Subtask 2, renamed"})
    assert await later.update_item(edited, got, ctx, {}, Assignees(), merge=False), "a sync writes over it"
    assert sub.name == "Subtask 2, renamed" and sub.values["mw_done"] == {"checked": "true"}
    assert sub.values.get("mw_stage") == "To do" and sub.board_id == sb.state.boards[ctx.container_id].subitems_board_id
    assert await later.remove("subitem", second) == "deleted"
    await later.aclose()


async def test_a_run_cut_off_before_the_first_sub_item_got_its_values_gives_them_once(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    t = connect(url)
    ctx = await t.ensure_container(TPL, None, {})
    parent = await t.create_item(card(1), ctx, {}, Assignees())
    # the bare first create went through; the process died before the subitems board got its columns
    await t.client.mutate(
        "create_subitem",
        td.document("create_subitem"),
        {"parent_item_id": parent, "item_name": "Subtask 1", "column_values": "{}"},
    )
    await t.aclose()

    later = connect(url)
    new = NewItem(subtask(1), ctx, {}, Assignees())
    sid = await later.find_child(new, parent)
    assert sid is not None and [s["source_ref"] for s in exported(url, parent)["subitems"]] == ["asana:task:s1"]
    assert "the subtask's own notes 1" in json.dumps(sb.state.items[sid].values), "its values, not its marker alone"
    await later.aclose()


def exported_items(url: str) -> list[dict[str, Any]]:
    return [i for b in httpx.get(url + "/_sandbox/export", timeout=30).json()["made"] for i in b["items"]]


async def test_sub_items_looked_for_at_once_after_the_cut_off_adopt_the_unmarked_subitem_once(
    served: tuple[MondaySandbox, str],
) -> None:
    """Two sub-items of one item, both in flight when the run was cut off, are looked for at
    once on resume: only one takes the bare first subitem, the other is not found (and is then
    created), so no subitem carries two of them."""
    _, url = served
    t = connect(url)
    ctx = await t.ensure_container(TPL, None, {})
    parent = await t.create_item(card(1), ctx, {}, Assignees())
    await t.client.mutate(
        "create_subitem",
        td.document("create_subitem"),
        {"parent_item_id": parent, "item_name": "Subtask 1", "column_values": "{}"},
    )
    await t.aclose()

    later = connect(url)
    found = await asyncio.gather(*(later.find_child(NewItem(subtask(n), ctx, {}, Assignees()), parent) for n in (1, 2)))
    assert len([f for f in found if f is not None]) == 1, found
    assert len(exported(url, parent)["subitems"]) == 1
    await later.aclose()
