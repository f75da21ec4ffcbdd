"""The ClickUp HTTP client: a personal token (`pk_…`) sent raw in `Authorization` (no scheme;
an OAuth token goes as `Bearer …`), the per-minute limit of the Workspace's plan read from
`X-RateLimit-Limit` on every answer (100, 1,000 or 10,000), a spent window (`X-RateLimit-
Remaining: 0`) and a 429 both waited out until `X-RateLimit-Reset` (a Unix timestamp; ClickUp
sends no Retry-After), task pages from page 0 until `last_page`, comments 25 a call paged by
the last one's `start` and `start_id`, and files from ClickUp's attachment host."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from wizard import paging
from wizard.errors import SystemUnavailable, VendorDataError
from wizard.events import RequestRetried
from wizard.http import ApiClient
from wizard.plan import is_loopback
from wizard.ratelimit import RateLimiter

WINDOW_S = 60.0
PER_MINUTE = 100  # until ClickUp's headers say the plan's own
TASK_PAGE = 100
COMMENT_PAGE = 25
RATE_LIMIT_ROUNDS = 4  # a request answered nothing but 429s gets this many rounds of retries
_REFUSED = ContextVar("clickup_429s", default=0)  # 429s met by the calls of this task (one request's own)
ATTACHMENT_HOST = "clickup-attachments.com"  # t<team>.p.clickup-attachments.com


@dataclass
class LastPage(paging.Paginator):
    """ClickUp's task pages: `page` from 0, until the answer says `last_page` (a listing that
    does not say it ends on a short page)."""

    size: int = TASK_PAGE
    records_path: str | None = "tasks"

    def first(self) -> paging.Params:
        return {"page": 0}

    def next(self, body: Any, records: list[Any], sent: paging.Params) -> paging.Params | None:
        last = body.get("last_page") if isinstance(body, dict) else None
        if last is True or (last is None and len(records) < self.size):
            return None
        return {"page": int(sent["page"]) + 1}


@dataclass
class StartId(paging.Paginator):
    """ClickUp's comments, newest first, 25 a call: the next call names the last comment of
    this one by its `date` (`start`) and `id` (`start_id`)."""

    size: int = COMMENT_PAGE
    records_path: str | None = "comments"

    def next(self, body: Any, records: list[Any], sent: paging.Params) -> paging.Params | None:
        if len(records) < self.size:
            return None
        last = records[-1]
        if not isinstance(last, dict) or not last.get("id") or not last.get("date"):
            raise VendorDataError("ClickUp answered a page of comments whose last one has no id or date.")
        return {"start": str(last["date"]), "start_id": str(last["id"])}


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


class ClickUpClient(ApiClient):
    system = "clickup"
    label = "ClickUp"
    download_route = "GET attachment"

    def __init__(self, base_url: str, token: str, *, window_scale: float = 1.0, **kw: Any) -> None:
        self.window_s = WINDOW_S * window_scale
        limiter = RateLimiter([(PER_MINUTE, self.window_s)])
        # a personal token goes raw; an OAuth access token as Bearer
        auth = token if token.startswith("pk_") or token.lower().startswith("bearer ") else f"Bearer {token}"
        super().__init__(base_url, limiter=limiter, headers={"Authorization": auth, "Accept": "application/json"}, **kw)
        self.plan_limit: int | None = None  # requests a minute, as ClickUp's headers say
        self.rate_limited = 0  # 429s answered

    # -- limits ------------------------------------------------------------------------------
    def _reset_in(self, resp: httpx.Response) -> float:
        """Seconds until `X-RateLimit-Reset`, never more than a window (a clock far from
        ClickUp's must not make us wait for hours) and never nothing."""
        reset = _number(resp.headers.get("x-ratelimit-reset"))
        wait = self.window_s if reset is None else reset - time.time()
        return min(max(wait, 0.001), self.window_s)

    def read_rate_headers(self, resp: httpx.Response) -> None:
        limit = _number(resp.headers.get("x-ratelimit-limit"))
        if limit and limit >= 1 and int(limit) != self.plan_limit:
            self.plan_limit = int(limit)  # the Workspace's plan: 100, 1,000 or 10,000 a minute
            self.limiter.windows[0].limit = self.plan_limit
            self.limiter.learn("requests_per_minute", self.plan_limit, self.window_s, "X-RateLimit-Limit from ClickUp")
        remaining = _number(resp.headers.get("x-ratelimit-remaining"))
        if remaining is not None and remaining <= 0 and resp.status_code != 429:
            self.limiter.observe_remaining(0, self._reset_in(resp), self._why())

    def classify_429(self, resp: httpx.Response) -> tuple[str, float]:
        self.rate_limited += 1
        _REFUSED.set(_REFUSED.get() + 1)
        return f"429 {self._why()}", self._reset_in(resp)

    async def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One call, retried while transient; a call refused by nothing but 429s gets more
        rounds of retries than one that failed: ClickUp's 429 says when its window resets,
        and waiting for that is no failure (bounded all the same)."""
        for round_ in range(RATE_LIMIT_ROUNDS):
            before = _REFUSED.get()
            try:
                return await super().request(method, path, **kw)
            except SystemUnavailable:
                if _REFUSED.get() - before < self.max_retries + 1 or round_ == RATE_LIMIT_ROUNDS - 1:
                    raise
                self.retries += 1
                self.sink.emit(RequestRetried(self.system, (round_ + 1) * (self.max_retries + 1), f"429 {self._why()}"))
        raise AssertionError("unreachable")  # pragma: no cover

    def _why(self) -> str:
        return f"ClickUp's limit of {self.plan_limit or PER_MINUTE} requests a minute per token"

    # -- reading -----------------------------------------------------------------------------
    async def tasks(self, list_id: str, **params: Any) -> AsyncIterator[list[Any]]:
        """Every page of a list's tasks (100 a page)."""

        async def fetch(p: paging.Params) -> Any:
            return await self.get(f"v2/list/{list_id}/task", **params, **p)

        async for page in paging.pages(fetch, LastPage(), what=f"the tasks of list {list_id}", label=self.label):
            yield page

    def comments(self, task_id: str) -> AsyncIterator[Any]:
        """Every comment of a task, newest first."""
        return self.paginate(f"v2/task/{task_id}/comment", StartId(), what=f"the comments of task {task_id}")

    async def envelope(self, path: str, key: str, **params: Any) -> list[Any]:
        """A listing in its named envelope (`{"spaces": [...]}`)."""
        body = await self.get(path, **params)
        found = body.get(key) if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise VendorDataError(f"ClickUp answered {path} without its '{key}' list.")
        return found

    async def record(self, path: str, **params: Any) -> dict[str, Any]:
        body = await self.get(path, **params)
        if not isinstance(body, dict):
            raise VendorDataError(f"ClickUp answered {path} with something that is not an object.")
        return body

    # -- files -------------------------------------------------------------------------------
    def redirect_allowed(self, url: httpx.URL) -> bool:
        """ClickUp's attachment host, and, against a sandbox on this machine, its file host there."""
        if super().redirect_allowed(url):
            return True
        host = url.host or ""
        if url.scheme == "https" and (host == ATTACHMENT_HOST or host.endswith("." + ATTACHMENT_HOST)):
            return True
        return is_loopback(self.base_url) and is_loopback(str(url))
