"""The HTTP layer every adapter client stands on: one httpx.AsyncClient per account, the
account's rate limiter, tenacity retries that honour Retry-After and reset headers, and a
circuit breaker that stops hammering a system that is down.

Errors are sorted by what the caller can do about them:
- 401 -> CredentialError, 403 -> PermissionDenied (user errors: one sentence, exit 2);
- 400/404/409/422 -> RecordRejected (the record is quarantined with the reason; no retry);
- 429, 5xx, timeouts and resets -> retried; a non-idempotent write whose fate is unknown
  after a 5xx or a reset raises AmbiguousWrite so the engine reconciles before re-sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import random
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

try:
    import sniffio  # noqa: F401
except ImportError:
    # httpcore runs `import sniffio` on every lock it makes (~5 per request); without the
    # package each one searches sys.path again (55 µs apiece, 16% of a request's CPU). A None
    # in sys.modules makes that import fail at once, as it would anyway.
    sys.modules["sniffio"] = None  # type: ignore[assignment]

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

# Re-exported: the adapters name them from here, with the client that raises them.
from wizard.call_errors import AmbiguousWrite as AmbiguousWrite
from wizard.call_errors import ObjectUnavailable as ObjectUnavailable
from wizard.call_errors import ReadRejected as ReadRejected
from wizard.call_errors import RecordRejected as RecordRejected
from wizard.call_errors import Transient as Transient
from wizard.errors import CredentialError, PermissionDenied, SystemUnavailable, VendorDataError
from wizard.events import CircuitOpened, EventSink, NullSink, RateLimited, RequestRetried
from wizard.paging import Paginator, Params, records
from wizard.ratelimit import RateLimiter
from wizard.redact import redact, register_header

MAX_BODY = 50_000_000  # an API answer (files are streamed, not read whole)
MAX_REDIRECTS = 5
DEADLINE_FACTOR = 2.0  # a whole request may take this many times the per-read timeout


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class CircuitBreaker:
    """Opens after `threshold` failures in a row. While open, calls fail at once without
    reaching the vendor; after `cooldown` seconds one call may try again (half-open): a
    success closes the breaker, a failure opens it for another cooldown."""

    def __init__(
        self, threshold: int = 12, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.reason = ""
        self._last_subject: str | None = None

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.clock() - self.opened_at < self.cooldown

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._last_subject = None

    def failure(self, reason: str = "", subject: str | None = None) -> bool:
        """Count one failure; True when this one opens (or re-opens) the breaker. Failures
        in a row of one `subject` (one object's retries) count once: the breaker counts the
        vendor failing, not one bad object, which its own retries bound."""
        if subject is not None and subject == self._last_subject and not self.is_open:
            return False
        self._last_subject = subject
        self.failures += 1
        if self.failures >= self.threshold and not self.is_open:
            self.opened_at = self.clock()
            self.reason = reason
            return True
        return False


class _SetCookieOnly(httpx.Cookies):
    """httpx runs every response through http.cookiejar looking for Set-Cookie (6% of a
    request's CPU); the vendors authenticate by header and set none, so look only when the
    header is there. A cookie a vendor does set is still kept, as before."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def _message(resp: httpx.Response) -> str:
    """What the vendor said was wrong, in a sentence, with every known secret redacted
    (a vendor may echo the key, the token or the Authorization header back)."""
    return redact(_vendor_message(resp))


def _vendor_message(resp: httpx.Response) -> str:
    text = redact(resp.text)  # before any cut, so no part of a secret survives it
    try:
        body = json.loads(text)
    except ValueError:
        return text[:200] or resp.reason_phrase
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            # Laravel 422s: the field errors say what was wrong; the message alone does not.
            return "; ".join(f"{f}: {m[0] if isinstance(m, list) and m else m}" for f, m in errors.items())[:300]
        if isinstance(errors, list) and any(isinstance(e, dict) and e.get("message") for e in errors):
            # Asana (and GraphQL): a list of {"message": ...}; their messages are the sentence.
            return "; ".join(str(e["message"]) for e in errors if isinstance(e, dict) and e.get("message"))[:300]
        for k in ("message", "error", "err", "errors"):  # ClickUp: {"err": ..., "ECODE": ...}
            v = body.get(k)
            if isinstance(v, str) and v:
                return v[:300]
            if isinstance(v, dict):
                if "message" in v:
                    return str(v["message"])[:300]
                return "; ".join(f"{f}: {m[0] if isinstance(m, list) and m else m}" for f, m in v.items())[:300]
    return str(body)[:300]


class CallObserver(Protocol):
    """Told of every exchange a vendor answered and every file byte received (wizard/metrics.py)."""

    def call(self, system: str, route: str, status: int) -> None: ...

    def moved(self, system: str, direction: str, nbytes: int) -> None: ...


call_observers: list[CallObserver] = []


class ApiClient:
    """Base class of every vendor client. Subclasses set `system`, `label`, the limiter's
    windows and `read_rate_headers()`."""

    system = "generic"
    label = "the API"
    redirect_hosts: frozenset[str] = frozenset()  # the vendor's documented hosts a GET may be redirected to
    # A limit learned from 429s sits right at the server's edge: count each call from its
    # answer's time (Limiter.restamp), so our window never reopens before the server's.
    count_at_answer: bool = False
    download_route: str | None = None  # how downloads are counted in calls_by_route (file names vary)

    def __init__(
        self,
        base_url: str,
        *,
        limiter: RateLimiter,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        sink: EventSink | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        profile: str = "sandbox",
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self.sink = sink or NullSink()
        self.max_retries = max_retries
        self.profile = profile
        self.breaker = CircuitBreaker()
        self.calls = 0
        self.calls_by_route: dict[str, int] = {}
        self.retries = 0
        self.clock_skew = 0.0  # vendor clock minus ours, in seconds
        self._skew_samples = 0
        limiter.on_wait = self._on_wait
        self.deadline = timeout * DEADLINE_FACTOR  # a whole request, however slowly its body drips
        self.http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers=headers or {},
            params=params or {},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
            follow_redirects=False,  # followed by _send: GETs only, to known hosts, never with a body
        )
        for name, value in (headers or {}).items():
            if name.lower() == "authorization":
                register_header(value)
        self.http._cookies = _SetCookieOnly()  # no public knob: cookies= would be copied into a plain Cookies

    # -- hooks for subclasses ------------------------------------------------------------
    def read_rate_headers(self, resp: httpx.Response) -> None:
        """Correct the limiter from the vendor's own headers."""

    def retry_after(self, resp: httpx.Response) -> float | None:
        return parse_retry_after(resp.headers.get("retry-after"))

    def classify_429(self, resp: httpx.Response) -> tuple[str, float]:
        """(reason, seconds to wait) for a 429."""
        wait = self.retry_after(resp)
        return f"429 {_message(resp)}", 2.0 if wait is None else wait

    # -- plumbing ------------------------------------------------------------------------
    def _on_wait(self, seconds: float, why: str) -> None:
        self.sink.emit(RateLimited(self.system, time.time() + seconds, why))

    def _route(self, method: str, path: str) -> str:
        parts = [p if not any(c.isdigit() for c in p) or len(p) < 6 else "{id}" for p in path.strip("/").split("/")]
        return f"{method} /{'/'.join(parts)}"

    async def _send_once(
        self, method: str, path: str, buckets: tuple[str, ...], idempotent: bool, weight: float = 1.0, **kw: Any
    ) -> httpx.Response:
        self._refuse_if_open()
        stamp = await self.limiter.acquire(buckets, weight)
        self._refuse_if_open()
        self.calls += 1
        route = self._route(method, path)
        self.calls_by_route[route] = self.calls_by_route.get(route, 0) + 1
        try:
            try:
                resp = await self._send(method, path, route=route, **kw)
            finally:
                if self.count_at_answer:
                    self.limiter.restamp(stamp, buckets)
        except (httpx.TimeoutException, TimeoutError) as e:
            self._trip(f"timeout ({type(e).__name__})")
            if not idempotent and not isinstance(e, (httpx.ConnectTimeout, httpx.PoolTimeout)):
                raise AmbiguousWrite(f"{method} {path} timed out") from None
            raise Transient(f"timeout on {method} {path}") from None
        except httpx.TransportError as e:
            self._trip(f"connection error ({type(e).__name__})")
            if not idempotent and not isinstance(e, httpx.ConnectError):
                raise AmbiguousWrite(f"{method} {path}: {type(e).__name__}") from None
            raise Transient(f"{type(e).__name__} on {method} {path}") from None
        self.read_rate_headers(resp)
        if self._skew_samples < 16 and (date := resp.headers.get("date")):
            self._observe_skew(date)
        status = resp.status_code
        if status == 429:
            reason, wait = self.classify_429(resp)
            self.limiter.pause(wait, reason)
            raise Transient(reason, retry_after=wait, status=429)
        if status >= 500:
            self._trip(f"HTTP {status}")
            if not idempotent:
                raise AmbiguousWrite(f"{method} {path} answered {status}")
            raise Transient(f"HTTP {status} on {method} {path}", status=status)
        self.breaker.success()
        if status == 401:
            raise CredentialError(
                f"{self.label} refused the credential of profile '{self.profile}' (401: {_message(resp)}); "
                f"give new credentials and run the command again to resume."
            )
        if status == 403:
            raise PermissionDenied(
                f"{self.label} denied access to {path} (403: {_message(resp)}); the account needs that permission."
            )
        if status >= 400:
            if method == "GET":
                raise ReadRejected(status, _message(resp), self.label, path)
            raise RecordRejected(status, _message(resp), self.label)
        return resp

    # -- sending -------------------------------------------------------------------------
    def redirect_allowed(self, url: httpx.URL) -> bool:
        """A redirect may lead to our own origin or to one of the vendor's documented hosts
        (over https); anywhere else it is not followed."""
        base = httpx.URL(self.base_url)
        if (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port):
            return True
        return url.scheme == "https" and url.host in self.redirect_hosts

    async def _send(
        self, method: str, path: str, *, stream: bool = False, route: str | None = None, **kw: Any
    ) -> httpx.Response:
        """One request, redirects followed by hand, under a deadline for the whole exchange
        (a server that drips its answer cannot hold a request past it). A redirect is followed
        only for a GET, only where `redirect_allowed`, without a body, and with our
        credentials only on our own origin. Unless `stream`, the body is read here, up to
        MAX_BODY bytes."""
        async with asyncio.timeout(self.deadline):
            request = self.http.build_request(method, path.lstrip("/"), **kw)
            for _ in range(MAX_REDIRECTS + 1):
                resp = await self.http.send(request, stream=True)
                for watcher in call_observers:
                    watcher.call(self.system, route or self._route(method, path), resp.status_code)
                if not resp.is_redirect:
                    break
                await resp.aclose()
                url = resp.url.join(resp.headers["location"])
                if method != "GET" or not self.redirect_allowed(url):
                    where = url.host or "another place"
                    why = f"{method} {path} was redirected to {where}, which is not {self.label}'s; not followed"
                    if method == "GET":
                        raise ReadRejected(resp.status_code, why, self.label, path)
                    raise RecordRejected(resp.status_code, why, self.label)
                base = httpx.URL(self.base_url)
                if (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port):
                    request = self.http.build_request("GET", url, headers=kw.get("headers"))
                else:  # another host: neither our credential nor our body goes there
                    request = httpx.Request(
                        "GET", url, headers={k: v for k, v in (kw.get("headers") or {}).items() if k.lower() == "range"}
                    )
            else:
                await resp.aclose()
                raise VendorDataError(f"{self.label} redirected {method} {path} more than {MAX_REDIRECTS} times.")
            if not stream:
                await self._read_capped(resp, method, path)
        return resp

    async def _read_capped(self, resp: httpx.Response, method: str, path: str) -> None:
        chunks, size = [], 0
        try:
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise VendorDataError(
                        f"{self.label} answered {method} {path} with more than "
                        f"{MAX_BODY // 1_000_000} MB; stopped reading it."
                    )
                chunks.append(chunk)
        finally:
            await resp.aclose()
        resp._content = b"".join(chunks)  # what aread() would have set, read with a cap

    def _unavailable(self, reason: str) -> SystemUnavailable:
        return SystemUnavailable(
            f"{self.label} failed {self.breaker.threshold} times in a row (last: {reason}); stopped asking. "
            f"Everything done so far is kept: run the same command again to resume when it is back."
        )

    def _refuse_if_open(self) -> None:
        """An open breaker stops hammering: no request reaches the vendor until the cooldown."""
        if self.breaker.is_open:
            raise self._unavailable(self.breaker.reason)

    def _observe_skew(self, date: str) -> None:
        """How far the vendor's clock is from ours (its Date header, 1 s resolution): edits
        are recognised by the vendor's timestamps, so a laptop whose clock is off must not
        mistake its own writes for someone else's."""
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        sample = server + 0.5 - time.time()  # the header truncates to the second
        self.clock_skew = (self.clock_skew * self._skew_samples + sample) / (self._skew_samples + 1)
        self._skew_samples += 1

    def _trip(self, reason: str, subject: str | None = None) -> None:
        if self.breaker.failure(reason, subject):
            self.sink.emit(CircuitOpened(self.system, reason))
            raise self._unavailable(reason)
        if self.breaker.is_open:
            raise self._unavailable(self.breaker.reason)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Transient) and exc.retry_after is not None:
            return 0.0  # the limiter is already paused until then
        return min(30.0, 0.2 * 2.0 ** (state.attempt_number - 1)) * (0.5 + random.random())

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        self.sink.emit(RequestRetried(self.system, state.attempt_number, str(exc)))

    async def request(
        self,
        method: str,
        path: str,
        *,
        buckets: tuple[str, ...] = (),
        idempotent: bool | None = None,
        weight: float = 1.0,
        **kw: Any,
    ) -> httpx.Response:
        """One call, retried while transient. `weight`: the points it spends in the
        limiter's budgets (a GraphQL query's complexity, a request's cost)."""
        idem = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS") if idempotent is None else idempotent
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, Transient)),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            sleep=self.limiter.sleep,  # a stop request ends a back-off too
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send_once(method, path, buckets, idem, weight=weight, **kw)
        except Transient as e:
            raise SystemUnavailable(
                f"{self.label} kept failing on {method} {path} after {self.max_retries} retries ({e.reason}); "
                f"run the same command again to resume."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def json(self, method: str, path: str, **kw: Any) -> Any:
        resp = await self.request(method, path, **kw)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise VendorDataError(f"{self.label} sent a body that is not JSON for {method} {path}.") from None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.json("GET", path, params={k: v for k, v in params.items() if v is not None})

    # -- files -------------------------------------------------------------------------
    async def download(
        self,
        path: str,
        chunk_size: int = 64 * 1024,
        *,
        size: int | None = None,
        mime_type: str | None = None,
        route: str | None = None,
    ) -> AsyncIterator[bytes]:
        """Stream a file: `path` under our base URL, or an absolute URL on one of the
        vendor's documented hosts (a signed storage link, which gets none of our
        credentials). A transient failure mid-stream asks again for the rest (HTTP Range);
        a server that answers the whole file again has what was delivered skipped, so the
        caller sees every byte exactly once. With the declared `size` (and type), a body
        that is longer, shorter or of another type is refused (RecordRejected); a file that
        keeps failing is ObjectUnavailable, which quarantines that file alone."""
        url = httpx.URL(path)
        foreign = url.is_absolute_url and not self._own_origin(url)
        if foreign and not self.redirect_allowed(url):
            raise ReadRejected(0, f"{url.host} is not one of {self.label}'s hosts", self.label, "a file")
        route = route or self.download_route or (f"GET {url.host}" if foreign else self._route("GET", path))
        delivered = 0
        attempt = 0
        while True:
            await self.limiter.acquire()
            self.calls += 1
            self.calls_by_route[route] = self.calls_by_route.get(route, 0) + 1
            headers = {"Range": f"bytes={delivered}-"} if delivered else {}
            failure: str | None = None
            wait: float | None = None
            try:
                resp = await self._send_file_request(path, foreign, headers, route)
                async with contextlib.aclosing(resp):
                    self.read_rate_headers(resp)
                    status = resp.status_code
                    if status == 429:
                        await resp.aread()
                        failure, wait = self.classify_429(resp)
                        self.limiter.pause(wait, failure)
                    elif status >= 500:
                        failure = f"HTTP {status}"
                        self._trip(failure, path)
                    elif status >= 400:
                        await resp.aread()
                        self._refuse_download(status, resp, path)
                    else:
                        self._check_type(resp, mime_type)
                        skip = _already_delivered(resp, delivered, self.label)
                        async for received in resp.aiter_bytes(chunk_size):
                            chunk = received
                            if skip:  # the part of the answer already delivered before a resume
                                cut = min(skip, len(chunk))
                                chunk, skip = chunk[cut:], skip - cut
                                if not chunk:
                                    continue
                            delivered += len(chunk)
                            for watcher in call_observers:
                                watcher.moved(self.system, "down", len(chunk))
                            if size is not None and delivered > size:
                                raise RecordRejected(
                                    status, f"{self.label} sent more than the {size} bytes it declared for this file"
                                )
                            yield chunk
                        if size is not None and delivered != size:
                            raise RecordRejected(
                                status, f"{self.label} sent {delivered} of the {size} bytes it declared for this file"
                            )
                        self.breaker.success()
                        return
            except (httpx.TransportError, TimeoutError) as e:
                failure = f"{type(e).__name__} while downloading"
                self._trip(failure, path)
            attempt += 1
            if attempt > self.max_retries:
                raise ObjectUnavailable(
                    f"{self.label} kept failing on its download after {self.max_retries} retries "
                    f"({failure}); running the same command again retries it"
                )
            self.retries += 1
            if wait is None:
                await self.limiter.sleep(min(30.0, 0.2 * 2 ** (attempt - 1)) * (0.5 + random.random()))

    def _own_origin(self, url: httpx.URL) -> bool:
        base = httpx.URL(self.base_url)
        return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)

    async def _send_file_request(
        self, path: str, foreign: bool, headers: dict[str, str], route: str | None = None
    ) -> httpx.Response:
        if not foreign:
            return await self._send("GET", path, stream=True, headers=headers, route=route)
        async with asyncio.timeout(self.deadline):  # a bare request: no credential goes to another host
            resp = await self.http.send(httpx.Request("GET", path, headers=headers), stream=True)
        for watcher in call_observers:
            watcher.call(self.system, route or f"GET {httpx.URL(path).host}", resp.status_code)
        return resp

    def _refuse_download(self, status: int, resp: httpx.Response, path: str) -> None:
        if status == 401:
            raise CredentialError(
                f"{self.label} refused the credential of profile '{self.profile}' for a download "
                f"(401: {_message(resp)}); give new credentials and run the command again to resume."
            )
        if status == 403:
            raise PermissionDenied(
                f"{self.label} denied access to {path} (403: {_message(resp)}); the account needs that permission."
            )
        raise RecordRejected(status, _message(resp), self.label)

    def _check_type(self, resp: httpx.Response, declared: str | None) -> None:
        """A file declared as one type must not arrive as another (a generic binary type is
        no claim either way)."""
        got = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        want = (declared or "").split(";", 1)[0].strip().lower()
        if want not in _ANY_TYPE and got not in _ANY_TYPE and got != want:
            raise RecordRejected(
                resp.status_code, f"{self.label} sent a {got} body for a file it declared as {want}", self.label
            )

    def paginate(
        self, path: str, paginator: Paginator, *, what: str, buckets: tuple[str, ...] = (), **params: Any
    ) -> AsyncIterator[Any]:
        """Every record of a GET listing, page after page as `paginator` declares (the
        paginator's params are added to `params`); `what` names the listing in the one
        sentence a malformed or stuck answer ends with."""

        async def fetch(page: Params) -> Any:
            query = {k: v for k, v in {**params, **page}.items() if v is not None}
            return await self.json("GET", path, buckets=buckets, params=query)

        return records(fetch, paginator, what=what, label=self.label)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


_ANY_TYPE = ("application/octet-stream", "binary/octet-stream", "")


def _already_delivered(resp: httpx.Response, delivered: int, label: str) -> int:
    """How many bytes at the start of this answer the caller already has: all of them when
    the server ignored our Range (200), the overlap when its 206 starts earlier than asked."""
    if resp.status_code != 206:
        return delivered
    rng = resp.headers.get("content-range", "")
    try:
        start = int(rng.split(" ", 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return 0  # a 206 without a readable range: it answers what we asked for
    if start > delivered:
        raise RecordRejected(206, f"{label} resumed the file at byte {start}, past the {delivered} delivered")
    return delivered - start


async def gather_limited(n: int, coros: list[Callable[[], Any]]) -> list[Any]:
    """Run zero-argument coroutine factories with at most n at once, in order of results."""
    sem = asyncio.Semaphore(n)

    async def one(f: Callable[[], Any]) -> Any:
        async with sem:
            return await f()

    return await asyncio.gather(*(one(f) for f in coros))
