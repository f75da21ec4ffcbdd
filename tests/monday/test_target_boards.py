"""A container past monday.com's 10,000 items a board continues on a board of its own.

The sandbox refuses the 10,001st item of a board with monday.com's `ItemsLimitationException`
(reference M4); the target then opens "<name> (2)" with the first board's groups and the same
column ids, names it in the first board's description, and writes the item there. A later
process learns the second board from the schema read it makes anyway, lists, finds, updates
and places its items there, and a rollback of the container deletes both boards. The first
board is filled to 9,998 items in the sandbox's state, so the limit is the vendor's own."""

from __future__ import annotations

import httpx

from adapters.monday import target_mapping as mm
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.sandbox_mutations import ITEMS_PER_BOARD
from adapters.monday.sandbox_state import Item as SandboxItem
from tests.monday.helpers import HEADERS, target
from wizard.model import FieldDef, FieldOption, FieldType, FieldValue, Item, Stage, Template
from wizard.target import Assignees, ContainerCtx

TPL = Template(
    key="table:table:rows",
    name="Clients",
    stages=[
        Stage(key="table:stage:open", name="Open", position=1),
        Stage(key="table:stage:done", name="Done", position=2),
    ],
    fields=[
        FieldDef(key="table:field:amount", name="Amount", type=FieldType.number),
        FieldDef(
            key="table:field:tier",
            name="Tier",
            type=FieldType.dropdown,
            options=[FieldOption(id="gold", text="Gold"), FieldOption(id="silver", text="Silver")],
        ),
    ],
)
FIELDS = {f.key: f for f in TPL.fields}


def row(n: int, stage: str = "table:stage:done", amount: str = "10") -> Item:
    return Item(
        key=f"table:row:{n}",
        template_key=TPL.key,
        stage_key=stage,
        name=f"Row {n}",
        values=[
            FieldValue(field_key="table:field:amount", value=amount),
            FieldValue(field_key="table:field:tier", value="gold"),
        ],
    )


def fill(sb: MondaySandbox, board_id: str, n: int) -> None:
    """`n` items on the board, as if written before (the limit counts them all)."""
    st = sb.state
    board = st.boards[board_id]
    for i in range(n):
        it = SandboxItem(st.new_id(), board_id, board.groups[0].id, f"Old {i}", "2026-01-01", "2026-01-01", st.me_id)
        st.items[it.id] = it
        board.item_ids.append(it.id)


def test_the_sandbox_refuses_the_item_past_ten_thousand_with_the_vendors_error(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    board = next(b for b in sb.state.boards.values() if b.type == "board" and b.groups)
    live = sum(1 for i in board.item_ids if sb.state.items[i].state != "deleted")
    fill(sb, board.id, ITEMS_PER_BOARD - live - 1)
    create = 'mutation ($b: ID!) { create_item(board_id: $b, item_name: "x") { id } }'
    ok = httpx.post(url + "/v2", json={"query": create, "variables": {"b": board.id}}, headers=HEADERS, timeout=30)
    assert "errors" not in ok.json(), ok.text
    full = httpx.post(url + "/v2", json={"query": create, "variables": {"b": board.id}}, headers=HEADERS, timeout=30)
    errors = full.json()["errors"]
    assert errors[0]["extensions"]["code"] == "ItemsLimitationException"
    assert "limit of 10,000 items per board" in errors[0]["message"]


async def test_a_full_board_continues_on_a_second_with_the_same_groups_and_columns(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    t = target(url)
    ctx = await t.ensure_container(TPL, None, {})
    first = ctx.container_id
    fill(sb, first, ITEMS_PER_BOARD - 2)
    made = [await t.create_item(row(n), ctx, FIELDS, Assignees()) for n in range(5)]
    st = sb.state
    boards = {st.items[i].board_id for i in made}
    assert [st.items[i].board_id == first for i in made] == [True, True, False, False, False]
    (second,) = boards - {first}
    b2 = st.boards[second]
    assert b2.name == "Clients (2)" and b2.id in st.made
    assert [g.title for g in b2.groups] == ["Open", "Done"]
    assert mm.spill_ids(st.boards[first].description) == [second], "the first board names where its items went"
    for i in made[2:]:
        it = st.items[i]
        assert next(g.title for g in b2.groups if g.id == it.group_id) == "Done"
        assert it.values[ctx.fields["table:field:amount"]] == "10", "the same column id on both boards"
        assert it.values[ctx.fields["table:field:tier"]] == {"ids": [1]}
    await t.aclose()

    later = target(url)  # a later process, with the container as the store kept it
    saved = ContainerCtx.from_json(ctx.to_json())
    writes_before = len(st.items)
    sixth = await later.create_item(row(5), saved, FIELDS, Assignees())
    assert st.items[sixth].board_id == second, "straight to the board that has room"
    assert len(st.items) == writes_before + 1
    listed = {i.marker: i for i in await later.list_items(first)}
    assert {f"table:row:{n}" for n in range(6)} <= set(listed), "both boards are listed"
    assert await later._find_items(saved, ["table:row:4"]) == {"table:row:4": made[4]}
    await later.aclose()

    again = target(url)  # a sync: an item on the second board is updated and moved in place
    assert await again.update_item(row(4, amount="99"), listed["table:row:4"], saved, FIELDS, Assignees(), merge=False)
    await again.place_item(row(4, stage="table:stage:open"), made[4], saved, {})
    moved = st.items[made[4]]
    assert moved.values[saved.fields["table:field:amount"]] == "99"
    assert next(g.title for g in b2.groups if g.id == moved.group_id) == "Open"
    assert await again.remove("container", first) == "deleted"
    assert st.boards[first].state == st.boards[second].state == "deleted", "the container's boards go together"
    await again.aclose()


def test_the_continuation_note_sits_before_the_marker_and_is_read_back() -> None:
    described = mm.with_spills("Migrated from Trello: x\n[mw:trello:board:b1]", ["12"])
    assert described.splitlines()[-1] == "[mw:trello:board:b1]"
    again = mm.with_spills(described, ["12", "34"])
    assert mm.spill_ids(again) == ["12", "34"] and again.count("continue on") == 1
    assert mm.spill_ids("no note here") == []
    spill = mm.spill_description(described, "trello:board:b1", 2)
    assert spill.endswith("[mw:trello:board:b1#board-2]") and "continue on" not in spill
