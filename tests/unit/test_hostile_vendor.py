"""A vendor that misbehaves: echoes a secret, answers a read with a 4xx, sends a shape we
did not ask for. Each ends in one sentence (or a quarantined record), never a traceback,
and no secret survives into what we show or keep. On a mock transport; the reliability
suite runs the same against the sandboxes."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from adapters.tallyfy.client import TallyfyClient
from adapters.tallyfy.mapping import comment_content, neutralise, read_marker
from adapters.trello.client import TrelloClient
from adapters.trello.source import _download_path
from wizard.errors import CredentialError, PermissionDenied, UserError, VendorDataError
from wizard.http import ApiClient, ReadRejected, RecordRejected
from wizard.model import Attachment, Comment
from wizard.ratelimit import RateLimiter
from wizard.redact import redact, register

KEY, TOKEN = "k3y-0123456789abcdef", "t0ken-abcdefghijklmnopqrstuvwxyz012345"


def trello(handler) -> TrelloClient:
    return TrelloClient("http://x/1", KEY, TOKEN, transport=httpx.MockTransport(handler), max_retries=0)


@pytest.mark.parametrize(("status", "exc"), [(401, CredentialError), (403, PermissionDenied)])
async def test_a_refusal_that_echoes_the_key_and_token_shows_neither(status: int, exc: type) -> None:
    c = trello(lambda req: httpx.Response(status, text=f"invalid key {KEY} for token {TOKEN}"))
    with pytest.raises(exc) as e:
        await c.get("members/me")
    assert KEY not in e.value.sentence and TOKEN not in e.value.sentence
    assert "[redacted]" in e.value.sentence


async def test_a_422_that_quotes_the_authorization_header_is_redacted() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"message": "bad", "errors": {"header": [req.headers["authorization"]]}})

    c = TallyfyClient("http://x", "tally-token-0123456789abcdef", "org")
    c.http._transport = httpx.MockTransport(handler)
    with pytest.raises(RecordRejected) as e:
        await c.json("POST", "runs", json={})
    assert "tally-token-0123456789abcdef" not in str(e.value)
    assert "Bearer" not in str(e.value) or "[redacted]" in str(e.value)


def test_redact_knows_every_spelling_a_vendor_may_echo() -> None:
    register("s3cr3t/with+chars==")
    for spelled in ("s3cr3t/with+chars==", "s3cr3t%2Fwith%2Bchars%3D%3D", "s3cr3t%2Fwith%2Bchars%3D%3D"):
        assert "s3cr3t" not in redact(f"echo: {spelled}.")
    assert redact("nothing here") == "nothing here"


async def test_a_4xx_on_a_read_is_one_sentence_and_still_a_record_rejection() -> None:
    c = ApiClient(
        "http://x",
        limiter=RateLimiter([(100, 1.0)]),
        transport=httpx.MockTransport(lambda req: httpx.Response(404, text="The requested resource was not found.")),
        max_retries=0,
    )
    with pytest.raises(ReadRejected) as e:
        await c.get("boards/doesnotexist")
    assert isinstance(e.value, UserError) and isinstance(e.value, RecordRejected)
    assert "boards/doesnotexist" in e.value.sentence and "404" in e.value.sentence
    with pytest.raises(RecordRejected) as w:
        await c.json("POST", "boards", json={})
    assert not isinstance(w.value, UserError), "a refused write is a record to quarantine, not the end"


@pytest.mark.parametrize("body", [{"data": "str"}, {"data": 3}, "just text", [1, 2, 3], {"data": [1, "x"]}])
async def test_tallyfy_answers_of_the_wrong_shape_are_one_sentence(body: object) -> None:
    c = TallyfyClient(
        "http://x",
        "tally-token-0123456789abcdef",
        "org",
        transport=httpx.MockTransport(lambda req: httpx.Response(200, json=body)),
    )
    with pytest.raises(VendorDataError):
        await c.me()


@pytest.mark.parametrize(
    "pagination", [{"current_page": "one", "total_pages": 3}, {"current_page": 1, "total_pages": []}]
)
async def test_tallyfy_pagination_that_cannot_be_read_is_one_sentence(pagination: dict) -> None:
    body = {"data": [{"id": "a"}], "meta": {"pagination": pagination}}
    c = TallyfyClient(
        "http://x",
        "tally-token-0123456789abcdef",
        "org",
        transport=httpx.MockTransport(lambda req: httpx.Response(200, json=body)),
    )
    with pytest.raises(VendorDataError, match="pagination"):
        await c.list_tags()


def test_our_marker_is_read_by_position_not_by_the_first_match() -> None:
    c = Comment(
        key="trello:comment:A",
        item_key="trello:card:1",
        author_name="[mw:trello:comment:C]",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        text="see [mw:trello:comment:B] please",
    )
    content = comment_content(c, "Trello")
    assert read_marker(content) == "trello:comment:A"
    assert content.count("[mw:") == 1, "look-alikes are neutralised"
    assert neutralise(c.text).replace("\u2060", "") == c.text, "and the text still reads the same"
    assert read_marker("x [mw:trello:card:1] y [mw:trello:card:2]") == "trello:card:2"


@pytest.mark.parametrize("name", ["../../../../../members/me/boards", "..", ".", "a/b", "%2e%2e", "x?y#z"])
def test_a_download_url_is_built_from_ids_and_never_climbs(name: str) -> None:
    att = Attachment(key="trello:attachment:a1", item_key="trello:card:c1", name=name, size=11, file_name=name)
    path = _download_path(att)
    url = httpx.Client(base_url="http://h/1/").build_request("GET", path).url
    raw = url.raw_path.decode()
    assert raw.startswith("/1/cards/c1/attachments/a1/download/"), url
    assert raw.count("/") == 7 and "?" not in raw and "#" not in str(url), raw
    assert url.path.split("/download/", 1)[1] == name, "the file name itself is kept"


async def test_a_download_longer_than_declared_or_of_another_type_is_refused() -> None:
    c = trello(lambda req: httpx.Response(200, content=b"x" * 875, headers={"content-type": "application/json"}))
    with pytest.raises(RecordRejected, match="declared"):
        [b async for b in c.download("cards/c/attachments/a/download/f", size=875, mime_type="text/plain")]
    with pytest.raises(RecordRejected, match="more than the 11 bytes"):
        [b async for b in c.download("cards/c/attachments/a/download/f", size=11)]
    with pytest.raises(RecordRejected, match="875 of the 900"):
        [b async for b in c.download("cards/c/attachments/a/download/f", size=900)]
    assert b"".join([b async for b in c.download("cards/c/attachments/a/download/f", size=875)]) == b"x" * 875
