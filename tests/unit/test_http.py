"""The HTTP layer's decisions, on a mock transport (the e2e tests use the real sandboxes)."""

import httpx
import pytest

from wizard.errors import CredentialError, PermissionDenied, SystemUnavailable, VendorDataError
from wizard.events import CountingSink, RequestRetried
from wizard.http import AmbiguousWrite, ApiClient, RecordRejected, parse_retry_after
from wizard.ratelimit import RateLimiter


def client(handler, **kw) -> ApiClient:
    return ApiClient(
        "http://x",
        limiter=RateLimiter([(1000, 1.0)]),
        transport=httpx.MockTransport(handler),
        sink=kw.pop("sink", None),
        max_retries=kw.pop("max_retries", 4),
        **kw,
    )


async def test_retries_429_then_succeeds_honouring_retry_after() -> None:
    n = {"i": 0}

    def handler(req: httpx.Request) -> httpx.Response:
        n["i"] += 1
        if n["i"] < 3:
            return httpx.Response(429, headers={"Retry-After": "0.01"}, json={"message": "slow down"})
        return httpx.Response(200, json={"ok": True})

    sink = CountingSink()
    c = client(handler, sink=sink)
    assert await c.get("thing") == {"ok": True}
    assert c.calls == 3 and sink.count(RequestRetried) == 2


async def test_post_5xx_is_ambiguous_not_retried_blindly() -> None:
    c = client(lambda req: httpx.Response(503))
    with pytest.raises(AmbiguousWrite):
        await c.json("POST", "runs", json={})
    assert c.calls == 1


async def test_get_5xx_exhausts_retries_into_one_sentence() -> None:
    c = client(lambda req: httpx.Response(500), max_retries=2)
    c._wait = lambda state: 0.0  # type: ignore[method-assign]
    with pytest.raises(SystemUnavailable) as e:
        await c.get("x")
    assert "after 2 retries" in e.value.sentence
    assert c.calls == 3


async def test_breaker_opens_after_consecutive_failures() -> None:
    c = client(lambda req: httpx.Response(502), max_retries=50)
    c._wait = lambda state: 0.0  # type: ignore[method-assign]
    with pytest.raises(SystemUnavailable, match="stopped asking"):
        await c.get("x")
    assert c.calls == c.breaker.threshold


@pytest.mark.parametrize(("status", "exc"), [(401, CredentialError), (403, PermissionDenied)])
async def test_auth_errors_are_user_errors(status: int, exc: type) -> None:
    c = client(lambda req: httpx.Response(status, json={"message": "nope"}))
    with pytest.raises(exc) as e:
        await c.get("x")
    assert "nope" in e.value.sentence


async def test_validation_error_is_record_level() -> None:
    c = client(
        lambda req: httpx.Response(
            422, json={"message": "The given data was invalid.", "errors": {"title": ["required"]}}
        )
    )
    with pytest.raises(RecordRejected) as e:
        await c.json("POST", "x", json={})
    assert e.value.status == 422 and c.calls == 1


async def test_non_json_body_is_vendor_data_error() -> None:
    c = client(lambda req: httpx.Response(200, content=b"<html>"))
    with pytest.raises(VendorDataError, match="not JSON"):
        await c.get("x")


def test_retry_after_forms() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
