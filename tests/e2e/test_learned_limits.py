"""Limits that are the account's: what a vendor states during a run (a rate-limit header, a
429's words) corrects the client's limiter, is kept in the folder, and is the next estimate's
limit with where it came from; a plan's own figure is the one the run holds to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from adapters.sandboxkit import SandboxServer
from adapters.tallyfy.client import TallyfyClient
from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.trello.sandbox import TrelloSandbox
from tests.reliability.conftest import InProcess
from tests.reliability.harness import run_cli
from wizard.engine.estimate import estimate
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.limits import assumed, remembered
from wizard.migration import Migration
from wizard.plan import Plan, Source, Target
from wizard.ratelimit import RateLimiter
from wizard.registry import target as target_spec
from wizard.secrets import SANDBOX_CREDENTIALS

HEADERS = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['tallyfy']['token']}", "X-Tallyfy-Client": "test"}


@pytest.fixture
def tallyfy_at_100_a_minute() -> Iterator[tuple[TallyfySandbox, str]]:
    sb = TallyfySandbox(per_minute=100, hour_seconds=3600.0)
    with SandboxServer(sb) as srv:
        yield sb, srv.url


async def test_the_clients_window_takes_the_limit_the_vendors_header_states(
    tallyfy_at_100_a_minute: tuple[TallyfySandbox, str],
) -> None:
    sb, url = tallyfy_at_100_a_minute
    token = SANDBOX_CREDENTIALS["tallyfy"]["token"]
    async with TallyfyClient(f"{url}/api", token, sb.org_id) as c:
        assert c.limiter.windows[0].limit == 600, "the documented 600 a minute until the vendor says otherwise"
        await c.list_tags()
        assert c.limiter.windows[0].limit == 100
        seen = c.limiter.learned["requests_per_minute"]
        assert (seen.calls, seen.seconds, seen.how) == (100, 60.0, "X-RateLimit-Limit from Tallyfy")


async def test_a_caps_429_states_its_figure_and_the_bucket_takes_it() -> None:
    sb = TallyfySandbox(hour_seconds=1.0)  # an hour of a second
    token = SANDBOX_CREDENTIALS["tallyfy"]["token"]
    with SandboxServer(sb) as srv:
        url = srv.url
        async with TallyfyClient(f"{url}/api", token, sb.org_id, hour_seconds=1.0) as c:
            c.limiter.buckets["guest_invites"][0].limit = 40  # we believed the cap higher than it is
            with httpx.Client(base_url=f"{url}/api/organizations/{sb.org_id}", headers=HEADERS) as h:
                for i in range(30):  # another tool of the organization spends the guest-invite cap
                    assert h.post("guests", json={"email": f"g{i}@client.example"}).status_code == 201
            await c.create_guest({"email": "late.guest@client.example"})
        assert c.limiter.learned["guest_invites_per_hour"].calls == 30
        assert c.limiter.buckets["guest_invites"][0].limit == 30


def _inventory() -> Inventory:
    c = ContainerInventory(
        key="trello:board:b1", id="b1", name="Board", counts={"item": 100, "stage": 3}, items_by_stage_index=[100]
    )
    return Inventory(
        source_system="trello", discovered_at="2026-01-01T00:00:00Z", elapsed_s=1, source_calls=5, containers=[c]
    )


def _plan(**target: object) -> Plan:
    return Plan(
        source=Source(system="trello", base_url="https://api.trello.com/1", profile="p"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="p", organization="o", **target),  # type: ignore[arg-type]
    )


def test_what_a_run_learned_is_kept_and_the_next_estimate_assumes_it(tmp_path: Path) -> None:
    m = Migration.create(tmp_path / "mig", _plan())
    try:
        before = estimate(m.plan, _inventory(), m.learned_limits())
        lim = RateLimiter([(600, 60.0)])
        lim.learn("requests_per_minute", 100, 60.0, "X-RateLimit-Limit from Tallyfy")
        m.remember_limits("target", SimpleNamespace(client=SimpleNamespace(limiter=lim)), m.plan.target)
        m.close()
        m = Migration.open(tmp_path / "mig")  # the next command of the folder
        after = estimate(m.plan, _inventory(), m.learned_limits())
    finally:
        m.close()
    x = next(x for x in after.limits if x.side == "target" and x.name == "requests_per_minute")
    assert (x.calls, x.origin) == (100, "learned") and x.where.startswith("X-RateLimit-Limit from Tallyfy, 20")
    assert any(
        w.startswith("assumed: Tallyfy requests_per_minute: 100 a minute (learned: ") for w in after.duration_why
    )
    assert after.duration_s > 5 * before.duration_s, "at a sixth of the rate, the calls take about six times as long"


def test_the_plans_limits_are_the_ones_the_run_holds_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MW_P_TALLYFY_TOKEN", "t")
    m = Migration.create(tmp_path / "mig", _plan(rate_plan="per-organization", rate_limits={"requests_per_minute": 50}))
    try:
        tgt = m.target()
        windows = {(w.limit, w.period) for w in tgt.client.limiter.windows}
        assert (50, 60.0) in windows and (1000, 3600.0) in windows and (600, 60.0) not in windows
        assert not tgt.client.limiter.learned, "the plan's figures are not taken for something learned"
    finally:
        m.close()


def test_a_learned_limit_is_kept_in_real_time_whatever_the_sandboxes_compression() -> None:
    lim = RateLimiter([(600, 0.06)])
    lim.learn("requests_per_minute", 100, 0.06, "X-RateLimit-Limit")
    kept = remembered(lim.learned, 0.001, "2026-01-01 10:00")
    assert kept == {
        "requests_per_minute": {"calls": 100, "seconds": 60.0, "how": "X-RateLimit-Limit, 2026-01-01 10:00"}
    }
    limits = assumed("target", target_spec("tallyfy"), "", {}, kept)
    assert next(x for x in limits if x.name == "requests_per_minute").calls == 100


def test_a_run_that_met_a_lower_limit_leaves_it_to_the_next_estimate_and_run(tmp_path: Path) -> None:
    """Through the real CLI: Tallyfy's header states 300 requests a minute (the plan assumes the
    documented 600); `run` learns it, the folder keeps it, and the next `estimate --json` assumes
    300 a minute, says it was learned and how, and the next run's client holds to it."""
    scale = 0.001
    trello = TrelloSandbox(seed=3, scale="small", rate_limits="off")
    tallyfy = TallyfySandbox(seed=3, per_minute=300, minute_seconds=60 * scale, hour_seconds=3600 * scale)
    sb = InProcess(tmp_path / "mig", trello, tallyfy, source_scale=scale, target_scale=scale)
    try:
        before = json.loads(run_cli("estimate", str(sb.folder), "--json").stdout)
        said = next(x for x in before["limits"] if x["side"] == "target" and x["name"] == "requests_per_minute")
        assert (said["calls"], said["origin"]) == (600, "documented")
        r = run_cli("run", str(sb.folder), "--yes")
        assert r.returncode == 0, r.stderr[-3000:]
        after = json.loads(run_cli("estimate", str(sb.folder), "--json").stdout)
    finally:
        sb.close()
    learned = next(x for x in after["limits"] if x["side"] == "target" and x["name"] == "requests_per_minute")
    assert (learned["calls"], learned["seconds"], learned["origin"]) == (300, 60, "learned"), learned
    assert learned["where"].startswith("X-RateLimit-Limit from Tallyfy, "), learned
    assert any(
        w.startswith("assumed: Tallyfy requests_per_minute: 300 a minute (learned: ") for w in after["duration_why"]
    )
    m = Migration.open(sb.folder)
    try:
        windows = {(w.limit, round(w.period, 6)) for w in m.target().client.limiter.windows}
    finally:
        m.close()
    assert (300, 60 * scale) in windows and (600, 60 * scale) not in windows, windows
