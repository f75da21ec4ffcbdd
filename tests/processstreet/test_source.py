"""ProcessStreetSource against the Process Street sandbox over loopback HTTP: extraction complete
against the sandbox's own state; runs of an older revision placed by name and saying so; an
empty workflow; 402 PaymentRequired and an unknown option in one sentence; a file whose
download keeps failing quarantined alone; and the limiter learning the unpublished limit
from 429s."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from adapters.processstreet import spec as ps_spec
from adapters.processstreet.client import ProcessStreetClient
from adapters.processstreet.sandbox import ProcessStreetSandbox
from adapters.processstreet.source import ProcessStreetSource
from adapters.processstreet.spec import SANDBOX_CREDENTIALS, SPEC
from adapters.sandboxkit import SandboxServer
from wizard.adapter import SourceLeftOut
from wizard.errors import PlanError, UserError
from wizard.events import CountingSink, LogLine
from wizard.http import ObjectUnavailable
from wizard.model import Attachment, Comment, Item, Template
from wizard.plan import Limits, Source
from wizard.registry import Connection


@pytest.fixture
def served() -> Iterator[tuple[ProcessStreetSandbox, str]]:
    sb = ProcessStreetSandbox(seed=7, scale="small", rate_limits="off")
    with SandboxServer(sb) as srv:
        yield sb, srv.url + "/api/v1.1"


@pytest.fixture
async def source(served: tuple[ProcessStreetSandbox, str]) -> AsyncIterator[ProcessStreetSource]:
    src = ProcessStreetSource.connect(served[1], dict(SANDBOX_CREDENTIALS), profile="sandbox", max_retries=1)
    yield src
    await src.aclose()


async def extract_all(src: ProcessStreetSource, include_archived: bool = False) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for c in await src.containers():
        async for obj in src.extract(c.id, include_archived=include_archived):
            out.setdefault(type(obj).__name__, []).append(obj)
    return out


async def test_extraction_is_complete_against_the_sandbox(served: Any, source: ProcessStreetSource) -> None:
    sb, _ = served
    exp = sb.export()
    got = await extract_all(source)
    live = {r["id"]: r for r in exp["runs"] if r["status"] != "Archived"}
    items: list[Item] = got["Item"]
    assert sorted(i.source_id for i in items) == sorted(live)
    comments: list[Comment] = got["Comment"]
    want = {f"processstreet:comment:{c}" for r in live.values() for c in r["comments"]}
    want |= {f"processstreet:approval:{a}" for r in live.values() for a in r["approvals"]}
    assert {c.key for c in comments} == want
    atts: list[Attachment] = got["Attachment"]
    files = {f"processstreet:attachment:{a}" for r in live.values() for a in r["attachments"]}
    files |= {f"processstreet:file:{f}" for r in live.values() for f in r["files"]}
    assert {a.key for a in atts} == files and all(a.url for a in atts)
    archived = {f"processstreet:run:{r['id']}" for r in exp["runs"] if r["status"] == "Archived"}
    left: list[SourceLeftOut] = got["SourceLeftOut"]
    assert archived <= {x.key for x in left}
    templates: list[Template] = got["Template"]
    bare = [t for t in templates if not t.stages]
    assert len(bare) == 1 and not bare[0].name.strip(), "a workflow with a blank name and no task yet"
    assert any(t.fields for t in templates)
    assert {"processstreet:field:" in f.key for t in templates for f in t.fields} == {True}
    stages = {s.key for t in templates for s in t.stages}
    assert all(i.stage_key in stages for i in items if i.stage_key)
    assert any(i.checklists for i in items) and any(i.values for i in items)
    assert any(i.stage_assignees for i in items) and any(i.assignee_keys for i in items)
    # an empty workflow is a template with its steps and no run
    empty = [w["id"] for w in exp["workflows"] if not w["runs"]]
    assert empty and all(any(t.source_id == w for t in templates) for w in empty)


async def test_a_run_of_an_older_revision_is_placed_by_name_and_says_so(
    served: Any, source: ProcessStreetSource
) -> None:
    sb, _ = served
    st = sb.state
    older = [
        r
        for r in st.runs.values()
        if r.status in ("Active", "Completed") and r.revision != st.workflows[r.data["workflowId"]].published.id
    ]
    assert older
    got = await extract_all(source)
    by_key = {i.key: i for i in got["Item"]}
    said = {x.key: x for x in got["SourceLoss"] if x.kind == "item"}
    for r in older:
        item = by_key[f"processstreet:run:{r.id}"]
        assert item.description.startswith("This run was launched on revision 1 of its workflow"), item.description
        assert item.stage_key is not None
        assert said[item.key].what == "revision" and said[item.key].why == item.description.split("\n")[0]
    assert set(said) == {f"processstreet:run:{r.id}" for r in older}, "the ledger names those runs, and only them"
    tasks = [x for x in got["SourceLoss"] if x.kind == "template"]
    assert len(tasks) == len(got["Template"]) and all(x.what == "task states" for x in tasks)
    routes = source.client.calls_by_route
    assert routes.get("GET /workflows/{id}/revisions") == len({r.data["workflowId"] for r in older}), (
        "the revisions are read once per workflow that needs them"
    )


async def test_a_plan_limit_is_one_sentence(served: Any, source: ProcessStreetSource) -> None:
    sb, _ = served
    sb.payment["^/attachments"] = "attachments: Pro plan and up"
    c = next(c for c in await source.containers() if sb.state.workflows[c.id].runs)
    with pytest.raises(UserError) as err:
        async for _ in source.extract(c.id):
            pass
    sentence = err.value.sentence
    assert "402 PaymentRequired" in sentence and "attachments: Pro plan and up" in sentence
    assert "\n" not in sentence and "upgrade" in sentence


def test_an_option_process_street_does_not_have_is_one_sentence(served: Any) -> None:
    endpoint = Source(system="processstreet", base_url=served[1], profile="sandbox", options={"plan": "pro"})
    with pytest.raises(PlanError) as err:
        SPEC.connect(Connection(endpoint, dict(SANDBOX_CREDENTIALS), Limits()))
    assert "plan" in err.value.sentence and "Process Street does not know" in err.value.sentence


async def test_a_file_whose_download_keeps_failing_is_that_files_alone(
    served: Any, source: ProcessStreetSource
) -> None:
    sb, _ = served
    got = await extract_all(source)
    atts = [a for a in got["Attachment"] if a.size]
    bad, good = atts[0], atts[1]
    sb.bad_files.add(bad.source_id)
    with pytest.raises(ObjectUnavailable):
        async for _ in source.open_attachment(bad):
            pass
    body = b"".join([chunk async for chunk in source.open_attachment(good)])
    assert len(body) == good.size
    assert source.client.calls_by_route["GET file link"] >= 3


@pytest.mark.slow
async def test_the_limiter_learns_the_unpublished_limit_from_429s() -> None:
    # requests per (compressed) minute, nowhere published, nowhere told to the client; a window
    # of 9 s, so a burst crosses it even on a loaded machine
    hidden = 70
    sb = ProcessStreetSandbox(seed=3, scale="small", window_scale=0.15, hidden_limit=hidden)
    sink = CountingSink()
    with SandboxServer(sb) as srv:
        client = ProcessStreetClient(srv.url + "/api/v1.1", SANDBOX_CREDENTIALS["key"], window_scale=0.15, sink=sink)
        try:
            assert client.limiter.windows[0].limit == ps_spec.ASSUMED_PER_MINUTE > hidden
            await asyncio.gather(*(client.get("testAuth") for _ in range(hidden + 30)))  # a burst
            first = sb.limits.rejected
            learned = client.learned_per_minute
            assert first and learned is not None and learned < ps_spec.ASSUMED_PER_MINUTE, "slowed after the 429s"
            said = [e.text for e in sink.events if isinstance(e, LogLine)]
            assert any("publishes no limit" in s for s in said)
            # Both windows empty before the second burst, so it meets what was learned alone and
            # not the tail of the first (started at once, it raced the sandbox's count of the
            # first burst's retries, and on one run drew as many 429s as the first).
            await asyncio.sleep(sb.limits.period + 0.5)
            await asyncio.gather(*(client.get("testAuth") for _ in range(hidden + 30)))
            assert client.limiter.windows[0].limit <= hidden, "down to what the account allows"
            second = sb.limits.rejected - first
            assert second < first, f"and the 429s grow fewer: {first} in the first burst, {second} after learning"
        finally:
            await client.aclose()


def test_the_estimate_says_the_rate_is_assumed() -> None:
    assert SPEC.rate is not None and "assumed" in SPEC.rate.summary and "publishes no limit" in SPEC.rate.summary


async def test_sync_asks_the_run_list_what_changed_since_the_last_reading(
    served: Any, source: ProcessStreetSource
) -> None:
    sb, _ = served
    wid = next(w.id for w in sb.state.workflows.values() if len(w.runs) > 5)
    async for _ in source.extract(wid):
        pass
    calls = source.client.calls
    baseline = await source.changes_since(wid, None)
    assert baseline is not None and baseline.cursor and source.client.calls == calls, "the reading's own time: no call"
    quiet = await source.changes_since(wid, baseline.cursor)
    assert quiet is not None and not quiet.changed_item_ids and not quiet.new_comment_ids
    edited = sb.mutate(0.2, seed=1)
    mine = {f"processstreet:run:{r}" for r in edited if sb.state.runs[r].data["workflowId"] == wid}
    run = next(r for r in sb.state.workflows[wid].runs if sb.state.runs[r].status == "Active")
    cid = sb.comment(sb.state.runs[run], "written since")
    changes = await source.changes_since(wid, baseline.cursor)
    assert changes is not None and changes.new_comment_ids == {f"processstreet:comment:{cid}"}
    assert changes.changed_item_ids == mine | {f"processstreet:run:{run}"}
    assert changes.cursor is not None and changes.cursor >= baseline.cursor


async def test_what_hangs_on_a_malformed_run_is_quarantined_with_it(served: Any, source: ProcessStreetSource) -> None:
    sb, _ = served
    run = next(r for r in sb.state.runs.values() if r.status == "Active" and r.approvals and r.files)
    sb.bad_runs.add(run.id)
    got = await extract_all(source)
    rejected = {x.key: x for x in got["SourceRejected"]}
    hanging = [f"processstreet:approval:{a['id']}" for a in run.approvals]
    hanging += [f"processstreet:file:{f}" for f in run.files]
    hanging += [f"processstreet:comment:{c}" for c in run.comments]
    hanging += [f"processstreet:attachment:{a}" for a in run.attachments]
    assert f"processstreet:run:{run.id}" in rejected
    assert all(run.id in rejected[k].reason for k in hanging), "each says which run it hangs on"
    arrived = {o.key for kind in ("Item", "Comment", "Attachment") for o in got[kind]}
    assert not arrived & {f"processstreet:run:{run.id}", *hanging}


async def test_a_file_link_that_expired_is_read_again_and_the_bytes_arrive_once() -> None:
    sb = ProcessStreetSandbox(seed=7, scale="small", rate_limits="off", file_ttl=1.0)
    with SandboxServer(sb) as srv:
        src = ProcessStreetSource.connect(srv.url + "/api/v1.1", dict(SANDBOX_CREDENTIALS), profile="sandbox")
        try:
            got = await extract_all(src)
            files = [a for a in got["Attachment"] if a.size]
            task_file = next(a for a in files if a.key.startswith("processstreet:attachment:"))
            field_file = next(a for a in files if a.key.startswith("processstreet:file:"))
            await asyncio.sleep(2.2)  # both links have expired
            for att in (task_file, field_file):
                body = b"".join([chunk async for chunk in src.open_attachment(att)])
                assert hashlib.sha256(body).hexdigest() == sb.state.file_sha256(att.source_id)
            assert src.client.calls_by_route["GET file link"] == 4, "each refused once, then fetched with a fresh link"
        finally:
            await src.aclose()
