"""monday.com's item create/update budget, "19,000 items per account per hour" (reference M5):
the sandbox refuses a request past it as a rate limit (HTTP 429, `ACCOUNT_CAPACITY_EXCEEDED`,
`retry_in_seconds`, `Retry-After`; or the same error with HTTP 200, application-level errors'
status), the client waits it out in either shape and keeps to it on its own, a run through the
real CLI never meets the refusal, and the estimate counts the hours it takes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import tomlkit

from adapters.monday import target_documents as td
from adapters.monday.client import MondayClient
from adapters.monday.sandbox import ITEMS_PER_HOUR, MondaySandbox
from adapters.sandboxkit import SandboxServer
from tests.e2e.conftest import cli, serve, stop
from tests.monday.test_target_sandbox import HEADERS, board_with_columns, group_of

SCALE = 0.001  # an hour lasts 3.6 s


@pytest.fixture
def served() -> Iterator[tuple[MondaySandbox, str]]:
    sb = MondaySandbox(seed=3, scale="small", window_scale=SCALE)
    with SandboxServer(sb) as srv:
        yield sb, srv.url


def items(sb: MondaySandbox, bid: str, n: int) -> tuple[str, dict]:
    group = group_of(sb, bid)
    each = [{"board_id": bid, "group_id": group, "item_name": f"I{i}", "column_values": "{}"} for i in range(n)]
    return td.aliased("create_item", n), td.aliased_variables(each)


def test_a_request_past_the_hours_items_is_refused_whole_as_a_rate_limit(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    bid = board_with_columns(url)
    httpx.post(f"{url}/_sandbox/budget", json={"items_written": ITEMS_PER_HOUR - 10}, timeout=10)
    before = len(sb.state.boards[bid].item_ids)
    text, variables = items(sb, bid, 25)
    r = httpx.post(url + "/v2", json={"query": text, "variables": variables}, headers=HEADERS, timeout=30)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text
    ext = r.json()["errors"][0]["extensions"]
    assert ext["code"] == "ACCOUNT_CAPACITY_EXCEEDED" and ext["retry_in_seconds"] >= 1
    assert len(sb.state.boards[bid].item_ids) == before, "nothing of the request is made"
    text, variables = items(sb, bid, 10)  # what the hour has left
    ok = httpx.post(url + "/v2", json={"query": text, "variables": variables}, headers=HEADERS, timeout=30)
    assert ok.status_code == 200 and "errors" not in ok.json() and len(sb.state.boards[bid].item_ids) == before + 10
    httpx.post(f"{url}/_sandbox/budget", json={"items_status": 200}, timeout=10)
    r = httpx.post(url + "/v2", json={"query": text, "variables": variables}, headers=HEADERS, timeout=30)
    assert r.status_code == 200 and r.json()["errors"][0]["extensions"]["code"] == "ACCOUNT_CAPACITY_EXCEEDED"
    assert sb.items_refused == 2


@pytest.mark.parametrize("status", [429, 200])
def test_the_client_waits_out_an_hour_spent_by_another_client_in_either_shape(
    served: tuple[MondaySandbox, str], status: int
) -> None:
    sb, url = served
    bid = board_with_columns(url)
    group = group_of(sb, bid)
    httpx.post(f"{url}/_sandbox/budget", json={"items_written": ITEMS_PER_HOUR, "items_status": status}, timeout=10)

    async def go() -> dict:
        client = MondayClient(url + "/v2", "sandbox-monday-token", window_scale=SCALE, max_retries=3)
        try:
            variables = {"board_id": bid, "group_id": group, "item_name": "After the hour", "column_values": "{}"}
            return await client.mutate("create_item", td.document("create_item"), variables)
        finally:
            await client.aclose()

    start = time.monotonic()
    made = asyncio.run(go())
    assert made["create_item"]["id"] in sb.state.boards[bid].item_ids
    assert sb.items_refused == 1 and time.monotonic() - start >= 3600 * SCALE * 0.9, "waited for the hour"


def test_our_limiter_keeps_to_the_hours_items_and_the_estimate_counts_the_hours(tmp_path: Path) -> None:
    """A lower budget (40 items an hour, set alike in the sandbox and the plan) so an hour of
    3.6 s fills: 110 rows take three hours, the estimate says so, and monday.com never refuses."""
    s = serve(
        tmp_path / "m", "--systems", "table,monday", "--scale", "small", "--seed", "3", "--rate-scale", str(SCALE)
    )
    try:
        s.post("monday", "budget", {"items_per_hour": 40})
        plan = s.folder / "plan.toml"
        doc = tomlkit.parse(plan.read_text())
        doc["target"]["rate_limits"] = {"items_per_hour": 40}  # type: ignore[index]
        plan.write_text(tomlkit.dumps(doc))
        folder = str(s.folder)
        assert cli("discover", folder).returncode == 0
        est = json.loads(cli("estimate", folder, "--json").stdout)
        hours = 2 * 3600 * SCALE  # 110 items: two full hours waited out, the third's share at the engine's pace
        assert est["duration_s"] >= hours, est["duration_s"]
        assert any(x["name"] == "items_per_hour" and x["calls"] == 40 for x in est["limits"]), est["limits"]
        start = time.monotonic()
        run = cli("run", folder, "--yes")
        took = time.monotonic() - start
        assert run.returncode == 0, run.stdout + run.stderr
        export = s.export("monday")
        rows = {e["ref"] for e in s.export("table")["manifest"] if e["kind"] == "item"}
        made = {i["source_ref"] for b in export["made"] for i in b["items"]}
        assert rows <= made and len(rows) == 110
        assert export["items_refused"] == 0, "our limiter kept to the hour: monday.com refused nothing"
        assert took >= hours, took
    finally:
        stop(s)


@pytest.mark.slow
def test_the_estimate_of_a_workspace_over_19000_items_counts_the_hours(tmp_path: Path) -> None:
    """20,010 rows into monday.com at monday.com's own time: over an hour's 19,000 items, so at
    least an hour, where the complexity budget alone would say about 20 minutes."""
    s = serve(tmp_path / "m", "--systems", "table,monday", "--scale", "small", "--seed", "3")
    try:
        s.post("table", "edit", {"add": 19_900})
        folder = str(s.folder)
        assert cli("discover", folder).returncode == 0
        est = json.loads(cli("estimate", folder, "--json").stdout)
        assert est["duration_s"] >= 3600, est["duration_s"]
        assert any("19,000 items an hour" in w for w in est["duration_why"]), est["duration_why"]
        assert any(x["name"] == "items_per_hour" and x["calls"] == ITEMS_PER_HOUR for x in est["limits"])
    finally:
        stop(s)
