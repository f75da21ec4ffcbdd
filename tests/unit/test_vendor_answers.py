"""Answers a misbehaving vendor may give: pages that never advance, a board list of no
boards, a file the source will not give (issue 11, item 11). Unit tests: a mock transport."""

from __future__ import annotations

import httpx
import pytest

from adapters.tallyfy.client import TallyfyClient
from adapters.trello.client import TrelloClient
from adapters.trello.source import PAGE, TrelloSource
from wizard.errors import VendorDataError
from wizard.http import RecordRejected


def trello(handler) -> TrelloSource:
    return TrelloSource(
        TrelloClient("https://api.trello.com/1", "k", "t", transport=httpx.MockTransport(handler), max_retries=0)
    )


async def test_tallyfy_pages_that_do_not_advance_stop_with_one_sentence() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params["page"])
        return httpx.Response(
            200,
            json={
                "data": [{"id": "x"}],
                "meta": {
                    "pagination": {
                        "current_page": 1,
                        "total_pages": 9,
                        "links": {"next": "https://go.tallyfy.com/api/next"},
                    }
                },
            },
        )

    c = TallyfyClient("https://go.tallyfy.com/api", "t", "org", transport=httpx.MockTransport(handler), max_retries=0)
    with pytest.raises(VendorDataError, match=r"pages of .* do not advance \(asked for page 2, given page 1\)"):
        await c._all("organizations/org/runs")
    assert calls == ["1", "2"]
    await c.aclose()


async def test_trello_pages_that_repeat_stop_with_one_sentence() -> None:
    page = [{"id": f"{i:024x}", "name": "c"} for i in range(PAGE)]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params.get("before"))
        return httpx.Response(200, json=page)

    src = trello(handler)
    with pytest.raises(VendorDataError, match="do not advance"):
        async for _ in src._cards("b1", "open"):
            pass
    assert len(calls) == 2
    await src.client.aclose()


async def test_a_board_list_of_no_boards_is_one_sentence_not_an_empty_run() -> None:
    src = trello(lambda request: httpx.Response(200, json=[1, 2, 3]))
    with pytest.raises(VendorDataError, match="3 entries and none of them is a board"):
        await src.containers()
    await src.client.aclose()


async def test_a_download_the_source_refuses_is_named_as_the_sources() -> None:
    src = trello(lambda request: httpx.Response(404, text="file not found"))
    with pytest.raises(RecordRejected) as e:
        async for _ in src.client.download("cards/c1/attachments/a1/download/x.txt"):
            pass
    assert e.value.label == "Trello"
    await src.client.aclose()
