"""The Process Street HTTP client: the API key as `X-API-Key` on every API request (never on a
file's link, which is signed for the file host), lists followed by the `_` cursor of their
`next` link 20 records at a time, 402 PaymentRequired read as the plan limit it names, and a
rate limit Process Street does not publish: the client starts at an assumed rate and, at each
429 (errorCode RateLimited, with Retry-After), waits as asked and slows down to what the 429
showed the account allows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from adapters.processstreet.spec import ASSUMED_PER_MINUTE
from wizard import paging
from wizard.errors import UserError, VendorDataError
from wizard.events import LogLine, RequestRetried
from wizard.http import ApiClient, Transient
from wizard.plan import is_loopback
from wizard.ratelimit import RateLimiter
from wizard.redact import redact, register

WINDOW_S = 60.0
FLOOR_PER_MINUTE = 60  # never assumed slower than this: one 429 in a burst says little
SLOWDOWN = 0.8  # after a 429, the window holds this share of what it held when the 429 came
# A 429 is Process Street asking us to wait ("wait for the duration specified in the Retry-After
# header before retrying"), not a failure: it is waited out this often in a row before it counts
# as one of the request's retries.
RATE_LIMITED_IN_A_ROW = 12
# Where a file link may lead: Process Street's own hosts. The public API does not say where
# file bytes live (reference §S2: "expect a link to a signed URL"), so only these are followed.
FILE_HOST = re.compile(r"([a-z0-9-]+\.)*process\.st")


@dataclass
class NextLink(paging.Paginator):
    """Process Street's pages: the answer's `links[]` holds `name: "next"` while more remain;
    its href carries the opaque `_` cursor, which is sent to our own base URL (the href's host
    is never trusted with the key)."""

    records_path: str | None = None

    def next(self, body: Any, records: list[Any], sent: paging.Params) -> paging.Params | None:
        links = body.get("links") if isinstance(body, dict) else None
        href = next(
            (x.get("href") for x in links or [] if isinstance(x, dict) and x.get("name") == "next"),
            None,
        )
        if not isinstance(href, str) or not href:
            return None
        cursor = parse_qs(urlsplit(href).query).get("_", [""])[0]
        if not cursor:
            raise VendorDataError("Process Street sent a 'next' link without its '_' cursor.")
        return {"_": cursor}


class PlanLimit(UserError):
    """402 PaymentRequired: the account's plan does not allow what was asked."""


class ProcessStreetClient(ApiClient):
    system = "processstreet"
    label = "Process Street"
    count_at_answer = True  # its limit is unpublished and learned at the edge (ApiClient)

    def __init__(self, base_url: str, key: str, *, window_scale: float = 1.0, **kw: Any) -> None:
        limiter = RateLimiter([(ASSUMED_PER_MINUTE, WINDOW_S * window_scale)])
        register(key)
        headers = {"X-API-Key": key, "Accept": "application/json"}
        super().__init__(base_url, limiter=limiter, headers=headers, **kw)
        self.learned_per_minute: int | None = None  # None: still the assumed rate

    # -- limits --------------------------------------------------------------------------
    def classify_429(self, resp: httpx.Response) -> tuple[str, float]:
        """Wait as Retry-After asks; and since the limit is unpublished, take the 429 as what
        the account allows: the window holds a share of what it held when the 429 came."""
        reason, wait = super().classify_429(resp)
        window = self.limiter.windows[0]
        window.wait_time(self.limiter.clock())  # drop what has left the window
        held = len(window.sent)
        learned = max(FLOOR_PER_MINUTE, int(held * SLOWDOWN))
        if learned < window.limit:
            window.limit = learned
            self.learned_per_minute = learned
            self.limiter.learn(
                "requests_per_minute", learned, window.period, f"Process Street's 429 after {held} calls"
            )
            self.sink.emit(
                LogLine(
                    "info",
                    f"Process Street answered 429 after {held} calls in its window: "
                    f"slowing to {learned} calls a minute (it publishes no limit).",
                )
            )
        return reason, wait

    async def _send_once(
        self, method: str, path: str, buckets: tuple[str, ...], idempotent: bool, weight: float = 1.0, **kw: Any
    ) -> httpx.Response:
        for attempt in range(1, RATE_LIMITED_IN_A_ROW + 1):
            try:
                return await super()._send_once(method, path, buckets, idempotent, weight, **kw)
            except Transient as e:
                if e.status != 429 or attempt == RATE_LIMITED_IN_A_ROW:
                    raise
                self.retries += 1  # the limiter is paused for its Retry-After already
                self.sink.emit(RequestRetried(self.system, attempt, str(e)))
        raise AssertionError("unreachable")  # pragma: no cover

    def read_rate_headers(self, resp: httpx.Response) -> None:
        if resp.status_code == 402:  # before the generic 4xx: the plan's limit is one sentence
            raise PlanLimit(
                f"Process Street's plan does not allow {resp.request.url.path} (402 PaymentRequired: "
                f"{_payment_details(resp)}); upgrade the plan or leave that out, then run the command again."
            )

    # -- reading -------------------------------------------------------------------------
    async def pages(self, path: str, key: str, **params: Any) -> AsyncIterator[list[Any]]:
        """Every page of a list, its records under `key` (`workflows`, `tasks`, `data`...)."""

        async def fetch(p: dict[str, Any]) -> Any:
            return await self.get(path, **params, **p)

        async for page in paging.pages(fetch, NextLink(records_path=key), what=path, label=self.label):
            yield page

    async def all(self, path: str, key: str, **params: Any) -> list[Any]:
        out: list[Any] = []
        async for page in self.pages(path, key, **params):
            out += page
        return out

    # -- files ---------------------------------------------------------------------------
    def redirect_allowed(self, url: httpx.URL) -> bool:
        """Process Street's hosts over https; against a sandbox on this machine, its file host there."""
        if super().redirect_allowed(url):
            return True
        if url.scheme == "https" and FILE_HOST.fullmatch(url.host or ""):
            return True
        return is_loopback(self.base_url) and is_loopback(str(url))

    def download_file(self, url: str, *, size: int | None, mime_type: str | None) -> AsyncIterator[bytes]:
        """A file's bytes from the `file` link its record gave (no key goes with it)."""
        return self.download(url, size=size, mime_type=mime_type, route="GET file link")


def _payment_details(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return redact(resp.text[:200]) or "no details"
    if not isinstance(body, dict):
        return "no details"
    said = str(body.get("error") or "")
    details = body.get("details")
    if isinstance(details, dict) and details:
        said += (": " if said else "") + "; ".join(f"{k}: {v}" for k, v in details.items())
    return redact(said[:300]) or "no details"
