"""Under a sandbox's compressed time Tallyfy's per-minute limit shortens its minute, as the
hourly caps shorten their hour: 600 requests per 60 x scale seconds, so it can bind in a run
of a minute (raised to 600 / scale per 60 s instead, it never could)."""

from __future__ import annotations

import pytest

from adapters.tallyfy.sandbox_limits import SandboxLimits
from adapters.tallyfy.sandbox_rules import ApiError
from adapters.tallyfy.spec import _limits


def test_scaled_limits_shorten_the_minute_not_raise_the_count() -> None:
    assert _limits(0.001) == {"hour_seconds": 3.6, "minute_seconds": 0.06, "per_minute": 600}


def test_the_sandbox_refuses_the_601st_request_of_a_scaled_minute() -> None:
    now = [100.0]
    limits = SandboxLimits(enabled=True, clock=lambda: now[0], **_limits(0.001))
    for _ in range(600):
        limits.hit("u")
    with pytest.raises(ApiError) as refused:
        limits.hit("u")
    assert refused.value.status == 429
    assert float(refused.value.headers["Retry-After"]) <= 0.06  # a part of the scaled minute, not a whole second
    now[0] += 0.061
    limits.hit("u")
