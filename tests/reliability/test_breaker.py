"""The circuit breaker stops hammering: once open, no request reaches the vendor."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from wizard.errors import SystemUnavailable
from wizard.events import CircuitOpened, CountingSink
from wizard.http import ApiClient, CircuitBreaker
from wizard.ratelimit import RateLimiter


async def test_an_open_breaker_sends_nothing_more_and_says_so_once() -> None:
    sent = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        return httpx.Response(503, json={"message": "Service Unavailable"})

    sink = CountingSink()
    client = ApiClient(
        "http://vendor.test",
        limiter=RateLimiter([(10_000, 1.0)]),
        sink=sink,
        max_retries=0,
        transport=httpx.MockTransport(answer),
    )
    client.label = "Vendor"
    try:
        results = await asyncio.gather(
            *(client.request("POST", f"things/{i}", idempotent=True) for i in range(60)), return_exceptions=True
        )
        assert all(isinstance(r, SystemUnavailable) for r in results)
        assert sent == client.breaker.threshold, f"{sent} requests reached a vendor that is down"
        with pytest.raises(SystemUnavailable, match="stopped asking"):
            await client.request("GET", "more")
        assert sent == client.breaker.threshold
        assert sink.count(CircuitOpened) == 1
    finally:
        await client.aclose()


def test_the_breaker_half_opens_after_its_cooldown() -> None:
    now = [0.0]
    b = CircuitBreaker(threshold=3, cooldown=30, clock=lambda: now[0])
    assert [b.failure("x") for _ in range(3)] == [False, False, True]
    assert b.is_open
    now[0] = 31
    assert not b.is_open  # one call may try again
    assert b.failure("x") is True  # and a failure opens it for another cooldown
    now[0] = 62
    b.success()
    assert not b.is_open and b.failures == 0


def test_one_objects_retries_count_once_the_vendors_failures_in_a_row_each() -> None:
    b = CircuitBreaker(threshold=3, cooldown=30, clock=lambda: 0.0)
    assert [b.failure("503", "GET file/1") for _ in range(10)] == [False] * 10  # one bad file, retried
    assert b.failures == 1
    assert [b.failure("503", f"GET file/{i}") for i in (2, 3)] == [False, True]  # the vendor, failing on each
