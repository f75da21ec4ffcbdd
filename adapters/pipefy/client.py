"""The Pipefy GraphQL client: every request is one document from `graphql/` sent with its
variables to `POST /graphql`, with `Authorization: Bearer <token>` (the prefix is mandatory).

Limits (reference §P4): a query is refused above 50,000 complexity points or 15 levels deep,
so the documents are sized to stay under both (tests/pipefy/test_documents.py holds them to
it at the largest page). The request rate is about 500 per 30 s by a community answer, not a
documented figure: the limiter starts there, and a 429 that comes before our own count of the
window reached it lowers the window to what was really allowed (someone else spends the same
budget, or the figure is lower). Application errors arrive with HTTP 200 and `errors[]`: each
is sorted into what the caller can do about it."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import httpx

from adapters.pipefy.documents import document
from wizard.errors import CredentialError, PermissionDenied, UserError, VendorDataError
from wizard.http import ApiClient, ReadRejected
from wizard.ratelimit import RateLimiter

WINDOW_S = 30.0
WINDOW_REQUESTS = 500  # assumed (reference §P4: a community figure); lowered by what a 429 shows
LEAST_REQUESTS = 50  # what the learnt window never goes below
PAGE = 50  # reference §P3: the effective most of a Relay page of cards
FILE_HOST_SUFFIXES = (".amazonaws.com", ".pipefy.com")  # where presigned URLs point (signed: no credential sent)
PERMISSION_CODES = ("PERMISSION_DENIED", "FORBIDDEN")
NOT_FOUND_CODES = ("RESOURCE_NOT_FOUND", "NOT_FOUND")
_OPERATION: ContextVar[str] = ContextVar("pipefy_operation", default="")  # counted per operation, not per URL


class PipefyClient(ApiClient):
    system = "pipefy"
    label = "Pipefy"
    download_route = "GET presigned url"

    def __init__(self, base_url: str, token: str, *, window_scale: float = 1.0, **kw: Any) -> None:
        limiter = RateLimiter([(WINDOW_REQUESTS, WINDOW_S * window_scale)])
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        super().__init__(base_url, limiter=limiter, headers=headers, **kw)
        self.window_scale = window_scale
        self.rate_limited = 0
        self.learnt_limit: int | None = None  # requests per window a 429 showed, when below the assumed 500

    # -- limits ----------------------------------------------------------------------------
    def classify_429(self, resp: httpx.Response) -> tuple[str, float]:
        """Pipefy's 429 says nothing of when to come back: wait out the window; and when it
        came before we had sent the window's assumed requests, what we had sent is the limit."""
        self.rate_limited += 1
        window = self.limiter.windows[0]
        now = self.limiter.clock()
        window.wait_time(now)  # forgets the requests older than the window
        sent = len(window.sent)
        if sent < window.limit:
            window.limit = max(LEAST_REQUESTS, sent)
            self.learnt_limit = window.limit
            self.limiter.learn("requests_per_30_s", window.limit, window.period, f"Pipefy's 429 after {sent} requests")
        wait = self.retry_after(resp)
        return f"429 {_first_error(resp)[1] or 'too many requests'}", wait if wait is not None else window.period

    def _route(self, method: str, path: str) -> str:
        op = _OPERATION.get()
        return f"query {op}" if method == "POST" and op else super()._route(method, path)

    # -- queries ---------------------------------------------------------------------------
    async def query(self, op: str, **variables: Any) -> dict[str, Any]:
        """Run operation `op` (graphql/<op>.graphql) with `variables`; its `data`."""
        return await self.send(op, document(op), variables)

    async def send(self, op: str, text: str, variables: dict[str, Any], *, write: bool = False) -> dict[str, Any]:
        """Run the document `text` (from a file), counted as operation `op`; its `data`. A write
        is not retried once sent."""
        token = _OPERATION.set(op)
        try:
            body = await self.json("POST", "", json={"query": text, "variables": variables}, idempotent=not write)
        finally:
            _OPERATION.reset(token)
        if not isinstance(body, dict):
            raise VendorDataError(f"Pipefy answered {op} with something that is not a JSON object.")
        errors = body.get("errors")
        if errors:
            self._raise_for(op, *_code_message(errors))
        data = body.get("data")
        if not isinstance(data, dict):
            raise VendorDataError(f"Pipefy answered {op} without data.")
        return data

    def _raise_for(self, op: str, code: str, message: str) -> None:
        said = f"{code}: {message}" if code else message
        if code in PERMISSION_CODES:
            raise PermissionDenied(f"Pipefy denied {op} ({said}); the token's user must administer the pipe.")
        if code in NOT_FOUND_CODES:
            raise ReadRejected(404, said, self.label, op)
        if code == "COMPLEXITY_LIMIT_EXCEEDED":
            raise UserError(
                f"Pipefy refused {op} as too complex ({message}); this is a defect of the migration wizard."
            )
        if code == "UNAUTHENTICATED":
            raise CredentialError(
                f"Pipefy refused the token of profile '{self.profile}' ({said}); give a new one and run again."
            )
        raise VendorDataError(f"Pipefy answered {op} with an error ({said[:300]}).")

    # -- files -----------------------------------------------------------------------------
    def redirect_allowed(self, url: httpx.URL) -> bool:
        """A presigned URL: our own origin (the sandbox) or Pipefy's file storage."""
        return super().redirect_allowed(url) or (
            url.scheme == "https" and any(url.host.endswith(h) for h in FILE_HOST_SUFFIXES)
        )


def _code_message(errors: Any) -> tuple[str, str]:
    first = errors[0] if isinstance(errors, list) and errors else errors
    if not isinstance(first, dict):
        return "", str(first)[:300]
    ext = first.get("extensions")
    code = str((ext if isinstance(ext, dict) else {}).get("code") or first.get("code") or "")
    return code, str(first.get("message") or "")[:300]


def _first_error(resp: httpx.Response) -> tuple[str, str]:
    try:
        body = resp.json()
    except ValueError:
        return "", ""
    return _code_message(body.get("errors")) if isinstance(body, dict) and body.get("errors") else ("", "")
