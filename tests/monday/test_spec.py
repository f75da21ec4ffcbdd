"""monday.com registers as a source; the plan's [source.options] pin the API version and pick
the stages, and an option monday.com does not know is one sentence."""

from __future__ import annotations

import pytest

from adapters.monday.source import MondaySource
from wizard import registry
from wizard.errors import PlanError, UserError
from wizard.plan import Limits, Source

URL = "https://api.monday.com/v2"


def connect(**options: str) -> MondaySource:
    spec = registry.source("monday")
    endpoint = Source(system="monday", base_url=URL, options=options)
    return spec.connect(registry.Connection(endpoint=endpoint, credentials={"token": "t"}, limits=Limits()))


async def test_monday_is_a_registered_source_with_its_sandbox() -> None:
    spec = registry.source("monday")
    assert spec.label == "monday.com" and spec.credential_parts == ("token",)
    assert spec.sandbox is not None and spec.sandbox.api_path == "/v2"


async def test_the_plan_pins_the_api_version() -> None:
    src = connect(api_version="2026-01", stage_column="status")
    try:
        assert src.client.http.headers["API-Version"] == "2026-01" and src.stage_column == "status"
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
