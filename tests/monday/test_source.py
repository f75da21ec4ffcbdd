"""The monday.com source against its sandbox over HTTP: every object the manifest holds is
extracted once, in the documented order, within the complexity budget, with monday.com's
own counts agreeing; cursors that expire, budgets that run out in either error shape and
files whose URLs expire or whose downloads fail are handled."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import adapters.monday.source as source_module
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.source import MondaySource
from adapters.sandboxkit import SandboxServer
from wizard.adapter import SourceLoss, SourceRejected
from wizard.errors import UserError
from wizard.http import ObjectUnavailable
from wizard.model import Attachment, Comment, Item, Template, capabilities_used


@pytest.fixture
def served() -> Iterator[tuple[MondaySandbox, str]]:
    sb = MondaySandbox(seed=7, scale="small", window_scale=0.02)  # a minute lasts 1.2 s
    with SandboxServer(sb) as srv:
        yield sb, srv.url


def source(url: str, **kw: Any) -> MondaySource:
    kw.setdefault("window_scale", 0.02)  # as the sandbox's
    return MondaySource.connect(url + "/v2", {"token": "sandbox-monday-token"}, profile="sandbox", max_retries=3, **kw)


async def extract_all(src: MondaySource) -> list[Any]:
    out: list[Any] = []
    for c in await src.containers():
        async for obj in src.extract(c.id):
            out.append(obj)
    return out


def live(manifest: list[dict[str, Any]], kind: str) -> set[str]:
    return {m["ref"] for m in manifest if m["kind"] == kind and not m["archived"]}


async def test_every_live_item_comment_and_file_is_extracted_once(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    src = source(url)
    objs = await extract_all(src)
    await src.aclose()
    manifest = sb.export_with_manifest()["manifest"]
    keys = Counter(o.key for o in objs if not isinstance(o, SourceRejected))
    assert all(n == 1 for n in keys.values())
    items = {o.key for o in objs if isinstance(o, Item) and o.parent_key is None}
    subitems = {o.key for o in objs if isinstance(o, Item) and o.parent_key is not None}
    assert subitems == live(manifest, "subitem")
    comments = {o.key for o in objs if isinstance(o, Comment)}
    files = {o.key for o in objs if isinstance(o, Attachment)}
    assert items == live(manifest, "item")
    assert comments == live(manifest, "comment")
    assert files == live(manifest, "attachment")
    for o in objs:
        if isinstance(o, (Item, Template)):
            assert capabilities_used(o) <= src.fills, o.key


async def test_the_order_is_template_items_comments_files(served: tuple[MondaySandbox, str]) -> None:
    _, url = served
    src = source(url)
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    rank = {Template: 0, Item: 1, Comment: 2, Attachment: 3}
    order = [rank[type(o)] async for o in src.extract(board.id) if type(o) in rank]
    await src.aclose()
    assert order == sorted(order) and order[0] == 0 and set(order) == {0, 1, 2, 3}


async def test_containers_show_kinds_and_archived_boards_and_hide_deleted_and_subitem_boards(
    served: tuple[MondaySandbox, str],
) -> None:
    _sb, url = served
    src = source(url)
    found = await src.containers()
    await src.aclose()
    names = {c.name.split(" · ")[0]: c for c in found}  # each named with its workspace after " · "
    assert all(c.name.endswith((" · Main workspace", " · Client work 🤝")) for c in found)
    assert names["Old projects (archived)"].closed
    assert "Deleted board" not in names and not any(n.startswith("Subitems of") for n in names)
    assert any(n.endswith("(private)") for n in names) and any(n.endswith("(shareable)") for n in names)
    assert "Empty board" in names


@pytest.mark.parametrize("stages", ["groups", "status"])
async def test_the_stated_counts_agree_with_the_extraction(served: tuple[MondaySandbox, str], stages: str) -> None:
    _, url = served
    src = source(url, stages=stages)
    for c in await src.containers():
        objs = [o async for o in src.extract(c.id, include_archived=True)]
        stated = {s.key: s for s in await src.stated_counts(c.id)}
        items = [o for o in objs if isinstance(o, Item)]
        assert set(stated) == {i.key for i in items}, c.name
        assert {k for k, s in stated.items() if s.archived} == {i.key for i in items if i.closed}, c.name
        comments = Counter(o.item_key for o in objs if isinstance(o, Comment))
        files = Counter(o.item_key for o in objs if isinstance(o, Attachment))
        for i in items:
            st = stated[i.key]
            assert st.counts["comment"] == comments[i.key], i.key
            assert st.counts["file"] == files[i.key], i.key
            assert st.counts["field_value"] == len(i.values), i.key
        assert sum(s.counts["field_value"] for s in stated.values()) > 0 or not items, c.name
    await src.aclose()


async def test_a_page_whose_cursor_expired_starts_the_listing_again(
    served: tuple[MondaySandbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sb, url = served
    src = source(url)
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    monkeypatch.setattr(source_module, "PAGE", 5)  # several pages, so a cursor is in use between them
    try:
        seen: list[str] = []
        async for o in src.extract(board.id):
            if isinstance(o, Item) and o.parent_key is None:
                seen.append(o.key)
                if len(seen) == 3:
                    for c in sb.cursors.values():  # the cursor in use dies (an hour has passed)
                        c.created -= sb.cursor_ttl + 1
    finally:
        await src.aclose()
    assert (
        len(seen)
        == len(set(seen))
        == len(
            [
                m
                for m in sb.export_with_manifest()["manifest"]
                if m["kind"] == "item" and not m["archived"] and _on(sb, m, board.id)
            ]
        )
    )


def _on(sb: MondaySandbox, m: dict[str, Any], board_id: str) -> bool:
    return sb.state.items[m["ref"].rsplit(":", 1)[1]].board_id == board_id


@pytest.mark.parametrize("legacy", [False, True])
async def test_an_exhausted_budget_is_waited_out_in_either_error_shape(
    served: tuple[MondaySandbox, str], legacy: bool
) -> None:
    sb, url = served
    sb.window = 3.0  # long enough that the spent minute cannot end before the first query, however busy the machine
    with sb.lock:
        sb.window_start, sb.window_spent = time.monotonic(), sb.budget
    httpx.post(url + "/_sandbox/budget", json={"legacy_errors": legacy})
    src = source(url)
    me = await src.whoami()
    assert src.client.rate_limited >= 1 and me.user
    await src.aclose()


async def test_the_client_waits_for_the_budget_before_a_query_it_cannot_afford(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    src = source(url)
    await src.whoami()
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    [o async for o in src.extract(board.id)]
    sb.window = 3.0  # a fresh, longer minute with 50,000 points left: less than the updates query costs
    with sb.lock:
        sb.window_start, sb.window_spent = time.monotonic(), sb.budget - 50_000
    [o async for o in src.extract(board.id)]
    await src.aclose()
    assert src.client.rate_limited == 0  # waited before sending, never refused
    assert src.client.limiter.waited > 0


async def test_files_download_whole_the_broken_one_is_unavailable_and_an_expired_url_is_renewed(
    served: tuple[MondaySandbox, str],
) -> None:
    _sb, url = served
    src = source(url)
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    files = [o async for o in src.extract(board.id) if isinstance(o, Attachment)]
    made_bad = httpx.post(url + "/_sandbox/corrupt", json={"mode": "bad_file", "attachment_id": files[-1].source_id})
    broken = {made_bad.json()["attachment_id"]}
    good = next(f for f in files if f.source_id not in broken)
    assert len(await _read(src.open_attachment(good))) == good.size
    stale = good.model_copy(update={"url": good.url.replace("/files/", "/files/0") if good.url else None})
    assert len(await _read(src.open_attachment(stale))) == good.size  # refused, renewed, read
    bad = next(f for f in files if f.source_id in broken)
    with pytest.raises(ObjectUnavailable):
        await _read(src.open_attachment(bad))
    await src.aclose()


async def _read(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([c async for c in chunks])


@pytest.mark.parametrize("column", ["status", None])
async def test_stage_by_status_column(served: tuple[MondaySandbox, str], column: str | None) -> None:
    """The column named, or (none named) the board's first status column: the same here."""
    _, url = served
    src = source(url, stages="status", stage_column=column)
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    objs = [o async for o in src.extract(board.id)]
    await src.aclose()
    tpl = objs[0]
    assert isinstance(tpl, Template)
    assert [s.name for s in tpl.stages] == ["Working on it", "Done", "Stuck", "(no status)"]
    stage_keys = {s.key for s in tpl.stages}
    assert all(o.stage_key in stage_keys for o in objs if isinstance(o, Item))
    assert not any(f.key.endswith("/status") for f in tpl.fields)
    assert not any(isinstance(o, SourceLoss) for o in objs)


async def test_a_board_without_the_status_column_keeps_its_groups_and_says_so(
    served: tuple[MondaySandbox, str],
) -> None:
    _, url = served
    src = source(url, stages="status")
    empty = next(c for c in await src.containers() if c.name.startswith("Empty board · "))
    objs = [o async for o in src.extract(empty.id)]
    stated = await src.stated_counts(empty.id)
    named = source(url, stages="status", stage_column="no_such_column")
    board = next(c for c in await named.containers() if "Client onboarding" in c.name)
    by_name = [o async for o in named.extract(board.id)]
    await src.aclose()
    await named.aclose()
    tpl = objs[0]
    assert isinstance(tpl, Template) and [s.name for s in tpl.stages] == ["Group Title"]
    losses = [o for o in objs if isinstance(o, SourceLoss)]
    assert [(x.kind, x.what) for x in losses] == [("stage", "board 'Empty board' has no status column")]
    assert stated == []
    loss = next(o for o in by_name if isinstance(o, SourceLoss))
    assert "no status column 'no_such_column'" in loss.what and "groups are its steps" in loss.why
    assert any(f.key.endswith("/status") for f in by_name[0].fields)  # the status column stays a field


async def test_values_by_type_and_an_unknown_type_kept_as_text(served: tuple[MondaySandbox, str]) -> None:
    _, url = served
    src = source(url)
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    objs = [o async for o in src.extract(board.id)]
    await src.aclose()
    tpl = objs[0]
    types = {f.key.rsplit("/", 1)[1]: f.type.value for f in tpl.fields}
    assert types["numbers"] == "number" and types["checkbox"] == "checkbox" and types["world_clock"] == "text"
    unknown = {f.key.rsplit("/", 1)[1]: f.source_type for f in tpl.fields if f.source_type}
    assert unknown == {"world_clock": "world_clock"}  # the ledger says it was kept as text
    values = {v.field_key.rsplit("/", 1)[1]: v.value for o in objs if isinstance(o, Item) for v in o.values}
    assert isinstance(values["numbers"], float) and values["world_clock"] == "Europe/Paris"
    dates = [v.value for o in objs if isinstance(o, Item) for v in o.values if v.field_key.endswith("/date4")]
    assert dates and all(isinstance(d, str) and len(d) == 10 for d in dates)  # objects and bare strings alike
    names = {o.name for o in objs if isinstance(o, Item)}
    assert "" in names and any(len(n) == 255 for n in names)


async def test_the_activity_log_names_what_changed_since_the_cursor(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    src = source(url)
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    baseline = await src.changes_since(board.id, None)
    assert baseline is not None and baseline.cursor and len(baseline.cursor) == 17
    quiet = await src.changes_since(board.id, baseline.cursor)
    assert quiet is not None and not (quiet.changed_item_ids or quiet.deleted_item_ids)
    assert quiet.cursor == baseline.cursor
    live = [i for i in (sb.state.items[x] for x in sb.state.boards[board.id].item_ids) if not sb.state.item_archived(i)]
    renamed, moved, archived, deleted = live[0], live[1], live[2], live[3]
    sub = next(sb.state.items[s] for i in live for s in i.subitem_ids if not sb.state.item_archived(sb.state.items[s]))
    edits = [
        {"item_id": renamed.id, "name": "Renamed"},
        {"item_id": moved.id, "column_id": "status", "value": {"index": 1}},
        {"item_id": archived.id, "state": "archived"},
        {"item_id": deleted.id, "name": "About to go"},
        {"item_id": deleted.id, "state": "deleted"},
        {"item_id": sub.id, "name": "Subitem renamed"},
        {"item_id": live[4].id, "update": "a comment alone is not in the log"},
    ]
    async with httpx.AsyncClient(base_url=url) as h:
        for body in edits:
            (await h.post("/_sandbox/mutate", json=body)).raise_for_status()
    changes = await src.changes_since(board.id, quiet.cursor)
    assert changes is not None
    assert changes.changed_item_ids == {
        f"monday:item:{renamed.id}",
        f"monday:item:{moved.id}",
        f"monday:subitem:{sub.id}",
    }
    assert changes.deleted_item_ids == {f"monday:item:{archived.id}", f"monday:item:{deleted.id}"}
    assert changes.cursor is not None and changes.cursor > quiet.cursor
    again = await src.changes_since(board.id, changes.cursor)
    await src.aclose()
    assert again is not None and not (again.changed_item_ids or again.deleted_item_ids)


async def test_a_board_whose_log_is_empty_starts_from_the_epoch(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    src = source(url)
    empty = next(c for c in await src.containers() if c.name.startswith("Empty board · "))
    baseline = await src.changes_since(empty.id, None)
    assert baseline is not None and baseline.cursor == "0" * 17
    board = sb.state.boards[empty.id]
    from adapters.monday.sandbox_state import Item as SbItem  # noqa: PLC0415  # lazy: only this test adds an item

    item = SbItem(sb.state.new_id(), empty.id, "topics", "First", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "1")
    with sb.lock:
        sb.state.items[item.id] = item
        board.item_ids.append(item.id)
        sb.state.log_item(item, "create_pulse")
    changes = await src.changes_since(empty.id, baseline.cursor)
    await src.aclose()
    assert changes is not None and changes.changed_item_ids == {f"monday:item:{item.id}"}


async def test_archived_items_come_closed_with_their_updates_and_files_when_the_plan_includes_them(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    src = source(url)
    objs = []
    for c in await src.containers():
        objs += [o async for o in src.extract(c.id, include_archived=True)]
    calls = src.calls
    assert {"query activity_logs", "query items_by_ids"} <= set(src.client.calls_by_route)
    await src.aclose()
    st = sb.state

    def kept(iid: str) -> bool:  # everything but what was deleted (an item, its parent or its board)
        it = st.items[iid]
        parent = st.items.get(it.parent_id or "")
        board = st.boards[parent.board_id if parent else it.board_id]
        return it.state != "deleted" and (parent is None or parent.state != "deleted") and board.state != "deleted"

    boards = [b for b in st.boards.values() if b.type == "board"]
    want_items = {i for b in boards for i in b.item_ids if kept(i)}
    want_subs = {s for b in boards for i in b.item_ids for s in st.items[i].subitem_ids if kept(s)}
    items = {o.key: o for o in objs if isinstance(o, Item)}
    assert {k for k in items if k.startswith("monday:item:")} == {f"monday:item:{i}" for i in want_items}
    assert {k for k in items if k.startswith("monday:subitem:")} == {f"monday:subitem:{s}" for s in want_subs}
    hidden = {i for i in want_items | want_subs if st.item_archived(st.items[i])}
    assert hidden and {k.rsplit(":", 1)[1] for k, o in items.items() if o.closed} == hidden
    owners = want_items | want_subs
    want_comments = {
        f"monday:comment:{x}"
        for u in st.updates.values()
        if u.item_id in owners
        for x in [u.id, *(r.id for r in u.replies)]
    }
    assert {o.key for o in objs if isinstance(o, Comment)} == want_comments
    want_files = {f"monday:attachment:{a.id}" for a in st.assets.values() if a.item_id in owners}
    assert {o.key for o in objs if isinstance(o, Attachment)} == want_files
    assert len([o for o in objs if not isinstance(o, SourceRejected)]) == len({o.key for o in objs})
    # the listing's calls, plus the log and the items it names, a few a board
    assert calls < 60, calls


async def test_without_include_archived_no_archived_item_is_read(served: tuple[MondaySandbox, str]) -> None:
    _, url = served
    src = source(url)
    objs = []
    for c in await src.containers():
        objs += [o async for o in src.extract(c.id)]
    await src.aclose()
    assert not any(isinstance(o, Item) and o.closed for o in objs)
    routes = src.client.calls_by_route
    assert "query activity_logs" not in routes and "query items_by_ids" not in routes


async def test_a_daily_limit_used_up_until_long_after_is_one_sentence_in_the_vendors_shape(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    sb.day_length = 1e9  # the reset is far off, whatever the hour
    httpx.post(url + "/_sandbox/budget", json={"day_calls": 10_000})  # a Pro account's day, used up
    raw = httpx.post(
        url + "/v2",
        json={"query": "query { me { id } }"},
        headers={"Authorization": "sandbox-monday-token"},
    )
    assert raw.status_code == 429 and int(raw.headers["Retry-After"]) > 0
    ext = raw.json()["errors"][0]["extensions"]
    assert ext["code"] == "DAILY_LIMIT_EXCEEDED" and ext["retry_in_seconds"] > 0
    src = source(url)
    with pytest.raises(UserError, match=r"daily limit of 10,000 calls on the pro plan is used up until midnight UTC"):
        await src.whoami()
    await src.aclose()
    httpx.post(url + "/_sandbox/budget", json={"tier": "enterprise"})  # 25,000 a day: room again
    src = source(url)
    assert (await src.whoami()).user
    await src.aclose()


async def test_an_item_the_listing_leaves_out_is_stated_live_and_counted_even_when_nothing_names_it(
    served: tuple[MondaySandbox, str],
) -> None:
    """Verify's own counts: an item monday.com says is live but its listing skipped is stated
    live (so verify finds it missing, never 'archived'); one the activity log does not name
    either is still counted by the board's items_count."""
    sb, url = served
    ref = httpx.post(url + "/_sandbox/corrupt", json={"mode": "unlisted"}).json()["ref"]
    item_id = ref.rsplit(":", 1)[1]
    board_id = sb.state.items[item_id].board_id
    src = source(url)
    extracted = {o.key for o in [o async for o in src.extract(board_id)] if isinstance(o, Item)}
    assert ref not in extracted
    stated = {s.key: s for s in await src.stated_counts(board_id)}
    assert ref in stated and stated[ref].archived is None
    assert not any(":unlisted-" in k for k in stated)
    with sb.lock:  # and its history gone from the log too: only items_count still says it is there
        for logs in sb.state.activity.values():
            logs[:] = [g for g in logs if str(g.data.get("pulse_id")) != item_id]
    again = {s.key: s for s in await src.stated_counts(board_id)}
    await src.aclose()
    assert ref not in again
    assert [k for k in again if ":unlisted-" in k] == [f"monday:item:unlisted-{board_id}-1"]


async def test_changes_made_through_the_api_are_in_the_activity_log(served: tuple[MondaySandbox, str]) -> None:
    """Items made, edited and archived by mutations (another tool, or the wizard writing into
    monday.com) are logged as monday.com logs them: sync's feed names them, and with
    include_archived the archived one is read by id."""
    _, url = served
    src = source(url)
    board = next(c for c in await src.containers() if "Client onboarding" in c.name)
    baseline = await src.changes_since(board.id, None)
    assert baseline is not None

    def gql(query: str, **variables: Any) -> dict[str, Any]:
        r = httpx.post(
            url + "/v2",
            json={"query": query, "variables": variables},
            headers={"Authorization": "sandbox-monday-token"},
        )
        body = r.json()
        assert r.status_code == 200 and not body.get("errors"), body
        return body["data"]

    made = gql('mutation ($b: ID!) { create_item(board_id: $b, item_name: "Made by API") { id } }', b=board.id)
    new_id = made["create_item"]["id"]
    gql(
        "mutation ($b: ID!, $i: ID!) { change_multiple_column_values(board_id: $b, item_id: $i, "
        'column_values: "{\\"text\\": \\"Acme\\"}") { id } }',
        b=board.id,
        i=new_id,
    )
    gql("mutation ($i: ID!) { archive_item(item_id: $i) { id } }", i=new_id)
    changes = await src.changes_since(board.id, baseline.cursor)
    assert changes is not None and changes.deleted_item_ids == {f"monday:item:{new_id}"}
    objs = [o async for o in src.extract(board.id, include_archived=True)]
    await src.aclose()
    archived = next(o for o in objs if isinstance(o, Item) and o.key == f"monday:item:{new_id}")
    assert archived.closed and archived.name == "Made by API"
