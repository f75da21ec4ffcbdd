"""The estimate knows no vendor: the source's reads are timed by the source's own rate profile
and named in its words, the target's calls, time and risks come from the target's cost model;
both are found through the registry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from wizard.engine.estimate import estimate
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.errors import PlanError
from wizard.plan import Plan, Source, Target
from wizard.registry import AdapterSpec, RateProfile, RateWindow, registered


def _connect(_: Any) -> Any:
    raise AssertionError("the estimate connects to nothing")


TOY_SOURCE = AdapterSpec(
    system="toysrc",
    label="Toy",
    kind="source",
    connect=_connect,
    default_url="http://127.0.0.1:1",
    rate=RateProfile((RateWindow(150, 60.0), RateWindow(5, 3600.0, "exports")), summary="150-per-minute limit"),
    item_noun=("task", "tasks"),
    change_feed=True,  # one change-feed call per container, counted by the estimate
)


class FlatCost:
    """A target whose every call is a write taking one second, with one risk of its own."""

    def target_calls(self, inv: Inventory, plan: Plan) -> dict[str, int]:
        return {"items": inv.total("item")}

    def target_reads(self, inv: Inventory, plan: Plan) -> int:
        return 0

    def duration_s(
        self, inv: Inventory, plan: Plan, calls: dict[str, int], engine_calls_per_s: float
    ) -> tuple[float, list[str]]:
        return float(calls["items"]), [f"{calls['items']} flat calls take one second each"]

    def risks(self, inv: Inventory, plan: Plan) -> list[str]:
        return ["the flat target names its own risk"]


TOY_TARGET = AdapterSpec(
    system="toytgt",
    label="Flat",
    kind="target",
    connect=_connect,
    default_url="http://127.0.0.1:2",
    cost=FlatCost(),
    item_noun=("record", "records"),
)


def _plan(source: str = "toysrc", target: str = "toytgt") -> Plan:
    return Plan.model_construct(
        name="t",
        source=Source.model_construct(system=source, base_url="http://127.0.0.1:1", profile="p", rate_window_scale=1.0),
        target=Target.model_construct(system=target, base_url="http://127.0.0.1:2", profile="p", rate_window_scale=1.0),
        mapping=Plan.model_fields["mapping"].default_factory(),  # type: ignore[misc]
        limits=Plan.model_fields["limits"].default_factory(),  # type: ignore[misc]
    )


def _inventory() -> Inventory:
    c = ContainerInventory(
        key="toysrc:project:p1",
        id="p1",
        name="Project",
        counts={"item": 40},
        template={"key": "toysrc:project:p1", "name": "Project"},
        duplicates=[["toysrc:task:1", "toysrc:task:2"]],
    )
    return Inventory(
        source_system="toysrc", discovered_at="2026-01-01T00:00:00Z", elapsed_s=1, source_calls=899, containers=[c]
    )


def test_the_source_is_timed_by_its_own_rate_profile_and_the_target_by_its_cost_model() -> None:
    with registered(TOY_SOURCE, TOY_TARGET):
        est = estimate(_plan(), _inventory())
    # 899 reads at 150 a minute in a sliding window (the general window, not the export bucket):
    # 150 at once, then 150 more each minute, so the last ones go out after 5 minutes
    reads = next(w for w in est.duration_why if w.startswith("Toy calls: "))
    assert reads.startswith("Toy calls: 899 extract by 5 min 0"), reads
    assert 300 <= est.duration_s <= 303, "the source's reads bound the run; the 40 writes follow the items they read"
    assert est.target_calls == {"items": 40} and est.target_writes == 40
    assert any(w.startswith("Flat calls: 40 items by") for w in est.duration_why)
    assert "40 flat calls take one second each" in est.duration_why, "a cost model's own duration is a floor"
    assert "assumed: Toy requests_per_minute: 150 a minute (documented: Toy's documented limits)" in est.duration_why
    assert est.risks[0] == "the flat target names its own risk"
    assert any("identical tasks" in r and "each task becomes its own record" in r for r in est.risks), est.risks


def test_a_target_without_a_cost_model_is_one_sentence() -> None:
    mute = AdapterSpec(system="mute", label="Mute", kind="target", connect=_connect, default_url="http://x")
    with registered(TOY_SOURCE, mute), pytest.raises(PlanError, match="Mute states no cost model"):
        estimate(_plan(target="mute"), _inventory())


def test_a_source_that_states_no_limit_is_read_as_fast_as_the_engine_sends() -> None:
    free = replace(TOY_SOURCE, label="Free", rate=None)
    with registered(free, TOY_TARGET):
        est = estimate(_plan(), _inventory())
    assert any(w.startswith("Free calls: 899 extract by 3 s") for w in est.duration_why)  # at the engine's 300 a second
    assert not any(w.startswith("assumed: Free") for w in est.duration_why)


def test_a_source_without_a_change_feed_is_estimated_no_change_feed_call() -> None:
    plain = replace(TOY_SOURCE, system="toyplain", change_feed=False)
    with registered(plain, TOY_TARGET):
        est = estimate(_plan("toyplain"), _inventory())
    assert est.source_calls["change cursor"] == 0


def test_a_daily_quota_costs_nothing_until_it_runs_out_then_a_day_each_time() -> None:
    """A day's allowance is spent at the minute's pace; calls past it wait for its reset."""
    daily = replace(
        TOY_SOURCE,
        system="toydaily",
        rate=RateProfile((RateWindow(150, 60.0), RateWindow(500, 86_400.0, quota=True)), summary="limits"),
    )
    with registered(daily, TOY_TARGET):
        est = estimate(_plan("toydaily"), _inventory())
    # 900 calls at 150 a minute: the 500-a-day allowance runs out once, and the rest wait a day
    reads = next(w for w in est.duration_why if w.startswith("Toy calls: "))
    assert reads.startswith("Toy calls: 899 extract by 24 h 0"), reads
    assert any("more than its limit of 500 calls in 24 h 00 min" in r and "1 time(s)" in r for r in est.risks)
    under = replace(daily, rate=RateProfile((RateWindow(150, 60.0), RateWindow(5_000, 86_400.0, quota=True))))
    with registered(under, TOY_TARGET):
        est = estimate(_plan("toydaily"), _inventory())
    assert 300 <= est.duration_s <= 303 and not any("more than its limit" in r for r in est.risks)
