"""The ClickUp client against its sandbox: the plan's limit read from X-RateLimit-Limit, a
429 waited out until X-RateLimit-Reset (ClickUp sends no Retry-After), a spent window
(X-RateLimit-Remaining: 0) waited out before the next call, and the token sent raw."""

from __future__ import annotations

import time

from adapters.clickup.client import ClickUpClient
from adapters.clickup.sandbox import ClickUpSandbox
from adapters.clickup.spec import SANDBOX_CREDENTIALS
from adapters.sandboxkit import SandboxServer
from wizard.events import CountingSink, RequestRetried

TOKEN = SANDBOX_CREDENTIALS["token"]


async def test_the_plans_limit_is_read_from_the_headers() -> None:
    with SandboxServer(ClickUpSandbox(seed=1, plan="business_plus")) as srv:
        client = ClickUpClient(srv.url + "/api", TOKEN)
        try:
            assert client.limiter.windows[0].limit == 100  # the safe limit until ClickUp says
            await client.get("v2/user")
            assert client.plan_limit == 1_000 and client.limiter.windows[0].limit == 1_000
        finally:
            await client.aclose()


async def test_a_429_is_waited_out_until_its_reset() -> None:
    sb = ClickUpSandbox(seed=1, window_scale=0.02)  # 100 calls in 1.2 s
    sink = CountingSink()
    with SandboxServer(sb) as srv:
        client = ClickUpClient(srv.url + "/api", TOKEN, sink=sink, max_retries=3)
        try:
            sb.limits.window[TOKEN] = (time.time(), 100)  # spent elsewhere: the next call gets the 429
            reset = float(sb.limits.headers(TOKEN)["X-RateLimit-Reset"])
            await client.get("v2/user")
            answered = time.time()
        finally:
            await client.aclose()
    assert sb.limits.rejected == 1
    assert [e.reason for e in sink.events if isinstance(e, RequestRetried)] == [
        "429 ClickUp's limit of 100 requests a minute per token"
    ]
    assert answered >= reset, "the retry waited for the reset ClickUp named"


async def test_a_spent_window_is_waited_out_before_the_next_call() -> None:
    sb = ClickUpSandbox(seed=1, window_scale=0.02)  # 100 calls in 1.2 s
    with SandboxServer(sb) as srv:
        client = ClickUpClient(srv.url + "/api", TOKEN, window_scale=1.0)
        try:
            sb.limits.window[TOKEN] = (time.time(), 99)  # someone else spent the window
            await client.get("v2/user")  # the 100th: answered, with Remaining 0
            await client.get("v2/user")  # waits for the reset instead of meeting a 429
        finally:
            await client.aclose()
    assert sb.limits.rejected == 0


async def test_the_personal_token_goes_raw_and_an_oauth_token_as_bearer() -> None:
    assert ClickUpClient("https://api.clickup.com/api", "pk_1_ABC").http.headers["authorization"] == "pk_1_ABC"
    oauth = ClickUpClient("https://api.clickup.com/api", "42_OAUTHTOKEN")
    assert oauth.http.headers["authorization"] == "Bearer 42_OAUTHTOKEN"
