"""The Asana HTTP client: a personal access token as `Authorization: Bearer` on every API
request (and never on a file's download URL, which is signed for its storage host), the
per-minute limit of the account's plan (150 free, 1,500 paid, detected from whether the
premium-only search answers or 402s), 429s with Retry-After (the cost limit's come without
warning), offset pagination, `POST /batch` (up to 10 GETs, each counted against the limit),
the Events API's 412 and sync token, and downloads that fetch a fresh `download_url` just
before they start and again after the storage host's 403 for an expired one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from wizard import paging
from wizard.errors import PermissionDenied, VendorDataError
from wizard.http import ApiClient, RecordRejected
from wizard.plan import is_loopback
from wizard.ratelimit import RateLimiter

WINDOW_S = 60.0
PER_MINUTE = {"free": 150, "paid": 1_500}
PAGE = 100
BATCH_MAX = 10
URL_REFRESHES = 3  # a download URL that expired before the bytes came: fetched again this often
OFFSET_PAGES = paging.Cursor(token_path="next_page.offset", param="offset", limit=PAGE, records_path="data")
STORAGE_HOST = re.compile(r"asana-user-private-[a-z0-9-]+\.s3(\.[a-z0-9-]+)?\.amazonaws\.com")


class AsanaClient(ApiClient):
    system = "asana"
    label = "Asana"
    # A file's download_url points at Asana's storage (S3, see redirect_allowed): a bare
    # request, without our token (S3 refuses a request that carries two credentials).
    redirect_hosts = frozenset({"app.asana.com"})

    def __init__(self, base_url: str, token: str, *, tier: str = "free", window_scale: float = 1.0, **kw: Any) -> None:
        # A budget, not a window: a batch of N actions counts as N requests, as Asana counts it.
        limiter = RateLimiter([], budgets=[(PER_MINUTE[tier], WINDOW_S * window_scale)])
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        super().__init__(base_url, limiter=limiter, headers=headers, **kw)
        self.tier = tier
        self.window_scale = window_scale
        self.batch_actions = 0  # what the batches carried: Asana counts each against the limit

    def set_tier(self, tier: str) -> None:
        """The plan is known (detected or chosen): its per-minute limit binds from now on."""
        self.tier = tier
        self.limiter.budgets[0].limit = PER_MINUTE[tier]

    # -- reading -------------------------------------------------------------------------
    async def data(self, path: str, **params: Any) -> Any:
        """The `data` of one answer."""
        body = await self.get(path, **params)
        if not isinstance(body, dict) or "data" not in body:
            raise VendorDataError(f"Asana answered {path} without its 'data' envelope.")
        return body["data"]

    async def pages(self, path: str, *, start: str | None = None, **params: Any) -> AsyncIterator[list[Any]]:
        """Every page of a list, 100 at a time, following `next_page.offset` to its null
        (from the offset `start`, when a batch already brought the first page)."""
        sent_start = False

        async def fetch(p: dict[str, Any]) -> Any:
            nonlocal sent_start
            if start and not sent_start:
                p = {**p, "offset": start}
            sent_start = True
            return await self.get(path, **params, **p)

        async for page in paging.pages(fetch, OFFSET_PAGES, what=path, label=self.label):
            yield page

    async def batch(self, actions: list[dict[str, Any]]) -> list[tuple[int, Any]]:
        """POST /batch with up to 10 GET actions; each counts against the limit, as Asana
        counts them. Answers (status, body) in the order asked."""
        if not 0 < len(actions) <= BATCH_MAX:
            raise ValueError("Asana's /batch takes between 1 and 10 actions")
        self.batch_actions += len(actions)
        body = await self.json(
            "POST", "batch", json={"data": {"actions": actions}}, idempotent=True, weight=len(actions)
        )
        results = body.get("data") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(actions):
            raise VendorDataError("Asana answered a batch with something other than one result per action.")
        out: list[tuple[int, Any]] = []
        for r in results:
            if not isinstance(r, dict) or not isinstance(r.get("status_code"), int):
                raise VendorDataError("Asana answered a batch action without its status code.")
            out.append((r["status_code"], r.get("body")))
        return out

    async def events(self, resource: str, sync: str | None) -> tuple[list[Any], str, bool] | str:
        """One call to the Events API: (events, next sync token, has_more), or the fresh sync
        token alone when Asana answers 412 (no token yet, or one too old)."""
        params = {"resource": resource, **({"sync": sync} if sync else {})}
        for attempt in range(self.max_retries + 1):
            await self.limiter.acquire()
            self.calls += 1
            self.calls_by_route["GET /events"] = self.calls_by_route.get("GET /events", 0) + 1
            try:
                resp = await self._send("GET", "events", params=params)
            except (httpx.TransportError, TimeoutError):
                await self.limiter.sleep(min(30.0, 0.2 * 2**attempt))
                continue
            if resp.status_code == 412:
                token = _json(resp).get("sync")
                if not isinstance(token, str) or not token:
                    raise VendorDataError("Asana answered the Events API's 412 without a sync token.")
                return token
            if resp.status_code == 429 or resp.status_code >= 500:
                reason, wait = self.classify_429(resp) if resp.status_code == 429 else (f"HTTP {resp.status_code}", 0.0)
                self.limiter.pause(wait, reason)
                await self.limiter.sleep(wait or min(30.0, 0.2 * 2**attempt))
                continue
            if resp.status_code >= 400:  # the ordinary sentences for 401, 403 and 404
                return await self._events_refused(params)
            body = _json(resp)
            data, token = body.get("data"), body.get("sync")
            if not isinstance(data, list) or not isinstance(token, str):
                raise VendorDataError("Asana answered the Events API without its data or sync token.")
            return data, token, bool(body.get("has_more"))
        raise VendorDataError(f"Asana kept failing on its Events API after {self.max_retries} retries.")

    async def _events_refused(self, params: dict[str, str]) -> str:
        await self.get("events", **params)  # raises the one sentence for that status
        raise AssertionError("unreachable")  # pragma: no cover

    # -- files ---------------------------------------------------------------------------
    def redirect_allowed(self, url: httpx.URL) -> bool:
        """Asana's file storage (S3 buckets named asana-user-private-<region>), and, against a
        sandbox on this machine, its storage host there."""
        if super().redirect_allowed(url):
            return True
        if url.scheme == "https" and STORAGE_HOST.fullmatch(url.host or ""):
            return True
        return is_loopback(self.base_url) and is_loopback(str(url))

    async def download_file(self, gid: str, *, size: int | None = None, url: str | None = None) -> AsyncIterator[bytes]:
        """A file's bytes through ApiClient's one download path, from `url` (the
        `download_url` the listing gave) while it lasts: it may be valid for two minutes
        only, so the storage host's 403 has a fresh one asked for (and so does a missing
        one); what was already delivered is then skipped, so every byte arrives once."""
        delivered = 0
        for refresh in range(URL_REFRESHES + 1):
            if url is None or refresh:
                url = await self._download_url(gid)
            skip = delivered
            try:
                async for chunk in self.download(url, size=size, route="GET download_url"):
                    if skip:
                        cut = min(skip, len(chunk))
                        chunk, skip = chunk[cut:], skip - cut  # noqa: PLW2901 - the part not yet delivered
                        if not chunk:
                            continue
                    delivered += len(chunk)
                    yield chunk
                return
            except PermissionDenied:
                if refresh == URL_REFRESHES:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _download_url(self, gid: str) -> str:
        att = await self.data(f"attachments/{gid}", opt_fields="download_url")
        url = att.get("download_url") if isinstance(att, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise RecordRejected(200, "Asana gives no download URL for this file (it is hosted elsewhere)", self.label)
        return url


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise VendorDataError(f"Asana sent a body that is not JSON ({resp.status_code}).") from None
    if not isinstance(body, dict):
        raise VendorDataError(f"Asana sent a body that is not an object ({resp.status_code}).")
    return body
