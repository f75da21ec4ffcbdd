"""The Pipefy source against its sandbox over HTTP: a pipe's phases in order (done ones too)
with their own fields, the start form as the kick-off form, a card standing at its phase with
its phase history, its values read from Pipefy's strings, labels, comments, files and
connections; presigned URLs fetched again once expired; a file that fails alone; the rate
window learnt from a 429; the updated_at feed; and Pipefy's own counts."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from adapters.pipefy import mapping
from adapters.pipefy.sandbox import PipefySandbox
from adapters.pipefy.sandbox_state import UNKNOWN_TYPE
from adapters.pipefy.source import PipefySource
from adapters.sandboxkit import SandboxServer
from tests.pipefy.conftest import source
from wizard.adapter import SourceLoss, SourceRejected
from wizard.http import ObjectUnavailable
from wizard.model import Attachment, Comment, FieldType, Item, Template, capabilities_used


async def everything(src: PipefySource, pipe_id: str) -> list[Any]:
    return [o async for o in src.extract(pipe_id)]


def first_pipe(sb: PipefySandbox) -> str:
    return next(iter(sb.state.pipes))


async def test_a_pipe_maps_to_a_template_with_its_phases_fields_labels_and_people(
    served: tuple[PipefySandbox, str],
) -> None:
    sb, url = served
    src = source(url)
    pipe = sb.state.pipes[first_pipe(sb)]
    objs = await everything(src, pipe.id)
    await src.aclose()
    tpl = objs[0]
    assert isinstance(tpl, Template) and tpl.kind == "pipe"
    assert [s.name for s in tpl.stages] == [p.name for p in pipe.phases], "every phase in order, done ones too"
    start = {f.key for f in tpl.fields if f.stage_key is None}
    assert mapping.field_key(pipe.id, "supplier") in start, "start-form fields: the kick-off form"
    approval = next(p for p in pipe.phases if p.name == "Approval")
    assert {f.name for f in tpl.fields if f.stage_key == f"pipefy:phase:{approval.id}"} == {
        "Approvers",
        "Checks done",
        "Approved at",
    }, "a phase's own fields belong to its stage"
    assert not any(f.name in ("Documents", "Please fill every field") for f in tpl.fields), "files and statements"
    unknown = next(f for f in tpl.fields if f.name == "Score")
    assert unknown.type == FieldType.text and unknown.source_type == UNKNOWN_TYPE
    assert {t.name for t in tpl.tags} >= {"Urgent", "VIP"} and all(t.color for t in tpl.tags)
    assert {p.key for p in tpl.people} == {f"pipefy:user:{u}" for u in pipe.member_ids}
    assert isinstance(objs[1], SourceLoss) and "phase" in objs[1].why
    declared = PipefySource.fills
    assert all(capabilities_used(o) <= declared for o in objs if not isinstance(o, (SourceLoss, SourceRejected)))


async def test_a_card_stands_at_its_phase_with_its_history_values_labels_and_connections(
    served: tuple[PipefySandbox, str],
) -> None:
    sb, url = served
    src = source(url)
    pipe = sb.state.pipes[first_pipe(sb)]
    objs = await everything(src, pipe.id)
    await src.aclose()
    items = {o.key: o for o in objs if isinstance(o, Item)}
    st = sb.state
    for card in st.live_cards(pipe):
        item = items[f"pipefy:card:{card.id}"]
        assert item.stage_key == f"pipefy:phase:{card.phase_id}"
        assert item.name == card.title
        assert [k.rsplit(":", 1)[1] for k in item.tag_keys] == card.label_ids
        assert item.description.count("\n- ") == len(card.history), "one line a phase it went through"
        assert (item.completed_at is not None) == (card.finished_at is not None)
    done = next(c for c in st.live_cards(pipe) if st.phase_of(c) and st.phase_of(c).done)  # type: ignore[union-attr]
    assert items[f"pipefy:card:{done.id}"].due_complete
    with_checks = next(c for c in st.live_cards(pipe) if "checks" in c.values)
    values = {v.field_key.rsplit("/", 1)[1]: v.value for v in items[f"pipefy:card:{with_checks.id}"].values}
    assert isinstance(values["checks"], list) and values["checks"], "a JSON-array string read as a list"
    assert isinstance(values["amount"], float)
    assert all(isinstance(p, str) and p.startswith("pipefy:user:") for p in values["approvers"])  # type: ignore[union-attr]
    connected = next(c for c in st.live_cards(pipe) if c.connected_ids)
    item = items[f"pipefy:card:{connected.id}"]
    assert {r.item_key for r in item.relations} == {f"pipefy:card:{x}" for x in connected.connected_ids}
    losses = [o for o in objs if isinstance(o, SourceLoss) and o.key == item.key]
    assert len(losses) == 1 and "connected to 2 card(s)" in losses[0].why
    blank = next(c for c in st.live_cards(pipe) if c.title == "")
    assert items[f"pipefy:card:{blank.id}"].name == ""
    comments = [o for o in objs if isinstance(o, Comment)]
    assert Counter(c.item_key for c in comments) == Counter(
        {f"pipefy:card:{c.id}": len(c.comment_ids) for c in st.live_cards(pipe) if c.comment_ids}
    )


async def test_an_expired_url_is_fetched_again_just_before_the_download(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    src = source(url)
    httpx.post(f"{url}/_sandbox/limits", json={"url_ttl": 30}, timeout=10)  # inside the client's margin
    atts = [o for o in await everything(src, first_pipe(sb)) if isinstance(o, Attachment)]
    httpx.post(f"{url}/_sandbox/limits", json={"url_ttl": 600}, timeout=10)
    before = src.client.calls_by_route.get("query card_files", 0)
    data = b"".join([chunk async for chunk in src.open_attachment(atts[0])])
    assert src.client.calls_by_route["query card_files"] == before + 1, "the expired URL was asked for again"
    path = next(p for p in sb.state.files if mapping.file_id(sb.state.files[p].card_id, p) == atts[0].source_id)
    assert len(data) == sb.state.files[path].size
    # a URL still alive is used as it is: no call but the download
    atts = [o for o in await everything(src, first_pipe(sb)) if isinstance(o, Attachment)]
    calls = src.client.calls
    assert b"".join([chunk async for chunk in src.open_attachment(atts[0])])
    assert src.client.calls == calls + 1
    await src.aclose()


async def test_a_url_the_storage_refuses_is_asked_for_again_once(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    src = source(url)
    att = next(o for o in await everything(src, first_pipe(sb)) if isinstance(o, Attachment))
    assert att.url
    forged = att.model_copy(update={"url": att.url.replace("signature=", "signature=0")})
    assert b"".join([chunk async for chunk in src.open_attachment(forged)])
    await src.aclose()


async def test_a_file_whose_download_fails_is_unavailable_alone(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    src = source(url, max_retries=1)
    atts = [o for o in await everything(src, first_pipe(sb)) if isinstance(o, Attachment)]
    path = next(p for p in sb.state.files if mapping.file_id(sb.state.files[p].card_id, p) == atts[0].source_id)
    httpx.post(f"{url}/_sandbox/corrupt", json={"mode": "bad_file", "path": path}, timeout=10)
    with pytest.raises(ObjectUnavailable):
        async for _ in src.open_attachment(atts[0]):
            pass
    assert b"".join([chunk async for chunk in src.open_attachment(atts[1])]), "the next file still comes"
    await src.aclose()


async def test_a_malformed_card_is_quarantined_with_what_hangs_on_it(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    ref = httpx.post(f"{url}/_sandbox/corrupt", json={}, timeout=10).json()["ref"]
    card = sb.state.cards[ref.rsplit(":", 1)[1]]
    src = source(url)
    objs = await everything(src, card.pipe_id)
    await src.aclose()
    rejected = {o.key: o for o in objs if isinstance(o, SourceRejected)}
    assert ref in rejected and "phase" in rejected[ref].reason
    assert {f"pipefy:comment:{c}" for c in card.comment_ids} <= set(rejected)


async def test_a_429_lowers_the_assumed_window_to_what_was_allowed() -> None:
    # the sandbox allows 60 requests in 6 s, where the client assumes 500 (its window: 0.6 s)
    with SandboxServer(PipefySandbox(seed=1, scale="small", window_scale=0.2)) as srv:
        httpx.post(f"{srv.url}/_sandbox/limits", json={"window_requests": 60}, timeout=10)
        src = source(srv.url, window_scale=0.02, max_retries=15)
        assert src.client.limiter.windows[0].limit == 500
        for _ in range(70):
            await src.client.query("whoami")
        await src.aclose()
    assert src.client.rate_limited >= 1
    assert src.client.limiter.windows[0].limit == src.client.learnt_limit
    assert 50 <= src.client.learnt_limit <= 60  # type: ignore[operator]


async def test_sync_reads_the_cards_updated_since_the_cursor(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    src = source(url)
    pipe = first_pipe(sb)
    await everything(src, pipe)
    base = await src.changes_since(pipe, None)
    assert base.cursor and not base.changed_item_ids
    quiet = await src.changes_since(pipe, base.cursor)
    assert not quiet.changed_item_ids
    card = sb.state.live_cards(sb.state.pipes[pipe])[5]
    await asyncio.sleep(1.1)  # updated_at has whole seconds
    httpx.post(f"{url}/_sandbox/mutate", json={"card_id": card.id, "title": "Renamed"}, timeout=10)
    changed = await src.changes_since(pipe, base.cursor)
    assert changed.changed_item_ids == {f"pipefy:card:{card.id}"}
    await src.aclose()


async def test_stated_counts_are_pipefys_own_and_a_card_it_counts_but_does_not_list_stands(
    served: tuple[PipefySandbox, str],
) -> None:
    sb, url = served
    src = source(url)
    pipe = sb.state.pipes[first_pipe(sb)]
    stated = {s.key: s for s in await src.stated_counts(pipe.id)}
    for card in sb.state.live_cards(pipe):
        s = stated[f"pipefy:card:{card.id}"]
        assert s.counts["comment"] == len(card.comment_ids) and s.counts["file"] == len(card.file_paths)
    hidden = sb.state.live_cards(pipe)[2]
    hidden.deleted = True  # listed nowhere: as if the listing lost it, while the counts below still hold it
    original = type(sb.state).live_cards

    def counted(self: Any, p: Any) -> list[Any]:
        return [self.cards[c] for c in p.card_ids if not self.cards[c].deleted or c == hidden.id]

    cards_count = len(original(sb.state, pipe)) + 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("adapters.pipefy.sandbox_graphql.PipeView.cards_count", property(lambda self: cards_count))
        after = await src.stated_counts(pipe.id)
    assert sum(1 for s in after if "unlisted" in s.key) == 1
    del counted
    await src.aclose()
