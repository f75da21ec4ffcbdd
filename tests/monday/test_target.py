"""The monday.com target against its sandbox, over HTTP: a board is set up in three requests
(the board, its groups aliased into one, its columns into one), found again by its marker and
completed without a second copy of anything, and the dynamic column mapping holds: a column
renamed or deleted in monday.com since the last run stops the next write in one sentence."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.monday import target_documents as td
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.sandbox_mutations import ITEMS_PER_BOARD
from adapters.monday.target import MondayTarget
from adapters.monday.target_spec import SPEC, MondayMapping
from tests.monday import test_target_boards as boards
from tests.monday.helpers import HEADERS, target
from wizard.errors import UserError
from wizard.http import RecordRejected
from wizard.model import FieldDef, FieldType, FieldValue, Item, Stage, Template
from wizard.plan import Limits, Target
from wizard.registry import Connection
from wizard.target import Assignees, ContainerCtx, NewItem

TPL = Template(
    key="trello:board:b1",
    name="Client onboarding",
    stages=[
        Stage(key="trello:list:l1", name="To do", position=1),
        Stage(key="trello:list:l2", name="Done", position=2),
    ],
    fields=[FieldDef(key="trello:field:f1", name="Budget", type=FieldType.number)],
)


def item(n: int, budget: str = "1200") -> Item:
    return Item(
        key=f"trello:card:c{n}",
        template_key=TPL.key,
        stage_key="trello:list:l2",
        name=f"Card {n}",
        values=[FieldValue(field_key="trello:field:f1", value=budget)],
    )


def writes(url: str) -> int:
    stats = httpx.get(url + "/_sandbox/stats", timeout=10).json()["by_route"]
    return sum(n for route, by in stats.items() if not route.startswith("GET") for n in by.values())


def graphql(url: str, name: str, variables: dict[str, Any]) -> None:
    r = httpx.post(url + "/v2", json={"query": name, "variables": variables}, headers=HEADERS, timeout=30)
    assert r.status_code == 200 and "errors" not in r.json(), r.text


async def test_a_board_is_set_up_in_three_requests_and_completed_without_copies(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    t = target(url)
    ctx = await t.ensure_container(TPL, None, {})
    assert writes(url) == 3, "the board, its groups in one request, its columns in one"
    board = sb.state.boards[ctx.container_id]
    assert [g.title for g in board.groups] == ["To do", "Done"]
    item_id = await t.create_item(item(1), ctx, {f.key: f for f in TPL.fields}, Assignees())
    assert sb.state.items[item_id].values[ctx.fields["trello:field:f1"]] == "1200"
    assert sb.state.items[item_id].group_id == ctx.stages["trello:list:l2"]
    await t.aclose()

    again = target(url)
    assert await again.find_container(TPL.key, TPL.name) == ctx.container_id
    before = writes(url)
    ctx2 = await again.ensure_container(TPL, ctx.container_id, {})
    assert writes(url) == before, "a whole board needs no write"
    assert (ctx2.stages, ctx2.fields) == (ctx.stages, ctx.fields)
    found = await again._find_items(ctx2, [item(1).key])
    assert found == {item(1).key: item_id}
    await again.aclose()


@pytest.mark.parametrize("change", ["rename", "delete"])
async def test_a_column_renamed_or_deleted_since_the_last_run_stops_the_write_in_one_sentence(
    served: tuple[MondaySandbox, str], change: str
) -> None:
    sb, url = served
    t = target(url)
    ctx = await t.ensure_container(TPL, None, {})
    await t.create_item(item(1), ctx, {f.key: f for f in TPL.fields}, Assignees())
    await t.aclose()
    saved = ContainerCtx.from_json(ctx.to_json())  # what the store keeps for the next run
    column = ctx.fields["trello:field:f1"]
    board = ctx.container_id
    if change == "rename":
        graphql(
            url,
            f'mutation {{ change_column_title(board_id: {board}, column_id: "{column}", title: "Cost") {{ id }} }}',
            {},
        )
    else:
        graphql(url, f'mutation {{ delete_column(board_id: {board}, column_id: "{column}") {{ id }} }}', {})
    items_before = len(sb.state.boards[ctx.container_id].item_ids)
    later = target(url)
    with pytest.raises(UserError) as e:
        await later.create_item(item(2), saved, {f.key: f for f in TPL.fields}, Assignees())
    sentence = str(e.value)
    assert "'Budget'" in sentence and "\n" not in sentence
    assert ("now 'Cost'" in sentence) if change == "rename" else ("deleted" in sentence)
    assert len(sb.state.boards[ctx.container_id].item_ids) == items_before, "nothing was written"
    await later.aclose()


async def test_a_value_the_column_cannot_hold_is_refused_as_a_record(served: tuple[MondaySandbox, str]) -> None:
    """monday.com's ColumnValueException for one write is that record refused (quarantined,
    the run goes on), not a stop of the run."""
    _, url = served
    t = target(url)
    ctx = await t.ensure_container(TPL, None, {})
    variables = {
        "board_id": ctx.container_id,
        "group_id": ctx.stage_order[0],
        "item_name": "x",
        "column_values": '{"mw_due": "soon"}',
    }
    with pytest.raises(RecordRejected) as e:
        await t.client.mutate("create_item", td.document("create_item"), variables)
    assert e.value.status == 422 and "ColumnValueException" in e.value.message
    await t.aclose()


async def test_aliased_requests_are_sized_by_what_each_mutation_cost(served: tuple[MondaySandbox, str]) -> None:
    """The size of an aliased request follows the complexity monday.com last reported for one
    such mutation: at 2,000,000 points each, two would pass the 5,000,000 cap with their
    selections, so each group goes alone."""
    sb, url = served
    t = target(url)
    t.client.cost_of["create_group x2"] = 4_000_000  # what an earlier request of two groups cost
    three = TPL.model_copy(update={"stages": [*TPL.stages, Stage(key="trello:list:l3", name="Later", position=3)]})
    ctx = await t.ensure_container(three, None, {})
    assert writes(url) == 1 + 3 + 1, "the board, each group alone, the columns"
    assert [g.title for g in sb.state.boards[ctx.container_id].groups] == ["To do", "Done", "Later"]
    await t.aclose()


async def test_a_blank_named_container_is_found_by_the_name_its_board_was_given(
    served: tuple[MondaySandbox, str],
) -> None:
    _, url = served
    t = target(url)
    blank = TPL.model_copy(update={"name": "   "})
    ctx = await t.ensure_container(blank, None, {})
    assert [c.id for c in await t.containers_named("   ")] == [ctx.container_id], "the conflict scan sees it"
    assert await t.find_container(blank.key, blank.name) == ctx.container_id
    await t.aclose()


async def test_new_items_go_several_to_a_request_and_a_refused_one_is_refused_alone(
    served: tuple[MondaySandbox, str],
) -> None:
    """Issue 18's bulk writes: new items' `create_item` mutations are aliased into one
    request, and a write monday.com refuses (a column gone: InvalidColumnIdException) refuses
    only its item."""
    sb, url = served
    t = target(url)
    ctx = await t.ensure_container(TPL, None, {})
    gone = ContainerCtx.from_json({**ctx.to_json(), "fields": {**ctx.fields, "trello:field:f1": "no_such_column"}})
    fields = {f.key: f for f in TPL.fields}
    news = [NewItem(item(n), gone if n == 3 else ctx, fields, Assignees()) for n in range(1, 7)]
    before = writes(url)
    got = await t.create_items(news)
    assert writes(url) == before + 1, "six items, one request"
    refused = got[2]
    assert isinstance(refused, RecordRejected) and "InvalidColumnIdException" in refused.message, refused
    made = [g for g in got if isinstance(g, str)]
    assert len(made) == 5
    assert [sb.state.items[i].name for i in made] == ["Card 1", "Card 2", "Card 4", "Card 5", "Card 6"]
    assert (await t._find_items(ctx, [item(5).key])) == {item(5).key: made[3]}, "each carries its marker"
    assert t.client.cost_of["create_item x6"] >= 6 * 10_000, "the request's complexity, read from the answer"
    await t.aclose()


async def test_items_a_request_follow_the_cost_each_and_the_accounts_budget(served: tuple[MondaySandbox, str]) -> None:
    """How many new items one request holds: the plan's batch, the per-query cap at what a
    create_item cost last time, and no more than the account's budget a minute."""
    _, url = served
    t = target(url)
    assert t.item_batch == 25, "the plan's batch, at the documented 10,000 points an item"
    t.client.cost_of["create_item x4"] = 4 * 1_000_000  # monday.com said 1,000,000 points an item
    assert t.item_batch == 4, "five would pass the 5,000,000-point cap of one request"
    await t.aclose()
    free = SPEC.connect(
        Connection(
            Target(system="monday", base_url=url + "/v2", profile="sandbox", rate_plan="free"),
            {"token": "sandbox-monday-token"},
            Limits(),
            mapping=MondayMapping(batch=499),
        )
    )
    assert isinstance(free, MondayTarget)
    assert free.item_batch == 98, "1,000,000 points a minute on the free plan: about 100 items at 10,000 each"
    await free.aclose()
    free.batch = 25  # the plan's default
    assert free.item_batch == 24, "four requests of 24 fill a minute's budget; of 25, three would (75 items)"


async def test_items_a_full_board_refuses_in_one_request_go_on_the_next_board_together(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    t = target(url)
    ctx = await t.ensure_container(boards.TPL, None, {})
    first = ctx.container_id
    boards.fill(sb, first, ITEMS_PER_BOARD - 2)
    got = await t.create_items([NewItem(boards.row(n), ctx, boards.FIELDS, Assignees()) for n in range(5)])
    assert all(isinstance(g, str) for g in got), got
    on = [sb.state.items[str(g)].board_id for g in got]
    assert on[:2] == [first, first] and len(set(on[2:])) == 1 and on[2] != first, "two fit; three go on together"
    assert t.client.cost_of.get("create_item x3"), "the three in one request on the second board"
    await t.aclose()
