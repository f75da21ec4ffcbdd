"""Declared pagination: each paginator walks a fake vendor to its end, stops on a short or
empty page, and a page that does not advance ends in one sentence instead of a loop."""

from __future__ import annotations

from typing import Any

import pytest

from wizard.errors import VendorDataError
from wizard.paging import Before, Cursor, Offset, PageNumber, Paginator, Params, Relay, records

DATA = [{"id": f"{i:04d}"} for i in range(23)]


async def walk(paginator: Paginator, answer: Any) -> tuple[list[Any], list[Params]]:
    sent: list[Params] = []

    async def fetch(params: Params) -> Any:
        sent.append(dict(params))
        return answer(params)

    got = [r async for r in records(fetch, paginator, what="the things", label="Vendor")]
    return got, sent


async def test_page_number_and_offset_stop_on_a_short_page() -> None:
    got, sent = await walk(PageNumber(10), lambda p: DATA[(p["page"] - 1) * 10 : p["page"] * 10])
    assert got == DATA and [p["page"] for p in sent] == [1, 2, 3]
    got, sent = await walk(Offset(10), lambda p: DATA[p["offset"] : p["offset"] + 10])
    assert got == DATA and [p["offset"] for p in sent] == [0, 10, 20]
    got, sent = await walk(Offset(23), lambda p: DATA[p["offset"] : p["offset"] + 23])
    assert got == DATA and len(sent) == 2  # a full last page costs one empty page more


async def test_a_cursor_named_in_the_answer_is_followed_until_it_is_gone() -> None:
    def answer(p: Params) -> Any:
        start = int(p.get("offset") or 0)
        nxt = {"offset": str(start + 10)} if start + 10 < len(DATA) else None
        return {"data": DATA[start : start + 10], "next_page": nxt}

    got, sent = await walk(Cursor("next_page.offset", param="offset", limit=10, records_path="data"), answer)
    assert got == DATA and [p.get("offset") for p in sent] == [None, "10", "20"] and sent[1]["limit"] == 10


async def test_relay_follows_end_cursor_while_has_next_page() -> None:
    def answer(p: Params) -> Any:
        start = int(p.get("after") or 0)
        end = start + p["first"]
        page = {"nodes": DATA[start:end], "pageInfo": {"hasNextPage": end < len(DATA), "endCursor": str(end)}}
        return {"data": {"items": page}}

    got, sent = await walk(
        Relay(
            limit=10,
            records_path="data.items.nodes",
            token_path="data.items.pageInfo.endCursor",
            has_next_path="data.items.pageInfo.hasNextPage",
        ),
        answer,
    )
    assert got == DATA and [p.get("after") for p in sent] == [None, "10", "20"]


async def test_before_walks_back_from_the_newest() -> None:
    newest_first = DATA[::-1]

    def answer(p: Params) -> Any:
        older = [r for r in newest_first if "before" not in p or r["id"] < p["before"]]
        return older[: p["limit"]]

    got, sent = await walk(Before(10), answer)
    assert got == newest_first and [p.get("before") for p in sent] == [None, "0013", "0003"]


@pytest.mark.parametrize(
    "paginator",
    [Before(3), Cursor("next", limit=3), PageNumber(3, param="page")],
    ids=["before", "cursor", "page number ignored"],
)
async def test_a_page_that_does_not_advance_is_one_sentence_not_a_loop(paginator: Paginator) -> None:
    sent: list[Params] = []

    async def fetch(params: Params) -> Any:
        sent.append(params)
        page = DATA[:3]
        return {"data": page, "next": "same"} if isinstance(paginator, Cursor) else page

    if isinstance(paginator, Cursor):
        paginator.records_path = "data"
    with pytest.raises(VendorDataError, match="Vendor's pages of the things do not advance"):
        async for _ in records(fetch, paginator, what="the things", label="Vendor"):
            if len(sent) > 10:
                break
    assert len(sent) <= 3


async def test_an_answer_that_is_not_a_list_is_one_sentence() -> None:
    async def fetch(params: Params) -> Any:
        return {"error": "nope"}

    with pytest.raises(VendorDataError, match="Vendor answered the things with something that is not a list"):
        async for _ in records(fetch, Offset(10), what="the things", label="Vendor"):
            pass
