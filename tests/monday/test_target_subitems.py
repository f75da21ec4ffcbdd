"""Checklist items as subitems ([mapping] checklists = "subitems"), against the sandbox.

monday.com makes a board's subitems board with its first subitem, so that one is written, then
marked once the subitems board has our Migration source and Done columns; every later subitem
carries its marker in its one create. A later process finds each by its marker, and a run cut
off between a board's first subitem and its mark finds that subitem as its item's unmarked one
(no second copy). Done items are ticked; verify counts them; rollback deletes them."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.monday import target_documents as td
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.target import MondayTarget
from adapters.monday.target_spec import MondayMapping
from tests.monday.helpers import target as connect
from wizard.model import Checklist, ChecklistItem, Item, Stage, Template
from wizard.target import Assignees, TargetItem

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
