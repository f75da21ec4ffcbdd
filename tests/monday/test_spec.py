"""monday.com registers as a source; the plan's [source.options] pin the API version and pick
the stages, and an option monday.com does not know is one sentence."""

from __future__ import annotations

import pytest

from adapters.monday.source import MondaySource
from wizard import registry
from wizard.errors import PlanError, UserError
from wizard.plan import Limits, Source

URL = "https://api.monday.com/v2"


def connect(preset: str = "", **options: str) -> MondaySource:
    spec = registry.source("monday")
    endpoint = Source(system="monday", base_url=URL, options=options, preset=preset)
    return spec.connect(registry.Connection(endpoint=endpoint, credentials={"token": "t"}, limits=Limits()))


async def test_monday_is_a_registered_source_with_its_sandbox() -> None:
    spec = registry.source("monday")
    assert spec.label == "monday.com" and spec.credential_parts == ("token",)
    assert spec.sandbox is not None and spec.sandbox.api_path == "/v2"


async def test_the_plan_pins_the_api_version() -> None:
    src = connect(api_version="2026-01")
    try:
        assert src.client.http.headers["API-Version"] == "2026-01"
    finally:
        await src.aclose()
    default = connect()
    try:
        assert default.client.http.headers["API-Version"] == "2026-07"
    finally:
        await default.aclose()


def test_an_unknown_option_or_a_malformed_version_is_one_sentence() -> None:
    with pytest.raises(PlanError, match="stage_colum") as err:
        connect(stage_colum="status")
    assert "\n" not in err.value.sentence
    with pytest.raises(UserError, match="not YYYY-MM"):
        connect(api_version="2026-13")


async def test_the_plan_option_sets_the_minute_and_daily_limits_and_the_budget() -> None:
    for plan, minute, day, budget in (("free", 1_000, 1_000, 1_000_000), ("enterprise", 5_000, 25_000, 10_000_000)):
        src = connect(plan=plan)
        try:
            lim = src.client.limiter
            assert [(w.limit, w.period) for w in lim.windows] == [(minute, 60.0), (day, 86_400.0)]
            assert [b.limit for b in lim.budgets] == [budget]
        finally:
            await src.aclose()
    default = connect()
    try:
        assert default.client.plan == "pro" and default.client.limits.day == 10_000
    finally:
        await default.aclose()
    with pytest.raises(UserError, match="plan 'gold' is not one of free, trial"):
        connect(plan="gold")


async def test_the_preset_picks_the_stages_and_stage_column_needs_the_status_preset() -> None:
    assert [p.name for p in registry.source("monday").presets] == ["board", "status_column"]
    board = connect()
    status = connect("status_column")
    named = connect("status_column", stage_column="status9")
    try:
        assert (board.stages, board.stage_column) == ("groups", None)
        assert (status.stages, status.stage_column) == ("status", None)
        assert (named.stages, named.stage_column) == ("status", "status9")
    finally:
        for s in (board, status, named):
            await s.aclose()
    with pytest.raises(PlanError, match="only the status_column preset reads") as err:
        connect(stage_column="status")
    assert "\n" not in err.value.sentence
