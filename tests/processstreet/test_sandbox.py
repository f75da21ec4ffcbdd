"""The Process Street sandbox behaves as Process Street documents: X-API-Key and its error
body (errorCode, requestId), lists 20 a page followed by the `next` link's `_` cursor, the
paged run list next to the 200-capped search, deleted runs in no listing, 429 with
Retry-After and errorCode RateLimited at a limit nobody publishes, 402 PaymentRequired with
its details, signed file links on another host, and the manifest from its own state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.processstreet.sandbox import HIDDEN_LIMIT, ProcessStreetSandbox
from adapters.processstreet.sandbox_api import PAGE, SEARCH_CAP
from adapters.processstreet.sandbox_state import build_state
from adapters.processstreet.spec import SANDBOX_CREDENTIALS
from adapters.sandboxkit import SandboxServer

KEY = {"X-API-Key": SANDBOX_CREDENTIALS["key"]}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ProcessStreetSandbox, httpx.Client, str]]:
    sb = ProcessStreetSandbox(seed=11, scale="small", rate_limits="off")
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/v1.1/", headers=KEY, timeout=30) as c:
        yield sb, c, srv.url


def walk(c: httpx.Client, path: str, key: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every record of a listing by following `next` hrefs, and how many pages it took."""
    body = c.get(path, params=params).json()
    out, pages = list(body[key]), 1
    while nxt := next((x["href"] for x in body["links"] if x["name"] == "next"), None):
        body = c.get(nxt).json()
        out += body[key]
        pages += 1
    return out, pages


def test_the_key_goes_in_x_api_key_and_a_wrong_one_is_the_vendors_401(served: Any) -> None:
    _, c, url = served
    assert c.get("testAuth").json() == {"apiKeyLabel": "Migration key"}
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['key']}"}):
        r = httpx.get(url + "/api/v1.1/testAuth", headers=headers)
        assert r.status_code == 401
        body = r.json()
        assert body["errorCode"] == "Unauthorized" and body["error"] and body["requestId"]


def test_lists_come_20_a_page_and_the_next_link_carries_the_cursor(served: Any) -> None:
    sb, c, _ = served
    runs, pages = walk(c, "workflow-runs/list", "data")
    live = [r for r in sb.state.runs if sb.state.runs[r].status != "Deleted"]
    assert sorted(r["id"] for r in runs) == sorted(live) and len(runs) > PAGE
    assert pages == -(-len(live) // PAGE)
    first = c.get("workflow-runs/list", params={"status": "Active"}).json()
    assert len(first["data"]) == PAGE
    nxt = next(x for x in first["links"] if x["name"] == "next")
    assert "_=" in nxt["href"] and "status=Active" in nxt["href"] and nxt["type"] == "Api"
    assert [r["audit"]["createdDate"] for r in runs] == sorted((r["audit"]["createdDate"] for r in runs), reverse=True)
    bad = c.get("workflow-runs/list", params={"_": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "BadRequest"


def test_deleted_runs_are_in_no_listing_and_the_status_filter_refuses_deleted(served: Any) -> None:
    sb, c, _ = served
    deleted = {r.id for r in sb.state.runs.values() if r.status == "Deleted"}
    assert deleted, "the seeded state holds deleted runs"
    runs, _ = walk(c, "workflow-runs/list", "data")
    assert not deleted & {r["id"] for r in runs}
    assert {r["status"] for r in runs} == {"Active", "Completed", "Archived"}
    archived, _ = walk(c, "workflow-runs/list", "data", status="Archived")
    assert archived and {r["status"] for r in archived} == {"Archived"}
    r = c.get("workflow-runs/list", params={"status": "Deleted"})
    assert r.status_code == 400 and r.json()["errorCode"] == "BadRequest"
    assert c.get(f"workflow-runs/{next(iter(deleted))}").status_code == 404


def test_the_search_stops_at_200_and_is_not_paged() -> None:
    sb = ProcessStreetSandbox(seed=2, scale="medium", rate_limits="off")
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/v1.1/", headers=KEY, timeout=30) as c:
        wid = next(iter(sb.state.workflows))
        body = c.get("workflow-runs", params={"workflowId": wid}).json()
        active = [r for r in sb.state.runs.values() if r.status == "Active" and r.data["workflowId"] == wid]
        assert len(active) > SEARCH_CAP and len(body["workflowRuns"]) == SEARCH_CAP and "links" not in body


def test_a_429_carries_retry_after_and_errorcode_rate_limited() -> None:
    sb = ProcessStreetSandbox(seed=3, scale="small", window_scale=0.5)
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/v1.1/", headers=KEY, timeout=30) as c:
        statuses = [c.get("testAuth") for _ in range(HIDDEN_LIMIT + 1)]
        assert [r.status_code for r in statuses[:HIDDEN_LIMIT]] == [200] * HIDDEN_LIMIT
        last = statuses[-1]
        assert last.status_code == 429 and last.json()["errorCode"] == "RateLimited"
        assert 0 < float(last.headers["Retry-After"]) <= 30
        assert "x-ratelimit-limit" not in {h.lower() for h in last.headers}, "Process Street publishes no number"


def test_a_plan_limit_is_402_payment_required_with_its_details(served: Any) -> None:
    sb, c, url = served
    httpx.post(url + "/_sandbox/plan", json={"paths": "^/attachments", "limit": "attachments: Pro plan and up"})
    try:
        r = c.get("attachments", params={"workflowId": next(iter(sb.state.workflows))})
        body = r.json()
        assert r.status_code == 402 and body["errorCode"] == "PaymentRequired"
        assert body["details"] == {"limit": "attachments: Pro plan and up"}
    finally:
        httpx.post(url + "/_sandbox/plan", json={})
    assert c.get("attachments", params={"workflowId": next(iter(sb.state.workflows))}).status_code == 200


def test_file_links_are_signed_on_another_host_and_take_no_key(served: Any) -> None:
    sb, c, _ = served
    wid = next(w for w, wf in sb.state.workflows.items() if any(sb.state.runs[r].attachments for r in wf.runs))
    att = next(a for a in walk(c, "attachments", "data", workflowId=wid)[0] if a["size"])
    link = next(x["href"] for x in att["links"] if x["name"] == "file")
    assert link.startswith("http://localhost:"), "not the API's host"
    got = httpx.get(link)
    assert got.status_code == 200 and len(got.content) == att["size"]
    assert got.headers["content-type"].startswith(att["mimeType"])
    assert httpx.get(link, headers=KEY).status_code == 400, "the key never goes to the file host"
    assert httpx.get(link.replace("signature=", "signature=0")).status_code == 403
    ranged = httpx.get(link, headers={"Range": "bytes=10-"})
    assert ranged.status_code == 206 and ranged.content == got.content[10:]


def test_values_files_and_unknown_types_have_the_shapes_the_adapter_meets(served: Any) -> None:
    sb, c, _ = served
    st = sb.state
    types = {f["fieldType"] for wf in st.workflows.values() for f in wf.fields}
    assert {"Text", "MultiSelect", "File", "MultiFile", "Table", "Hidden", "Snippet", "SendRichEmail"} <= types
    assert "Signature" in types, "a type the published document does not list"
    run = next(r for r in st.runs.values() if r.files and r.status == "Active")
    values = c.get(f"workflow-runs/{run.id}/form-fields").json()["fields"]
    files = [v for v in values if v["fieldType"] in ("File", "MultiFile")]
    assert files and all(len([x for x in v["links"] if x["name"] == "file"]) == len(v["data"]) for v in files)
    numbers = [
        v for r in st.runs.values() for v in r.values.values() if isinstance(v, str) and v.replace(".", "").isdigit()
    ]
    assert numbers, "some numbers are given as strings"


def test_the_manifest_comes_from_the_sandboxs_own_state() -> None:
    sb = ProcessStreetSandbox(seed=4, scale="small", rate_limits="off")
    entries = sb.manifest().to_json()
    refs = {e["ref"]: e for e in entries}
    st = sb.state
    live = [r for r in st.runs.values() if r.status != "Deleted"]
    assert {e["ref"] for e in entries if e["kind"] == "item"} == {f"processstreet:run:{r.id}" for r in live}
    for r in live:
        assert refs[f"processstreet:run:{r.id}"]["archived"] == (r.status == "Archived")
        for a in r.approvals:
            assert refs[f"processstreet:approval:{a['id']}"]["kind"] == "comment"
        for f in r.files:
            assert refs[f"processstreet:file:{f}"]["kind"] == "attachment"
    empty = [wf for wf in st.workflows.values() if not wf.runs]
    assert empty, "an empty workflow"
    assert build_state(4, "small").runs.keys() == st.runs.keys(), "the same seed, the same state"


@pytest.mark.slow
def test_large_holds_what_every_large_sandbox_holds() -> None:
    st = build_state(1, "large")
    live = [r for r in st.runs.values() if r.status != "Deleted"]
    assert len(live) >= 10_000 and len(st.comments) >= 30_000
    assert len(st.attachments) + len(st.files) >= 2_000
