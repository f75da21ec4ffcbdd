"""The Trello HTTP client: the OAuth header on every request (so the token never lands in
a URL that a proxy or a log could keep), the documented rate limits corrected by Trello's
x-rate-limit-* headers and 429 handling without Retry-After (downloads, with resume, are
ApiClient's)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from wizard.http import ApiClient, _message
from wizard.ratelimit import RateLimiter, Window

WINDOW_S = 10.0
MEMBERS_WINDOW_S = 900.0
MEMBERS_BUCKET = "members"


class TrelloClient(ApiClient):
    system = "trello"
    label = "Trello"
    # Where Trello sends a GET (a file's download answers 302 to its storage): nowhere else.
    redirect_hosts = frozenset({"api.trello.com", "trello.com", "trello-attachments.s3.amazonaws.com"})
    download_route = "GET /cards/{id}/attachments/{id}/download/{fileName}"

    def __init__(self, base_url: str, key: str, token: str, *, window_scale: float = 1.0, **kw: Any) -> None:
        limiter = RateLimiter(
            [(100, WINDOW_S * window_scale), (300, WINDOW_S * window_scale)],
            {MEMBERS_BUCKET: [(100, MEMBERS_WINDOW_S * window_scale)]},
        )
        headers = {
            "Authorization": f'OAuth oauth_consumer_key="{key}", oauth_token="{token}"',
            "Accept": "application/json",
        }
        super().__init__(base_url, limiter=limiter, headers=headers, **kw)
        self.window_scale = window_scale
        self.token = token  # webhooks belong to the token (GET /tokens/{token}/webhooks)
        self._windows: dict[str, Window] = {"token": limiter.windows[0], "key": limiter.windows[1]}
        self._window_start: dict[str, float] = {}
        self.rate_limited = 0

    # -- rate limits ---------------------------------------------------------------------
    def read_rate_headers(self, resp: httpx.Response) -> None:
        """Learn Trello's real windows from its headers and stop when one is spent."""
        now = time.monotonic()
        for who, window in self._windows.items():
            mx = _int(resp.headers.get(f"x-rate-limit-api-{who}-max"))
            rem = _int(resp.headers.get(f"x-rate-limit-api-{who}-remaining"))
            interval = _int(resp.headers.get(f"x-rate-limit-api-{who}-interval-ms"))
            if mx is None or rem is None or not interval:
                continue
            if window.limit != mx or abs(window.period - interval / 1000) > 1e-9:
                window.limit, window.period = mx, interval / 1000
            if rem >= mx - 1:
                self._window_start[who] = now  # the first request of a fresh window
            if rem <= 0:
                self.limiter.observe_remaining(
                    rem,
                    self._rest_of_window(who, now),
                    f"Trello's per-{who} limit of {mx} requests per {interval / 1000:g} s",
                )

    def _rest_of_window(self, who: str, now: float) -> float:
        """Trello sends no Retry-After: the window ends `interval` after it started. When we
        did not see it start, wait a whole interval, which always clears it."""
        period = self._windows[who].period
        start = self._window_start.get(who)
        if start is None or now - start >= period:
            return period
        return max(0.05 * period, start + period - now)

    def classify_429(self, resp: httpx.Response) -> tuple[str, float]:
        self.rate_limited += 1
        try:
            code = str(resp.json().get("error", ""))
        except (ValueError, AttributeError):
            code = ""
        now = time.monotonic()
        if code == "MEMBER_LIMIT_EXCEEDED":
            self.limiter.pause_bucket(MEMBERS_BUCKET, MEMBERS_WINDOW_S * self.window_scale)
            return "429 MEMBER_LIMIT_EXCEEDED (100 /members requests per 900 s)", 0.0
        who = "key" if code == "API_KEY_LIMIT_EXCEEDED" else "token"
        return f"429 {code or _message(resp)}", self._rest_of_window(who, now)

    # -- helpers -------------------------------------------------------------------------
    async def get_member(self, member: str = "me", **params: Any) -> Any:
        """/members/{id} counts against the 100 per 900 s members limit."""
        return await self.json(
            "GET",
            f"members/{member}",
            buckets=(MEMBERS_BUCKET,),
            params={k: v for k, v in params.items() if v is not None},
        )

    async def batch(self, urls: list[str]) -> list[tuple[int, Any]]:
        """GET /batch for up to 10 GET routes; each sub-request counts against the limits."""
        if not 0 < len(urls) <= 10:
            raise ValueError("Trello's /batch takes between 1 and 10 routes")
        for _ in urls[1:]:
            await self.limiter.acquire()
        body = await self.get("batch", urls=",".join(urls))
        out: list[tuple[int, Any]] = []
        for entry in body:
            ((status, value),) = entry.items()
            out.append((int(status), value))
        return out


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
