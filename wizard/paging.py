"""Declared pagination: a client names how its vendor pages (`PageNumber`, `Offset`,
`Cursor`, `Relay`, `Before`) and `pages()` runs the loop, so no adapter hand-writes one.

There is no guessing (a paginator that misses the vendor's next-page sign would silently
return the first page only): every stream declares its paginator. Each one stops on an
empty or short page and refuses a page that does not advance (a repeated token or an
offset that does not move), which would otherwise be asked for again and again.

A paginator only says what the next request changes (`params`: query parameters for REST,
variables for GraphQL); the caller's `fetch` sends it, so the same paginators serve a GET
with a query string and a GraphQL POST.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from wizard.errors import VendorDataError

Params = dict[str, Any]
Fetch = Callable[[Params], Awaitable[Any]]


def select(body: Any, path: str | None) -> Any:
    """The value at a dotted path (`data`, `data.boards.0.items_page`); None where absent."""
    if not path:
        return body
    for part in path.split("."):
        if isinstance(body, dict):
            body = body.get(part)
        elif isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        else:
            return None
    return body


class Paginator:
    """How one stream pages: the first request's params, and from each answer the next's."""

    records_path: str | None = None  # where the records are in an answer; None: the answer is the list

    def first(self) -> Params:
        return {}

    def next(self, body: Any, records: list[Any], sent: Params) -> Params | None:
        """The params of the next request, or None when this was the last page."""
        raise NotImplementedError


@dataclass
class SinglePage(Paginator):
    records_path: str | None = None

    def next(self, body: Any, records: list[Any], sent: Params) -> Params | None:
        return None


@dataclass
class PageNumber(Paginator):
    size: int
    param: str = "page"
    size_param: str = "limit"
    start: int = 1
    records_path: str | None = None

    def first(self) -> Params:
        return {self.param: self.start, self.size_param: self.size}

    def next(self, body: Any, records: list[Any], sent: Params) -> Params | None:
        if len(records) < self.size:
            return None
        return {self.param: int(sent[self.param]) + 1, self.size_param: self.size}


@dataclass
class Offset(Paginator):
    limit: int
    param: str = "offset"
    limit_param: str = "limit"
    records_path: str | None = None

    def first(self) -> Params:
        return {self.param: 0, self.limit_param: self.limit}

    def next(self, body: Any, records: list[Any], sent: Params) -> Params | None:
        if len(records) < self.limit:
            return None
        return {self.param: int(sent[self.param]) + len(records), self.limit_param: self.limit}


@dataclass
class Cursor(Paginator):
    """The answer names the next page's token (Asana's `next_page.offset`, monday.com's
    `cursor`); no token (or an empty one) means the last page."""

    token_path: str
    param: str = "cursor"
    limit: int | None = None
    limit_param: str = "limit"
    records_path: str | None = None

    def first(self) -> Params:
        return {self.limit_param: self.limit} if self.limit else {}

    def next(self, body: Any, records: list[Any], sent: Params) -> Params | None:
        token = select(body, self.token_path)
        if token in (None, ""):
            return None
        return {**self.first(), self.param: token}


@dataclass
class Relay(Cursor):
    """GraphQL's connections: `pageInfo { hasNextPage endCursor }` beside the records."""

    token_path: str = "pageInfo.endCursor"
    has_next_path: str = "pageInfo.hasNextPage"
    param: str = "after"
    limit_param: str = "first"

    def next(self, body: Any, records: list[Any], sent: Params) -> Params | None:
        if not select(body, self.has_next_path):
            return None
        return super().next(body, records, sent)


@dataclass
class Before(Paginator):
    """Newest first, each page asked for records older than the oldest id seen (Trello's
    `before`, whose ids grow with time)."""

    limit: int
    param: str = "before"
    limit_param: str = "limit"
    id_field: str = "id"
    records_path: str | None = None

    def first(self) -> Params:
        return {self.limit_param: self.limit}

    def next(self, body: Any, records: list[Any], sent: Params) -> Params | None:
        ids = [r[self.id_field] for r in records if isinstance(r, dict) and isinstance(r.get(self.id_field), str)]
        if len(records) < self.limit or not ids:
            return None
        oldest = min(ids)
        before = sent.get(self.param)
        if before is not None and oldest >= before:
            return {**sent}  # no older record than last time: refused as a page that does not advance
        return {self.limit_param: self.limit, self.param: oldest}


async def pages(fetch: Fetch, paginator: Paginator, *, what: str, label: str) -> AsyncIterator[list[Any]]:
    """Every page of records, in the vendor's order. `what` and `label` name the stream and
    the vendor in the one sentence a malformed or stuck answer ends with."""
    params = paginator.first()
    seen: list[Params] = []
    previous: list[Any] | None = None
    while True:
        body = await fetch(params)
        records = select(body, paginator.records_path)
        if not isinstance(records, list):
            raise VendorDataError(f"{label} answered {what} with something that is not a list.")
        if records and records == previous:  # a vendor that ignores the page asked for
            raise _stuck(label, what, "the same records came again")
        yield records
        nxt = paginator.next(body, records, params)
        if nxt is None or not records:
            return
        if nxt == params or nxt in seen[-2:]:
            raise _stuck(label, what, "the same page was asked for again")
        seen.append(params)
        params, previous = nxt, records


def _stuck(label: str, what: str, why: str) -> VendorDataError:
    return VendorDataError(f"{label}'s pages of {what} do not advance ({why}); stopped reading them.")


async def records(fetch: Fetch, paginator: Paginator, *, what: str, label: str) -> AsyncIterator[Any]:
    """Every record of every page, one at a time."""
    async for page in pages(fetch, paginator, what=what, label=label):
        for record in page:
            yield record
