"""The Asana HTTP client: a personal access token as `Authorization: Bearer` on every API
request (and never on a file's download URL, which is signed for its storage host), the
per-minute limit of the account's plan (150 free, 1,500 paid, detected from whether the
premium-only search answers or 402s), 429s with Retry-After (the cost limit's come without
warning), offset pagination, `POST /batch` (up to 10 GETs, each counted against the limit),
the Events API's 412 and sync token, and downloads that fetch a fresh `download_url` just
before they start and again after the storage host's 403 for an expired one."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx

from wizard.errors import VendorDataError
from wizard.http import ApiClient, ObjectUnavailable, RecordRejected
from wizard.ratelimit import RateLimiter

WINDOW_S = 60.0
PER_MINUTE = {"free": 150, "paid": 1_500}
PAGE = 100
BATCH_MAX = 10
URL_REFRESHES = 3  # a download URL that expired before the bytes came: fetched again this often


class AsanaClient(ApiClient):
    system = "asana"
    label = "Asana"
    # A file's download_url points at Asana's storage (S3); we never send our token there.
    redirect_hosts = frozenset({"app.asana.com"})

    def __init__(self, base_url: str, token: str, *, tier: str = "free", window_scale: float = 1.0, **kw: Any) -> None:
        # A budget, not a window: a batch of N actions counts as N requests, as Asana counts it.
        limiter = RateLimiter([], budgets=[(PER_MINUTE[tier], WINDOW_S * window_scale)])
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        super().__init__(base_url, limiter=limiter, headers=headers, **kw)
        self.tier = tier
        self.window_scale = window_scale

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

    async def pages(self, path: str, **params: Any) -> AsyncIterator[list[Any]]:
        """Every page of a list, 100 at a time, following `next_page.offset` to its null."""
        offset: str | None = None
        seen: set[str] = set()
        while True:
            body = await self.get(path, limit=PAGE, offset=offset, **params)
            data, offset = _page(body, path)
            yield data
            if offset is None:
                return
            if offset in seen:
                raise VendorDataError(
                    f"Asana's pages of {path} do not advance (an offset came twice); stopped reading."
                )
            seen.add(offset)

    async def batch(self, actions: list[dict[str, Any]]) -> list[tuple[int, Any]]:
        """POST /batch with up to 10 GET actions; each counts against the limit, as Asana
        counts them. Answers (status, body) in the order asked."""
        if not 0 < len(actions) <= BATCH_MAX:
            raise ValueError("Asana's /batch takes between 1 and 10 actions")
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
    async def download(self, gid: str, *, size: int | None = None, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """A file's bytes. Its `download_url` is asked for just before the download (it may
        be valid for two minutes only) and again after the storage host's 403 for an expired
        one; a transfer cut mid-way resumes with Range from the byte it reached, so every
        byte is delivered exactly once. Our token never goes to the storage host."""
        delivered = 0
        refreshes = 0
        failures = 0
        url = await self._download_url(gid)
        while True:
            headers = {"Range": f"bytes={delivered}-"} if delivered else {}
            failure = ""
            try:
                async with contextlib.aclosing(await self._storage_get(url, headers)) as resp:
                    if resp.status_code == 403 and refreshes < URL_REFRESHES:
                        await resp.aread()
                        refreshes += 1
                        url = await self._download_url(gid)
                        continue
                    if resp.status_code >= 500:
                        failure = f"HTTP {resp.status_code}"
                    elif resp.status_code >= 400:
                        await resp.aread()
                        raise RecordRejected(
                            resp.status_code,
                            f"Asana's file storage refused the download ({_s3_code(resp)})",
                            self.label,
                        )
                    else:
                        skip = delivered if resp.status_code == 200 else 0
                        async for chunk in resp.aiter_bytes(chunk_size):
                            if skip:
                                cut = min(skip, len(chunk))
                                chunk, skip = chunk[cut:], skip - cut  # noqa: PLW2901 - the part not yet delivered
                                if not chunk:
                                    continue
                            delivered += len(chunk)
                            if size is not None and delivered > size:
                                raise RecordRejected(
                                    200, f"Asana sent more than the {size} bytes it declared for this file"
                                )
                            yield chunk
                        if size is not None and delivered != size:
                            raise RecordRejected(
                                200, f"Asana sent {delivered} of the {size} bytes it declared for this file"
                            )
                        return
            except (httpx.TransportError, TimeoutError) as e:
                failure = f"{type(e).__name__} while downloading"
            failures += 1
            if failures > self.max_retries:
                raise ObjectUnavailable(
                    f"Asana kept failing on a file's download after {self.max_retries} retries ({failure}); "
                    f"running the same command again retries it"
                )
            self.retries += 1
            await self.limiter.sleep(min(30.0, 0.2 * 2 ** (failures - 1)) * (0.5 + random.random()))

    async def _download_url(self, gid: str) -> str:
        att = await self.data(f"attachments/{gid}", opt_fields="download_url")
        url = att.get("download_url") if isinstance(att, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise RecordRejected(200, "Asana gives no download URL for this file (it is hosted elsewhere)", self.label)
        return url

    async def _storage_get(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """A plain GET of a signed URL: no Authorization header (S3 refuses a request that
        carries two credentials, and the token is not the storage host's business)."""
        self.calls += 1
        self.calls_by_route["GET download_url"] = self.calls_by_route.get("GET download_url", 0) + 1
        request = httpx.Request("GET", url, headers=headers)
        return await self.http.send(request, stream=True)


def _page(body: Any, path: str) -> tuple[list[Any], str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise VendorDataError(f"Asana answered {path} with something that is not a list in its 'data'.")
    nxt = body.get("next_page")
    if nxt is None:
        return body["data"], None
    offset = nxt.get("offset") if isinstance(nxt, dict) else None
    if not isinstance(offset, str) or not offset:
        raise VendorDataError(f"Asana answered {path} with a next_page that has no offset.")
    return body["data"], offset


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise VendorDataError(f"Asana sent a body that is not JSON ({resp.status_code}).") from None
    if not isinstance(body, dict):
        raise VendorDataError(f"Asana sent a body that is not an object ({resp.status_code}).")
    return body


def _s3_code(resp: httpx.Response) -> str:
    text = resp.text
    start, end = text.find("<Code>"), text.find("</Code>")
    return text[start + 6 : end] if 0 <= start < end else f"HTTP {resp.status_code}"
