"""The Trello HTTP client: the OAuth header on every request (so the token never lands in
a URL that a proxy or a log could keep), the documented rate limits corrected by Trello's
x-rate-limit-* headers, 429 handling without Retry-After, and resumable downloads."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from wizard.errors import CredentialError, PermissionDenied
from wizard.http import ApiClient, ObjectUnavailable, RecordRejected, _message
from wizard.ratelimit import RateLimiter, Window

WINDOW_S = 10.0
MEMBERS_WINDOW_S = 900.0
MEMBERS_BUCKET = "members"


class TrelloClient(ApiClient):
    system = "trello"
    label = "Trello"
    # Where Trello sends a GET (a file's download answers 302 to its storage): nowhere else.
    redirect_hosts = frozenset({"api.trello.com", "trello.com", "trello-attachments.s3.amazonaws.com"})

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

    # -- downloads -----------------------------------------------------------------------
    async def download(
        self, path: str, chunk_size: int = 64 * 1024, *, size: int | None = None, mime_type: str | None = None
    ) -> AsyncIterator[bytes]:
        """Stream a file. A transient failure mid-stream restarts the request (asking for
        the rest with Range, skipping what was already delivered if the server ignores it),
        so the caller sees every byte exactly once. With the declared `size` (and type), a
        body that is longer, shorter or of another type is refused (RecordRejected)."""
        delivered = 0
        attempt = 0
        while True:
            await self.limiter.acquire()
            self.calls += 1
            route = "GET /cards/{id}/attachments/{id}/download/{fileName}"
            self.calls_by_route[route] = self.calls_by_route.get(route, 0) + 1
            headers = {"Range": f"bytes={delivered}-"} if delivered else {}
            failure: str | None = None
            wait: float | None = None
            try:
                async with contextlib.aclosing(await self._send("GET", path, stream=True, headers=headers)) as resp:
                    self.read_rate_headers(resp)
                    status = resp.status_code
                    if status == 429:
                        await resp.aread()
                        reason, wait = self.classify_429(resp)
                        self.limiter.pause(wait, reason)
                        failure = reason
                    elif status >= 500:
                        failure = f"HTTP {status}"
                        self._trip(failure, path)
                    elif status >= 400:
                        await resp.aread()
                        self._raise_for(status, resp, path)
                    else:
                        _check_type(resp, mime_type)
                        skip = delivered if status == 200 else 0
                        async for chunk in resp.aiter_bytes(chunk_size):
                            if skip:
                                cut = min(skip, len(chunk))
                                chunk, skip = chunk[cut:], skip - cut
                                if not chunk:
                                    continue
                            delivered += len(chunk)
                            if size is not None and delivered > size:
                                raise RecordRejected(
                                    status, f"Trello sent more than the {size} bytes it declared for this file"
                                )
                            yield chunk
                        if size is not None and delivered != size:
                            raise RecordRejected(
                                status, f"Trello sent {delivered} of the {size} bytes it declared for this file"
                            )
                        self.breaker.success()
                        return
            except (httpx.TransportError, TimeoutError) as e:
                failure = f"{type(e).__name__} while downloading"
                self._trip(failure, path)
            attempt += 1
            if attempt > self.max_retries:
                raise ObjectUnavailable(
                    f"Trello kept failing on its download after {self.max_retries} retries "
                    f"({failure}); running the same command again retries it"
                )
            self.retries += 1
            if wait is None:
                await self.limiter.sleep(min(30.0, 0.2 * 2 ** (attempt - 1)) * (0.5 + random.random()))

    def _raise_for(self, status: int, resp: httpx.Response, path: str) -> None:
        if status == 401:
            raise CredentialError(
                f"Trello refused the credential of profile '{self.profile}' for a download "
                f"(401: {_message(resp)}); give new credentials and run the command again to resume."
            )
        if status == 403:
            raise PermissionDenied(
                f"Trello denied access to {path} (403: {_message(resp)}); the account needs that permission."
            )
        raise RecordRejected(status, _message(resp), self.label)


_ANY_TYPE = ("application/octet-stream", "binary/octet-stream", "")


def _check_type(resp: httpx.Response, declared: str | None) -> None:
    """A file declared as one type must not arrive as another (a generic binary type is
    no claim either way)."""
    got = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    want = (declared or "").split(";", 1)[0].strip().lower()
    if want not in _ANY_TYPE and got not in _ANY_TYPE and got != want:
        raise RecordRejected(resp.status_code, f"Trello sent a {got} body for a file it declared as {want}")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
