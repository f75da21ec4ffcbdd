"""AsanaSource against the Asana sandbox over loopback HTTP: extraction complete against the
sandbox's own state, in few calls; Asana's own counts for verify; files with expiring URLs;
429s, the cost limit, 401/403, a malformed task; the Events API for sync."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from adapters.asana.sandbox import AsanaSandbox
from adapters.asana.source import AsanaSource
from adapters.asana.spec import SANDBOX_CREDENTIALS, SPEC
from adapters.sandboxkit import Faults, SandboxServer
from wizard.adapter import SourceLeftOut, SourceLoss
from wizard.errors import CredentialError, PermissionDenied, PlanError
from wizard.http import ObjectUnavailable
from wizard.model import Attachment, Comment, Item, Template
from wizard.plan import Limits, Source
from wizard.registry import Connection

CREDS = SANDBOX_CREDENTIALS


@pytest.fixture
def served() -> Iterator[tuple[AsanaSandbox, str]]:
    sb = AsanaSandbox(seed=7, scale="small", rate_limits="off")
    with SandboxServer(sb) as srv:
        yield sb, srv.url + "/api/1.0"


@pytest.fixture
async def source(served: tuple[AsanaSandbox, str]) -> AsyncIterator[AsanaSource]:
    src = AsanaSource.connect(served[1], CREDS, profile="sandbox")
    yield src
    await src.aclose()


async def extract_all(src: AsanaSource, include_archived: bool = False) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for c in await src.containers():
        async for obj in src.extract(c.id, include_archived=include_archived):
            out.setdefault(type(obj).__name__, []).append(obj)
    return out


def live_tasks(exp: dict[str, Any]) -> list[dict[str, Any]]:
    archived = {p["gid"] for p in exp["projects"] if p["archived"]}
    return [t for t in exp["tasks"] if t["project"] not in archived]


async def test_extraction_is_complete_against_the_sandbox(served: Any, source: AsanaSource) -> None:
    sb, _ = served
    exp = sb.export()
    got = await extract_all(source)
    live = {t["gid"]: t for t in live_tasks(exp)}
    items: list[Item] = got["Item"]
    assert sorted(i.source_id for i in items) == sorted(live)
    order = {i.key: n for n, i in enumerate(items)}
    for item in items:  # a subtask is a sub-item of its own parent, yielded after it
        t = live[item.source_id]
        assert item.parent_key == (f"asana:task:{t['parent']}" if t["parent"] else None)
        if item.parent_key:
            assert order[item.parent_key] < order[item.key]
            assert item.stage_key is not None  # where its top-level task stands
    comments: list[Comment] = got["Comment"]
    assert sorted(c.source_id for c in comments) == sorted(g for t in live.values() for g in t["comments"])
    for c in comments:  # on its own task or subtask
        assert c.source_id in live[c.item_key.rsplit(":", 1)[1]]["comments"]
    atts: list[Attachment] = got["Attachment"]
    live_atts = [a for a in exp["attachments"] if a["parent"] in live]
    assert sorted(a.source_id for a in atts) == sorted(a["gid"] for a in live_atts)
    assert {a.source_id for a in atts if a.is_upload} == {a["gid"] for a in live_atts if a["host"] == "asana"}
    assert all(
        a.item_key == f"asana:task:{next(x['parent'] for x in live_atts if x['gid'] == a.source_id)}" for a in atts
    )
    # the archived project's tasks are left out, each with the reason
    archived = {p["gid"] for p in exp["projects"] if p["archived"]}
    left_out: list[SourceLeftOut] = got["SourceLeftOut"]
    assert {x.key for x in left_out} == {
        f"asana:task:{t['gid']}" for t in exp["tasks"] if t["project"] in archived and not t["parent"]
    }
    assert all("archived project" in x.reason for x in left_out)
    templates: list[Template] = got["Template"]
    assert {t.key.split(":")[1] for t in templates} == {"project", "project_template"}
    assert "SourceRejected" not in got


async def test_values_of_each_type_and_the_unknown_one(served: Any, source: AsanaSource) -> None:
    got = await extract_all(source)
    projects = [t for t in got["Template"] if t.key.startswith("asana:project:")]  # templates ask for dates, roles
    types = {f.name: f.type.value for t in projects for f in t.fields}
    assert types == {
        "Priority": "dropdown",
        "Channels": "multiselect",
        "Estimate (h)": "number",
        "Client ref": "text",
        "Review date": "date",
        "Reviewer": "people",
        "Related work": "text",  # Asana's `reference`: read as its display text
    }
    assert source.unknown_field_types and set(source.unknown_field_types.values()) == {"reference"}
    fields = {f.key: f for t in got["Template"] for f in t.fields}
    values = [v for i in got["Item"] for v in i.values]
    by_type = Counter(fields[v.field_key].type.value for v in values)
    assert set(by_type) >= {"dropdown", "multiselect", "number", "text", "date", "people"}
    for v in values:
        f = fields[v.field_key]
        if f.type.value == "dropdown":
            assert v.value in {o.id for o in f.options}
        if f.type.value == "number":
            assert isinstance(v.value, float)


async def test_calls_are_few(source: AsanaSource) -> None:
    got = await extract_all(source)
    n_tasks = len(got["Item"]) + len(got.get("SourceLeftOut", []))
    naive = 4 * n_tasks  # each task read, its stories, attachments and subtasks asked one by one
    assert source.calls < naive / 2, (source.calls, source.client.calls_by_route)


async def test_stated_counts_are_asanas_own(served: Any, source: AsanaSource) -> None:
    sb, _ = served
    exp = sb.export()
    by_gid = {t["gid"]: t for t in exp["tasks"]}
    hosts = {a["gid"]: a["host"] for a in exp["attachments"]}
    seen = set()
    for c in await source.containers():
        stated = await source.stated_counts(c.id)
        assert stated is not None
        for s in stated:
            t = by_gid[s.key.rsplit(":", 1)[1]]
            seen.add(t["gid"])
            assert s.counts["comment"] == len(t["comments"])
            assert s.counts["file"] == sum(hosts[a] == "asana" for a in t["attachments"])
            assert s.counts["link"] == sum(hosts[a] != "asana" for a in t["attachments"])
            assert s.counts["field_value"] == sum(1 for v in t["values"].values() if v not in (None, [], "  "))
            assert (s.archived is not None) == c.closed
    assert seen == {t["gid"] for t in exp["tasks"]}  # every task and subtask, archived ones too


async def test_a_listing_that_loses_a_task_cannot_agree(served: Any, source: AsanaSource) -> None:
    sb, url = served
    project = next(p for p in sb.state.projects.values() if len(p.tasks) > 3 and not p.data["archived"])
    honest = await source.stated_counts(project.gid)
    assert all("unlisted" not in s.key for s in honest)
    httpx.post(
        url.replace("/api/1.0", "") + "/_sandbox/corrupt",
        json={"mode": "hide_task", "task_id": next(g for g in project.tasks if not sb.state.tasks[g].deleted)},
    )
    stated = await source.stated_counts(project.gid)
    assert len(stated) == len(honest)  # Asana's task count still names the one its listing lost
    assert [s.name for s in stated if "unlisted" in s.key] == ["(a task Asana counts but did not list)"]


async def test_files_stream_whole_and_an_expired_url_is_fetched_again(served: Any, source: AsanaSource) -> None:
    sb, url = served
    exp = sb.export()
    att = next(a for a in exp["attachments"] if a["host"] == "asana" and a["size"] > 1000)
    sb.download_ttl = -60  # the URL the listing gave has expired by the time the download starts
    stale = (await source.client.data(f"attachments/{att['gid']}"))["download_url"]
    sb.download_ttl = 120
    assert httpx.get(stale).status_code == 403
    canonical = Attachment(
        key=f"asana:attachment:{att['gid']}", item_key="asana:task:1", name=att["name"], size=att["size"], url=stale
    )
    body = b"".join([c async for c in source.open_attachment(canonical)])
    assert hashlib.sha256(body).hexdigest() == att["sha256"]
    stats = httpx.get(url.replace("/api/1.0", "") + "/_sandbox/stats").json()["by_route"]
    assert stats["GET /_storage/{gid}/{name:path}"] == {"403": 2, "200": 1}  # our check, then the client's
    assert stats["GET /api/1.0/attachments/{gid}"] == {"200": 2}  # the stale URL, then the fresh one


async def test_a_fresh_url_from_the_listing_costs_one_call(served: Any, source: AsanaSource) -> None:
    sb, url = served
    att = next(a for a in sb.export()["attachments"] if a["host"] == "asana" and a["size"] > 0)
    fresh = (await source.client.data(f"attachments/{att['gid']}"))["download_url"]
    canonical = Attachment(
        key=f"asana:attachment:{att['gid']}", item_key="asana:task:1", name="x", size=att["size"], url=fresh
    )
    httpx.post(url.replace("/api/1.0", "") + "/_sandbox/stats/reset")
    body = b"".join([c async for c in source.open_attachment(canonical)])
    assert len(body) == att["size"]
    stats = httpx.get(url.replace("/api/1.0", "") + "/_sandbox/stats").json()
    assert stats["requests"] == 1  # the download alone


async def test_a_file_whose_storage_fails_is_one_object_unavailable(served: Any) -> None:
    sb, url = served
    src = AsanaSource.connect(url, CREDS, profile="sandbox", max_retries=1)
    att = next(a for a in sb.export()["attachments"] if a["host"] == "asana" and a["size"])
    httpx.post(
        url.replace("/api/1.0", "") + "/_sandbox/corrupt", json={"mode": "bad_file", "attachment_id": att["gid"]}
    )
    canonical = Attachment(key=f"asana:attachment:{att['gid']}", item_key="asana:task:1", name="x", size=att["size"])
    with pytest.raises(ObjectUnavailable):
        async for _ in src.open_attachment(canonical):
            pass
    await src.aclose()


async def test_429s_and_the_cost_limit_are_waited_out() -> None:
    sb = AsanaSandbox(seed=7, scale="small", faults=Faults(rate_429=0.15, seed=3), window_scale=0.01)
    with SandboxServer(sb) as srv:
        httpx.post(srv.url + "/_sandbox/drain")  # the first request meets the cost-based 429
        src = AsanaSource.connect(srv.url + "/api/1.0", CREDS, profile="sandbox", window_scale=0.01)
        try:
            got = await extract_all(src)
        finally:
            await src.aclose()
        stats = httpx.get(srv.url + "/_sandbox/stats").json()["by_route"]
    assert sum(s.get("429", 0) for s in stats.values()) > 0
    assert len(got["Item"]) == len(live_tasks(sb.export()))
    assert src.client.retries > 0


async def test_the_free_plan_is_detected_and_binds(served: Any) -> None:
    sb = AsanaSandbox(seed=7, scale="small", tier="free", rate_limits="off")
    with SandboxServer(sb) as srv:
        src = AsanaSource.connect(srv.url + "/api/1.0", CREDS, profile="sandbox")
        who = await src.whoami()
        await src.aclose()
    assert src.client.tier == "free" and src.client.limiter.budgets[0].limit == 150
    assert "free plan" in who.detail


async def test_401_and_403_are_one_sentence_with_asanas_words(served: Any) -> None:
    _, url = served
    bad = AsanaSource.connect(url, {"token": "wrong"}, profile="acme")
    with pytest.raises(CredentialError) as e:
        await bad.whoami()
    assert "Not Authorized" in str(e.value) and "errors" not in str(e.value) and "acme" in str(e.value)
    await bad.aclose()
    src = AsanaSource.connect(url, CREDS, profile="sandbox")
    project = next(c for c in await src.containers() if not c.closed and "template" not in c.key)
    httpx.post(url.replace("/api/1.0", "") + "/_sandbox/deny", json={"gid": project.id})
    with pytest.raises(PermissionDenied) as d:
        async for _ in src.extract(project.id):
            pass
    assert "You do not have access" in str(d.value)
    await src.aclose()


async def test_a_malformed_task_is_quarantined_and_the_rest_come(served: Any, source: AsanaSource) -> None:
    sb, url = served
    chosen = next(t["gid"] for t in live_tasks(sb.export()) if not t["parent"] and t["comments"] and t["subtasks"])
    answer = httpx.post(url.replace("/api/1.0", "") + "/_sandbox/corrupt", json={"mode": "bad_task", "task_id": chosen})
    bad = answer.json()["task_id"]
    got = await extract_all(source)
    rejected = {r.key: r for r in got["SourceRejected"]}
    assert f"asana:task:{bad}" in rejected and "name" in rejected[f"asana:task:{bad}"].reason
    orphans = [r for k, r in rejected.items() if k != f"asana:task:{bad}"]
    assert orphans and all(f"task {bad}, which was quarantined" in r.reason for r in orphans)  # reported, not lost
    live = {t["gid"]: t for t in live_tasks(sb.export())}

    def under_bad(gid: str | None) -> bool:
        return gid is not None and (gid == bad or under_bad(live[gid]["parent"]))

    assert len(got["Item"]) == sum(not under_bad(g) for g in live)  # it and its subtasks only
    assert not any(c.item_key == f"asana:task:{bad}" for c in got["Comment"])


async def test_changes_come_from_the_events_api(served: Any, source: AsanaSource) -> None:
    sb, url = served
    project = next(c for c in await source.containers() if not c.closed and "template" not in c.key)
    baseline = await source.changes_since(project.id, None)
    assert baseline is not None and baseline.cursor
    quiet = await source.changes_since(project.id, baseline.cursor)
    assert quiet is not None and not quiet.changed_item_ids
    changed = httpx.post(url.replace("/api/1.0", "") + "/_sandbox/mutate", json={"fraction": 0.3, "seed": 1}).json()
    mine = {f"asana:task:{g}" for g in changed["changed"]} & {
        f"asana:task:{g}" for g in sb.state.projects[project.id].tasks
    }
    later = await source.changes_since(project.id, quiet.cursor)
    assert later is not None and later.changed_item_ids == mine
    # a token Asana calls too old: the tasks modified since the cursor's time instead
    httpx.post(url.replace("/api/1.0", "") + "/_sandbox/expire_sync", json={"project": project.id})
    fallback = await source.changes_since(project.id, quiet.cursor)
    assert fallback is not None and mine <= fallback.changed_item_ids and fallback.cursor != quiet.cursor


async def test_extraction_covers_the_manifest(served: Any, source: AsanaSource) -> None:
    sb, _ = served
    manifest = [e for e in sb.manifest().to_json() if not e["archived"]]
    got = await extract_all(source)
    keys = {o.key for kind in ("Item", "Comment", "Attachment", "Template") for o in got[kind]}
    stages = {s.key for t in got["Template"] for s in t.stages}
    for kind in ("item", "comment", "attachment", "container"):
        assert {e["ref"] for e in manifest if e["kind"] == kind} <= keys, kind
    assert {e["ref"] for e in manifest if e["kind"] == "stage"} <= stages
    subitems = {i.key for i in got["Item"] if i.parent_key}
    assert subitems == {e["ref"] for e in manifest if e["kind"] == "subitem"}


async def test_a_task_with_more_stories_than_a_page_brings_them_all(served: Any, source: AsanaSource) -> None:
    sb, _ = served
    project = next(p for p in sb.state.projects.values() if p.tasks and not p.data["archived"])
    task = next(sb.state.tasks[g] for g in project.tasks if not sb.state.tasks[g].deleted)
    template = next(s for s in task.stories if s["type"] == "system")
    for n in range(230):
        gid = str(9_000_000_000_000_000 + n)
        sb.state.story_parent[gid] = task.gid
        task.stories.append({**template, "gid": gid, "type": "comment", "text": f"note {n}"})
    got = []
    async for obj in source.extract(project.gid):
        if isinstance(obj, Comment) and obj.item_key == f"asana:task:{task.gid}":
            got.append(obj.text)
    assert [t for t in got if t.startswith("note ")] == [f"note {n}" for n in range(230)]


async def test_the_plans_source_options_choose_the_plan_and_the_activity_log(served: Any) -> None:
    _, url = served
    endpoint = Source(system="asana", base_url=url, options={"plan": "paid", "activity_log": "true"})
    src = SPEC.connect(Connection(endpoint, CREDS, Limits()))
    try:
        await src.whoami()
        assert src.client.tier == "paid"
        assert "GET /workspaces/{id}/tasks/search" not in src.client.calls_by_route  # chosen, not detected
        project = next(c for c in await src.containers() if not c.closed and "template" not in c.key)
        texts = [o.text async for o in src.extract(project.id) if isinstance(o, Comment)]
        assert any(t.startswith("Activity: ") for t in texts)
        stated = await src.stated_counts(project.id)
        assert sum(s.counts["comment"] for s in stated) == len(texts)  # verify counts what comes
    finally:
        await src.aclose()
    for wrong in ({"plan": "enterprise"}, {"colour": "blue"}):
        with pytest.raises(PlanError) as e:
            SPEC.connect(Connection(Source(system="asana", base_url=url, options=wrong), CREDS, Limits()))
        assert "[source.options]" in e.value.sentence and "plan (" in e.value.sentence


async def test_milestones_and_approvals_arrive_as_such_and_a_decision_not_kept_in_the_ledger(
    served: Any, source: AsanaSource
) -> None:
    sb, _ = served
    live = {t["gid"]: t for t in live_tasks(sb.export())}
    got = await extract_all(source)
    marked = {i.source_id: i.approval for i in got["Item"] if i.approval}
    assert marked == {g: t["resource_subtype"] for g, t in live.items() if t["resource_subtype"] != "default_task"}
    assert marked, "the sandbox holds milestones or approvals"
    decided = {
        g for g, t in live.items() if t["resource_subtype"] == "approval" and t["approval_status"] in ("rejected",)
    }
    losses = {x.key.rsplit(":", 1)[1] for x in got.get("SourceLoss", []) if x.what == "approval decision"}
    assert decided and losses == decided


async def test_a_project_template_asks_for_its_dates_and_roles_and_says_it_has_no_tasks(source: AsanaSource) -> None:
    templates = [c for c in await source.containers() if c.key.startswith("asana:project_template:")]
    got = [o async for o in source.extract(templates[0].id)]
    tpl = got[0]
    assert isinstance(tpl, Template) and tpl.stages == []
    assert [(f.name, f.type.value) for f in tpl.fields] == [
        ("Start date", "date"),
        ("Account manager", "people"),
        ("Designer", "people"),
    ]
    loss = got[1]
    assert isinstance(loss, SourceLoss) and loss.key == tpl.key and "not its tasks" in loss.why


async def test_the_plan_picks_one_workspace_or_is_told_which_there_are(served: Any) -> None:
    sb, url = served
    ws = sb.export()["workspace"]["gid"] if "workspace" in sb.export() else None
    everyone = AsanaSource.connect(url, CREDS, profile="sandbox")
    try:
        me = await everyone.me()
        ws = ws or me.workspaces[0].gid
        all_containers = await everyone.containers()
    finally:
        await everyone.aclose()
    picked = AsanaSource.connect(url, CREDS, profile="sandbox", workspace=ws)
    try:
        assert [c.key for c in await picked.containers()] == [c.key for c in all_containers]
    finally:
        await picked.aclose()
    wrong = AsanaSource.connect(url, CREDS, profile="sandbox", workspace="999")
    try:
        with pytest.raises(PlanError) as e:
            await wrong.containers()
        assert e.value.sentence.startswith("[source.options] workspace = '999' is not a workspace this token opens")
        assert f"({ws})" in e.value.sentence and "\n" not in e.value.sentence
    finally:
        await wrong.aclose()
