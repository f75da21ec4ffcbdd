"""The monday.com GraphQL client: every request is one document from `graphql/` sent with
its variables to `POST /v2`, with the raw token in `Authorization` and the pinned
`API-Version`.

Limits: the plan's minute limit (2,500 requests on Pro) is a window of the rate limiter;
the account's 19,000 items created or updated an hour a budget of its own, each request
spending the items it creates or changes (a 25-item `create_item` request 25);
the complexity budget is read from the `complexity` every document asks for, and what each
operation cost last time is the weight the next one waits for: when the budget left is below
it, nobody sends until the budget resets. A 429 (the budget exhausted in either shape the
versions use, the minute or concurrency limit) waits out `Retry-After` or
`retry_in_seconds`. Application errors arrive with HTTP 200 and `errors[]`: each is sorted
into what the caller can do about it (a dead cursor, a permission, a refused record)."""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

import httpx

from adapters.monday.documents import API_VERSION, VERSION_RE, document
from adapters.monday.plans import DEFAULT_PLAN, HOUR_S, ITEMS_PER_HOUR, PLANS, items_written
from wizard.errors import CredentialError, PermissionDenied, UserError, VendorDataError
from wizard.http import ApiClient, ReadRejected, RecordRejected, _message
from wizard.humanize import human_duration
from wizard.ratelimit import RateLimiter

MINUTE_S = 60.0
DAY_S = 86_400.0
LONG_WAIT_S = 900.0  # a daily limit whose reset is further off than this stops the command instead of waiting
DAILY_CODES = ("DAILY_LIMIT_EXCEEDED",)
ITEM_BUDGET_CODES = ("ACCOUNT_CAPACITY_EXCEEDED",)  # the hourly item create/update budget
BUDGET_CODES = ("COMPLEXITY_BUDGET_EXHAUSTED", "ComplexityException")
CURSOR_CODES = ("CursorExpiredError", "InvalidCursorException")
PERMISSION_CODES = ("UserUnauthorizedException", "USER_ACCESS_DENIED", "missingRequiredPermissions")
NOT_FOUND_CODES = ("ResourceNotFoundException", "InvalidBoardIdException", "InvalidItemIdException")
# A write monday.com refuses for what it holds (a column value of the wrong shape, a name too long, a
# board full): the record is quarantined with the vendor's words and the run goes on (reference M4).
REFUSED_CODES = (
    "ColumnValueException",
    "CorrectedValueException",
    "InvalidColumnIdException",
    "ItemNameTooLongException",
    "ItemsLimitationException",
    "RecordInvalidException",
    "CreateBoardException",
)
FILE_HOST_SUFFIXES = (".s3.amazonaws.com", ".monday.com")  # where public URLs point (signed: no credential sent)
_OPERATION: ContextVar[str] = ContextVar("monday_operation", default="")  # counted per operation, not per URL
_RESET_IN = re.compile(r"reset in (\d+) seconds?")


class CursorExpired(Exception):
    """monday.com no longer knows the items_page cursor (they live 60 minutes): the caller
    starts the listing again."""


class MondayClient(ApiClient):
    system = "monday"
    label = "monday.com"
    download_route = "GET public_url"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        api_version: str = API_VERSION,
        window_scale: float = 1.0,
        plan: str = DEFAULT_PLAN,
        items_per_hour: int = ITEMS_PER_HOUR,
        **kw: Any,
    ) -> None:
        if not VERSION_RE.match(api_version):
            raise UserError(
                f"The monday.com API version '{api_version}' is not YYYY-MM with a month of 01, 04, 07 or 10."
            )
        if plan not in PLANS:
            raise UserError(f"The monday.com plan '{plan}' is not one of {', '.join(PLANS)}.")
        limits = PLANS[plan]
        # the minute and daily limits in calls, and the complexity budget in points: each query
        # spends what it cost last time (its weight), corrected by the `complexity` every answer states
        limiter = RateLimiter(
            [(limits.minute, MINUTE_S * window_scale), (limits.day, DAY_S * window_scale)],
            budgets=[(limits.budget, MINUTE_S * window_scale)],
        )
        headers = {"Authorization": token, "API-Version": api_version, "Accept": "application/json"}
        super().__init__(base_url, limiter=limiter, headers=headers, **kw)
        # the items created or updated an hour: a request waits here for the items it writes
        self.items = RateLimiter([], budgets=[(items_per_hour, HOUR_S * window_scale)], on_wait=self._on_wait)
        self.api_version = api_version
        self.window_scale = window_scale
        self.plan, self.limits = plan, limits
        self.cost_of: dict[str, int] = {}  # what each operation cost last time: its weight
        self.complexity = 0  # spent by this client
        self.complexity_by_op: dict[str, int] = {}
        self.rate_limited = 0

    # -- limits ----------------------------------------------------------------------------
    def classify_429(self, resp: httpx.Response) -> tuple[str, float]:
        self.rate_limited += 1
        wait = self.retry_after(resp)
        code, message, retry_in = _error_of(resp)
        if retry_in is not None:
            wait = float(retry_in) if wait is None else max(wait, float(retry_in))
        if wait is None:
            wait = MINUTE_S * self.window_scale
        if code in BUDGET_CODES:
            self._budget_left(0, wait)
        if code in ITEM_BUDGET_CODES:
            self._items_spent(wait)
        if code in DAILY_CODES and wait > LONG_WAIT_S * self.window_scale:
            raise UserError(
                f"monday.com's daily limit of {self.limits.day:,} calls on the {self.plan} plan is used up until "
                f"midnight UTC (in {human_duration(wait / self.window_scale)}); run the command again after that: "
                f"it goes on where it stopped."
            )
        return f"429 {code or message or _message(resp)}", wait

    def _budget_left(self, remaining: float, reset_in: float) -> None:
        """monday.com's budget is a fixed minute from its first call: what it says is left
        holds until its reset, whatever our own count of the last minute would free sooner."""
        now = self.limiter.clock()
        for budget in self.limiter.budgets:
            budget.spent.clear()
            budget.total = 0.0
            budget.observe_remaining(now, remaining, reset_in)

    def _items_spent(self, reset_in: float) -> None:
        """monday.com says the hour's items are spent (by us or another client of the
        account): nothing more is written until `reset_in` has passed."""
        now = self.items.clock()
        for budget in self.items.budgets:
            budget.observe_remaining(now, 0, reset_in)

    def _items_counted_now(self, stamp: float) -> None:
        """The items spent at `stamp` count from the answer's time instead: monday.com counted
        them somewhere in between, so our hour never frees them before its does."""
        now = self.items.clock()
        for budget in self.items.budgets:
            budget.restamp(stamp, now)

    def _observe(self, op: str, complexity: Any) -> None:
        if not isinstance(complexity, dict):
            return
        cost, after, reset = complexity.get("query"), complexity.get("after"), complexity.get("reset_in_x_seconds")
        if isinstance(cost, int):
            self.cost_of[op] = cost
            self.complexity += cost
            self.complexity_by_op[op] = self.complexity_by_op.get(op, 0) + cost
        if isinstance(after, int) and isinstance(reset, (int, float)):
            self._budget_left(after, float(reset))

    def _route(self, method: str, path: str) -> str:
        op = _OPERATION.get()
        return f"query {op}" if method == "POST" and op else super()._route(method, path)

    # -- queries ---------------------------------------------------------------------------
    async def query(self, op: str, **variables: Any) -> dict[str, Any]:
        """Run operation `op` (graphql/<op>.graphql) with `variables`; its `data`."""
        token = _OPERATION.set(op)
        try:
            return await self._query(op, document(op), variables)
        finally:
            _OPERATION.reset(token)

    async def query_text(self, op: str, text: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run a query document given whole (`text`, from a file), counted as operation `op`."""
        token = _OPERATION.set(op)
        try:
            return await self._query(op, text, variables)
        finally:
            _OPERATION.reset(token)

    async def mutate(
        self, op: str, text: str, variables: dict[str, Any], *, refused: dict[str, str] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Send a mutation document (`text`, from a file under graphql/) named `op`. Never
        retried after a 5xx or a reset once sent (its fate is unknown: an `AmbiguousWrite`,
        which the caller reconciles); an error monday.com gives for the record itself
        (`REFUSED_CODES`) is a `RecordRejected`, or, given `refused` (aliased mutations), that
        alias's entry there ("code: message") while the others' data is answered. `kw`: the
        request's own arguments instead of the JSON body (the multipart file endpoint)."""
        token = _OPERATION.set(op)
        try:
            items = items_written(op)
            stamp = await self.items.acquire(weight=items) if items else None
            try:
                return await self._query(op, text, variables, write=True, refused=refused, **kw)
            finally:
                if stamp is not None:
                    self._items_counted_now(stamp)
        finally:
            _OPERATION.reset(token)

    async def _query(
        self,
        op: str,
        text: str,
        variables: dict[str, Any],
        *,
        write: bool = False,
        path: str = "",
        refused: dict[str, str] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        attempts = 0
        send = kw or {"json": {"query": text, "variables": variables}}
        while True:
            weight = min(self.cost_of.get(op, 1), self.limits.budget)
            body = await self.json("POST", path, idempotent=not write, weight=weight, **send)
            if not isinstance(body, dict):
                raise VendorDataError(f"monday.com answered {op} with something that is not a JSON object.")
            data = body.get("data")
            if isinstance(data, dict):
                self._observe(op, data.get("complexity"))
            errors = body.get("errors")
            if errors and refused is not None and isinstance(data, dict):
                errors = _refused_by_alias(errors, refused)
            if errors:
                code, message, retry_in = _first_error(errors)
                if code in BUDGET_CODES and retry_in is not None and attempts < self.max_retries:
                    # the budget spent by someone else on the account, told with HTTP 200
                    attempts += 1
                    self.rate_limited += 1
                    self._budget_left(0, retry_in)
                    continue
                if code in ITEM_BUDGET_CODES and attempts < self.max_retries:
                    # the hour's items spent, told with HTTP 200: nothing was written; wait it out
                    attempts += 1
                    self.rate_limited += 1
                    self._items_spent(retry_in if retry_in is not None else HOUR_S * self.window_scale)
                    await self.items.acquire(weight=items_written(op))
                    continue
                if write and code in REFUSED_CODES:
                    raise RecordRejected(422, f"{code}: {message}", self.label)
                self._raise_for(op, code, message)
            if not isinstance(data, dict):
                raise VendorDataError(f"monday.com answered {op} without data.")
            return data

    def _raise_for(self, op: str, code: str, message: str) -> None:
        said = f"{code}: {message}" if code else message
        if code in CURSOR_CODES:
            raise CursorExpired(said)
        if code in PERMISSION_CODES:
            raise PermissionDenied(f"monday.com denied {op} ({said}); the account needs access to it.")
        if code in NOT_FOUND_CODES:
            raise ReadRejected(404, said, self.label, op)
        if code == "ComplexityException":
            raise UserError(
                f"monday.com refused {op} as too complex ({message}); lower the page size and run the command again."
            )
        if code in ("UNAUTHENTICATED", "Unauthorized"):
            raise CredentialError(
                f"monday.com refused the token of profile '{self.profile}' ({said}); give a new one and run again."
            )
        raise VendorDataError(f"monday.com answered {op} with an error ({said[:300]}).")

    # -- files -----------------------------------------------------------------------------
    def redirect_allowed(self, url: httpx.URL) -> bool:
        """A file's public URL: our own origin (the sandbox) or monday.com's file storage."""
        return super().redirect_allowed(url) or (
            url.scheme == "https" and any(url.host.endswith(h) for h in FILE_HOST_SUFFIXES)
        )


def _first_error(errors: Any) -> tuple[str, str, float | None]:
    """(code, message, retry_in_seconds) of the first error, in either shape monday.com uses."""
    first = errors[0] if isinstance(errors, list) and errors else errors
    if isinstance(first, str):  # the legacy shape lists bare messages
        m = _RESET_IN.search(first)
        return ("ComplexityException" if "Complexity budget" in first else "", first, float(m.group(1)) if m else None)
    if not isinstance(first, dict):
        return "", str(first)[:300], None
    given = first.get("extensions")
    ext = given if isinstance(given, dict) else {}
    code = str(ext.get("code") or "")
    retry = ext.get("retry_in_seconds")
    return code, str(first.get("message") or "")[:300], float(retry) if isinstance(retry, (int, float)) else None


def _refused_by_alias(errors: Any, refused: dict[str, str]) -> list[Any]:
    """Sort out the errors of one aliased mutation each that monday.com refused for its own
    record (into `refused`, by alias): the errors left."""
    if not isinstance(errors, list):
        return [errors]
    left = []
    for e in errors:
        where = e.get("path") if isinstance(e, dict) else None
        code, message, _ = _first_error([e])
        if code in REFUSED_CODES and isinstance(where, list) and where and isinstance(where[0], str):
            refused[where[0]] = f"{code}: {message}"
        else:
            left.append(e)
    return left


def _error_of(resp: httpx.Response) -> tuple[str, str, float | None]:
    try:
        body = resp.json()
    except ValueError:
        return "", "", None
    if not isinstance(body, dict):
        return "", "", None
    if body.get("error_code"):  # legacy: ComplexityException at the top level
        msg = str(body.get("error_message") or "")
        m = _RESET_IN.search(msg)
        return str(body["error_code"]), msg, float(m.group(1)) if m else None
    if body.get("errors"):
        return _first_error(body["errors"])
    return "", str(body.get("error_message") or ""), None
