"""The estimate's duration is the executor's schedule simulated under every limit in force,
not phases added up: a capped kind overlaps the others, concurrency and round trips count,
and each limit the estimate assumed is named with where it came from."""

from __future__ import annotations

from collections import Counter

import pytest

from tui.model import EngineModel
from wizard.engine.estimate import estimate, eta_s, limits_in_force, simulate_run
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.engine.simulation import Pace, Work, simulate
from wizard.errors import PlanError
from wizard.plan import Plan, Source, Target
from wizard.ratelimit import RateLimiter

FAST = Pace(cpu_s=0.001, round_trip_s=0.001, bytes_per_s=1e12)


def _work(items: int, item_calls: int, comments: int = 0, setup: int = 0) -> Work:
    return Work(setup=Counter(templates=setup), items=items, per_kind=Counter(items=item_calls, comments=comments))


def _limiters(target: RateLimiter | None = None) -> dict[str, RateLimiter]:
    return {"source": RateLimiter([]), "target": target or RateLimiter([])}


def test_a_capped_kind_overlaps_the_others_instead_of_adding_to_them() -> None:
    # 200 item calls and 240 comments share 10 calls a second; comments are also capped at 120
    # an hour. The first 120 comments go out among the items (all 320 calls in 32 s), the next
    # 120 an hour after them: 1 h 32 s or less, where phases added up would say 20 s of items,
    # then an hour and 24 s of comments.
    target = RateLimiter([(10, 1.0)], {"comments": [(120, 3600.0)]})
    t = simulate([_work(200, 200, comments=240)], _limiters(target), FAST, 4)
    assert t.calls == Counter(items=200, comments=240)
    assert 3600 < t.duration_s <= 3600 + 32.5, t.duration_s
    assert 30 <= t.finished["items"] <= 32.5


def test_concurrency_and_round_trips_bound_an_unlimited_run() -> None:
    # 400 calls, 0.1 s each way, nothing else binding: 4 at once take 10 s; 1 at once 40 s
    slow = Pace(cpu_s=0.001, round_trip_s=0.1, bytes_per_s=1e12)
    four = simulate([_work(100, 400)], _limiters(), slow, 4).duration_s
    one = simulate([_work(100, 400)], _limiters(), slow, 1).duration_s
    assert four == pytest.approx(10.0, rel=0.05) and one == pytest.approx(40.0, rel=0.05)


def test_the_engine_itself_is_one_loop() -> None:
    # 3,000 calls of 1/300 s of the engine each: 10 s however many slots wait
    pace = Pace(cpu_s=1 / 300, round_trip_s=1 / 300, bytes_per_s=1e12)
    assert simulate([_work(1000, 3000)], _limiters(), pace, 16).duration_s == pytest.approx(10.0, rel=0.02)


def test_containers_go_one_after_another_but_the_windows_carry_over() -> None:
    # two containers of 120 comments under 120 an hour: the second waits for the first hour
    target = RateLimiter([], {"comments": [(120, 3600.0)]})
    t = simulate([_work(10, 10, comments=120), _work(10, 10, comments=120)], _limiters(target), FAST, 4)
    assert 3600 <= t.duration_s < 3610


def test_a_sliding_window_lets_a_burst_through_then_the_rest_each_period() -> None:
    t = simulate([_work(1, 1, setup=250)], _limiters(RateLimiter([(100, 60.0)])), FAST, 4)
    assert 120 <= t.duration_s < 121  # 100 now, 100 after a minute, 51 after two


def test_comments_the_source_yields_after_its_last_item_wait_for_the_stream_to_end() -> None:
    # 200 item calls at 10 a second, 20 comments at one each 10 s. Comments that follow their
    # item start with the first ones written. Trello's come board-wide after the last card: with
    # back-pressure (16 items ahead of the writes) the stream ends when the 184th item is written,
    # about 18 s in, and every comment waits for that; with no bound it ends at once.

    def run(follows: frozenset[str], backlog: int) -> float:
        w = _work(200, 200, comments=20)
        w.follows = follows
        target = RateLimiter([(10, 1.0)], {"comments": [(1, 10.0)]})  # fresh windows for each run
        return simulate([w], _limiters(target), FAST, 4, backlog=backlog).duration_s

    following = run(frozenset({"comments", "attachments"}), 16)
    after_the_last = run(frozenset(), 16)
    assert 15 <= after_the_last - following <= 20, (following, after_the_last)
    assert run(frozenset(), 0) == pytest.approx(following, abs=0.5)  # every item yielded at once


def _inventory(items: int = 200, comments: int = 600) -> Inventory:
    c = ContainerInventory(
        key="trello:board:b1",
        id="b1",
        name="Board",
        counts={"item": items, "comment": comments, "stage": 4},
        items_by_stage_index=[items],
    )
    return Inventory(
        source_system="trello", discovered_at="2026-01-01T00:00:00Z", elapsed_s=1, source_calls=10, containers=[c]
    )


def _plan(**target: object) -> Plan:
    return Plan(
        source=Source(system="trello", base_url="https://api.trello.com/1", profile="p"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="p", organization="o", **target),  # type: ignore[arg-type]
    )


def test_the_estimate_names_every_limit_it_assumed_and_where_it_came_from() -> None:
    est = estimate(_plan(), _inventory())
    named = {(x.side, x.name): x for x in est.limits}
    assert named["target", "requests_per_minute"].calls == 600
    assert named["target", "comments_per_hour"].calls == 120
    assert named["source", "token_requests_per_10_s"].calls == 100
    assert all(x.origin == "documented" for x in est.limits)
    assert "Postman" in named["target", "requests_per_minute"].where
    lines = [w for w in est.duration_why if w.startswith("assumed: ")]
    assert any(line.startswith("assumed: Tallyfy comments_per_hour: 120 an hour (documented: ") for line in lines)


def test_the_plan_picks_the_vendors_other_published_limits_or_names_its_own() -> None:
    # Tallyfy's other published figures: 100 a minute and 1,000 an hour per organization
    org = {(x.name): x for x in limits_in_force(_plan(rate_plan="per-organization")) if x.side == "target"}
    assert org["requests_per_minute"].calls == 100 and org["requests_per_hour"].calls == 1000
    assert "api-support" in org["requests_per_hour"].where
    own = limits_in_force(_plan(rate_limits={"requests_per_minute": 60}))
    mine = next(x for x in own if x.side == "target" and x.name == "requests_per_minute")
    assert (mine.calls, mine.origin, mine.where) == (60, "plan", "plan.toml")
    # 1,000 calls at 600 a minute or at 60 a minute: the plan's figure is the one simulated
    calls = {"items": 1000}
    assert simulate_run(_plan(rate_limits={"requests_per_minute": 60}), _inventory(), calls).duration_s > 8 * 60
    assert simulate_run(_plan(), _inventory(), calls).duration_s < 3 * 60


def test_a_limit_an_earlier_run_learned_is_the_next_estimates() -> None:
    learned = {"target": {"requests_per_minute": {"calls": 100, "seconds": 60, "how": "X-RateLimit-Limit"}}}
    x = next(x for x in limits_in_force(_plan(), learned) if x.name == "requests_per_minute" and x.side == "target")
    assert (x.calls, x.origin, x.where) == (100, "learned", "X-RateLimit-Limit")
    # the plan's own figure wins over what a run saw
    y = next(
        x
        for x in limits_in_force(_plan(rate_limits={"requests_per_minute": 50}), learned)
        if x.name == "requests_per_minute" and x.side == "target"
    )
    assert (y.calls, y.origin) == (50, "plan")


def test_a_plan_or_limit_the_vendor_does_not_have_is_one_sentence() -> None:
    with pytest.raises(PlanError, match="rate_plan = 'gold' is not one of Tallyfy's plans; its plans are: per-user"):
        limits_in_force(_plan(rate_plan="gold"))
    with pytest.raises(PlanError, match=r"names requests_per_fortnight, which Tallyfy does not have; its limits are"):
        limits_in_force(_plan(rate_limits={"requests_per_fortnight": 1}))


def test_the_live_eta_is_the_same_simulation_of_the_work_left() -> None:
    plan, inv = _plan(), _inventory(items=200, comments=600)
    whole = estimate(plan, inv, side_by_side=False).duration_s
    assert eta_s(plan, inv, {}) == pytest.approx(whole, rel=0.01), "nothing done: the estimate itself"
    half = eta_s(plan, inv, {"item": 200, "comment": 300})
    # 300 comments left at 120 an hour: two more hours, not the whole run's four
    assert 2 * 3600 <= half < 2 * 3600 + 120 and half < whole - 3600
    assert eta_s(plan, inv, {"item": 200, "comment": 600}) < 1, "everything written: nothing left"


def test_the_progress_screens_eta_comes_from_the_simulation() -> None:
    clock = [1000.0]
    seen: list[dict[str, int]] = []

    def source(done: dict[str, int]) -> float:
        seen.append(done)
        return 7200.0

    md = EngineModel(clock=lambda: clock[0], eta_source=source)
    md.start({"item": 10, "comment": 30}, {"item": 4})
    assert md.eta() == 7200.0 and seen == [{"item": 4, "comment": 0}]
    clock[0] += 3.0
    assert md.eta() == 7197.0 and len(seen) == 1, "counted down between two simulations"
    clock[0] += 3.0
    md.eta()
    assert len(seen) == 2, "simulated again after ETA_EVERY_S"
