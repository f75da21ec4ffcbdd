"""The HTTP layer against a misbehaving vendor: redirects, a slow drip, a huge body, a stop
request during a rate-limit wait (issue 11, item 11)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

import wizard.http as http
from adapters.tallyfy.client import COMMENTS, TallyfyClient
from wizard.errors import VendorDataError
from wizard.http import ApiClient, RecordRejected
from wizard.ratelimit import RateLimiter, StopRequested


class Vendor(ApiClient):
    label = "Vendor"
    redirect_hosts = frozenset({"files.vendor.example"})


def client(handler, **kw) -> Vendor:
    return Vendor(
        "https://api.vendor.example/v1",
        limiter=RateLimiter([(1000, 1.0)]),
        headers={"Authorization": "Bearer secret-token"},
        transport=httpx.MockTransport(handler),
        max_retries=0,
        **kw,
    )


async def test_a_post_redirected_elsewhere_is_not_followed_and_its_body_goes_nowhere() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.vendor.example":
            return httpx.Response(307, headers={"location": "https://evil.example/steal"})
        return httpx.Response(201, json={"id": "forged"})

    c = client(handler)
    with pytest.raises(RecordRejected, match=r"redirected to evil\.example.*not followed") as e:
        await c.json("POST", "comments", json={"text": "private"})
    assert e.value.label == "Vendor"
    assert [r.url.host for r in seen] == ["api.vendor.example"]
    await c.aclose()


async def test_a_get_follows_only_to_the_vendors_hosts_and_without_our_credential() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/file":
            return httpx.Response(302, headers={"location": "https://files.vendor.example/signed/1"})
        if request.url.path == "/v1/elsewhere":
            return httpx.Response(302, headers={"location": "https://evil.example/x"})
        return httpx.Response(200, json={"ok": True})

    c = client(handler)
    assert await c.get("file") == {"ok": True}
    assert seen[-1].url.host == "files.vendor.example" and "authorization" not in seen[-1].headers
    with pytest.raises(RecordRejected, match="not followed"):
        await c.get("elsewhere")
    assert all(r.url.host != "evil.example" for r in seen)
    await c.aclose()


async def test_a_body_past_the_cap_is_one_sentence_not_a_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "MAX_BODY", 1000)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" + b"1," * 5000 + b"1]")

    c = client(handler)
    with pytest.raises(VendorDataError, match="more than 0 MB; stopped reading it"):
        await c.get("big")
    await c.aclose()


async def test_a_slow_drip_cannot_hold_a_request_past_its_deadline() -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        try:
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.1)  # each byte well within the read timeout
        except (ConnectionError, asyncio.CancelledError):
            pass

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    c = Vendor(f"http://127.0.0.1:{port}", limiter=RateLimiter([(1000, 1.0)]), timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(Exception) as e:
        await c.get("slow")
    assert time.monotonic() - started < 3.0, "the whole request was cut at its deadline"
    assert "timeout" in str(e.value).lower() or "timed out" in str(e.value).lower()
    await c.aclose()
    server.close()


async def test_a_stop_request_ends_a_rate_limit_wait_at_once() -> None:
    limiter = RateLimiter([(1, 60.0)])
    limiter.stop = asyncio.Event()
    await limiter.acquire()
    asyncio.get_running_loop().call_later(0.1, limiter.stop.set)
    started = time.monotonic()
    with pytest.raises(StopRequested):
        await limiter.acquire()  # would wait a minute
    assert time.monotonic() - started < 2.0


async def test_a_stop_request_ends_the_wait_for_tallyfys_comment_cap() -> None:
    c = TallyfyClient("http://127.0.0.1:9", "t", "org", hour_seconds=3600.0)
    c.limiter.stop = asyncio.Event()
    c.limiter.pause_bucket(COMMENTS, 3600.0)
    asyncio.get_running_loop().call_later(0.1, c.limiter.stop.set)
    started = time.monotonic()
    with pytest.raises(StopRequested):
        await c._take_bucket(COMMENTS)
    assert time.monotonic() - started < 2.0
    await c.aclose()
