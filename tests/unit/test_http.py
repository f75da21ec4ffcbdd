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


class _Storage(ApiClient):
    redirect_hosts = frozenset({"files.example.com"})


async def test_a_signed_storage_link_is_downloaded_without_our_credential() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, content=b"abc", headers={"content-type": "text/plain"})

    c = _Storage(
        "https://api.example.com",
        limiter=RateLimiter([(1000, 1.0)]),
        transport=httpx.MockTransport(handler),
        headers={"Authorization": "Bearer secret-token"},
    )
    got = b"".join([b async for b in c.download("https://files.example.com/f?sig=1", size=3)])
    assert got == b"abc" and "authorization" not in seen[0].headers
    assert c.calls_by_route == {"GET files.example.com": 1}
    with pytest.raises(RecordRejected, match="not one of"):
        [b async for b in c.download("https://elsewhere.example.org/f")]
    assert len(seen) == 1
    await c.aclose()


async def test_a_resumed_download_that_starts_before_the_asked_byte_skips_the_overlap() -> None:
    data = bytes(range(256)) * 400
    seen: list[httpx.Request] = []

    class Cut(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield data[:70_000]
            raise httpx.ReadError("connection reset")

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if len(seen) == 1:
            return httpx.Response(200, stream=Cut())
        return httpx.Response(206, content=data[60_000:], headers={"content-range": f"bytes 60000-{len(data) - 1}/*"})

    c = client(handler)
    got = b"".join([b async for b in c.download("files/1", size=len(data))])
    assert got == data, "every byte once, what the server sent again skipped"
    assert seen[1].headers["range"] == "bytes=65536-"  # one 64 KiB chunk was delivered before the cut
    await c.aclose()
