"""TrelloSource end to end: the real TrelloClient over HTTP against TrelloSandbox on loopback.

Checks what a migration relies on: who the token is, that a bad token stops with one
sentence, that extraction returns exactly what the sandbox holds within the call budget,
that attachment bytes arrive intact, that 429s, the lock-out and injected faults are
survived, that malformed data is quarantined or refused, and that the change feed sees edits.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from adapters.sandboxkit import Faults, SandboxServer
from adapters.trello.client import TrelloClient
from adapters.trello.sandbox import TrelloSandbox
from adapters.trello.source import TrelloSource
from wizard.adapter import SourceLeftOut, SourceRejected
from wizard.errors import VendorDataError
from wizard.model import Attachment, Comment, Item, Template
from wizard.secrets import SANDBOX_CREDENTIALS

CREDS = SANDBOX_CREDENTIALS["trello"]
HEADER = {"Authorization": f'OAuth oauth_consumer_key="{CREDS["key"]}", oauth_token="{CREDS["token"]}"'}


def serve(sb: TrelloSandbox) -> Iterator[tuple[TrelloSandbox, str]]:
    with SandboxServer(sb) as srv:
        yield sb, srv.url


@pytest.fixture
def small_sb() -> Iterator[tuple[TrelloSandbox, str]]:
    yield from serve(TrelloSandbox(seed=1, scale="small", rate_limits="off"))


@pytest.fixture(scope="module")
def medium_sb() -> Iterator[tuple[TrelloSandbox, str]]:
    yield from serve(TrelloSandbox(seed=2, scale="medium", rate_limits="off"))


@pytest.fixture
async def source_factory() -> AsyncIterator[Any]:
    made: list[TrelloSource] = []

    def make(url: str, creds: dict[str, str] | None = None, **kw: Any) -> TrelloSource:
        src = TrelloSource.connect(url + "/1", creds or CREDS, profile="sandbox", **kw)
        made.append(src)
        return src

    yield make
    for s in made:
        await s.aclose()


async def collect(src: TrelloSource, board_id: str, include_archived: bool = False) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {
        "template": [],
        "item": [],
        "comment": [],
        "attachment": [],
        "rejected": [],
        "left_out": [],
    }
    last_item: str | None = None
    async for obj in src.extract(board_id, include_archived=include_archived):
        kind = {
            Template: "template",
            Item: "item",
            Comment: "comment",
            Attachment: "attachment",
            SourceRejected: "rejected",
            SourceLeftOut: "left_out",
        }[type(obj)]
        out[kind].append(obj)
        # the documented order: the template first; each file (nested in the card listing) and
        # each comment (read board-wide before the cards) right after its card, so the run
        # writes them as each card is written (`follow_their_item`)
        assert kind == "template" or len(out["template"]) == 1, "the template comes first"
        if kind == "item":
            last_item = obj.key
        elif kind in ("attachment", "comment"):
            assert obj.item_key == last_item, f"{obj.key} right after its card"
    return out


def expected(board: dict[str, Any], include_archived: bool) -> dict[str, set[str]]:
    archived_lists = {lst["id"] for lst in board["lists"] if lst["closed"]}
    cards = {c["id"] for c in board["cards"] if include_archived or not (c["closed"] or c["idList"] in archived_lists)}
    return {
        "item": cards,
        "comment": {c["id"] for c in board["comments"] if c["card_id"] in cards},
        "attachment": {a["id"] for a in board["attachments"] if a["card_id"] in cards},
    }


def ids(objs: list[Any]) -> set[str]:
    return {o.source_id for o in objs}


# -- connect -----------------------------------------------------------------------------
async def test_whoami_names_the_member_and_the_workspace(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    who = await source_factory(url).whoami()
    me = sb.state.members[sb.state.me]
    assert who.user == f"{me['fullName']} (@{me['username']})"
    assert who.workspace == "Acme Consulting"
    assert who.detail == me["email"]


async def test_sandbox_accepts_query_auth_but_downloads_need_the_header(small_sb: Any) -> None:
    sb, url = small_sb
    board = sb.export()["boards"][0]
    att = next(a for a in board["attachments"] if a["isUpload"] and a["bytes"])
    path = f"/1/cards/{att['card_id']}/attachments/{att['id']}/download/{att['fileName']}"
    async with httpx.AsyncClient(base_url=url) as h:
        r = await h.get("/1/members/me", params={"key": CREDS["key"], "token": CREDS["token"]})
        assert r.status_code == 200 and "x-rate-limit-api-token-remaining" in r.headers
        r = await h.get("/1/members/me", params={"key": "nope", "token": CREDS["token"]})
        assert (r.status_code, r.text) == (401, "invalid key")
        r = await h.get(path, params={"key": CREDS["key"], "token": CREDS["token"]})
        assert (r.status_code, r.text) == (401, "unauthorized permission requested")
        r = await h.get(path, headers=HEADER)
        assert r.status_code == 200 and len(r.content) == att["bytes"]
        assert r.headers["content-type"].startswith(att["mimeType"])
        big = next(a for a in board["attachments"] if a["isUpload"] and a["bytes"] > 1024 * 1024)
        r = await h.get(f"/1/cards/{big['card_id']}/attachments/{big['id']}/download/{big['fileName']}", headers=HEADER)
        assert r.status_code == 302 and "signature=" in r.headers["location"]  # big files: off to signed storage
        stored = await h.get(r.headers["location"])
        assert stored.status_code == 200 and hashlib.sha256(stored.content).hexdigest() == big["sha256"]
        forged = await h.get(r.headers["location"].replace("signature=", "signature=1"))
        assert forged.status_code == 401
        r = await h.get("/1/nowhere", headers=HEADER)
        assert (r.status_code, r.text) == (404, "Cannot GET /1/nowhere")
        r = await h.get("/1/cards/not-an-id", headers=HEADER)
        assert (r.status_code, r.text) == (400, "invalid id")
        assert "x-rate-limit-api-key-max" in r.headers and "retry-after" not in r.headers


# -- extraction --------------------------------------------------------------------------
@pytest.mark.parametrize("include_archived", [False, True])
async def test_extract_small_equals_the_sandbox_export(
    small_sb: Any, source_factory: Any, include_archived: bool
) -> None:
    sb, url = small_sb
    board = sb.export()["boards"][0]
    src = source_factory(url)
    got = await collect(src, board["id"], include_archived)
    want = expected(board, include_archived)
    assert not got["rejected"]
    [tpl] = got["template"]
    assert len(tpl.stages) == len(board["lists"]) and any(s.closed for s in tpl.stages)
    assert {f.type.value for f in tpl.fields} == {"checkbox", "dropdown", "number", "text", "date"}
    assert len(tpl.tags) == len(board["labels"]) and len(tpl.people) == len(board["members"])
    # Every object once, in order, is the conformance suite's (tests/conformance/test_source.py);
    # here, that each one carries what the card holds.
    assert ids(got["item"]) == want["item"]
    by_id = {c["id"]: c for c in board["cards"]}
    for item in got["item"]:
        card = by_id[item.source_id]
        assert (item.name, item.description, item.closed) == (card["name"], card["desc"], card["closed"])
        assert len(item.values) == len(card["customFieldItems"])
        assert sum(len(c.items) for c in item.checklists) == sum(len(c["checkItems"]) for c in card["checklists"])
    assert any(not a.is_upload for a in got["attachment"])
    if include_archived:  # the zero-byte file may sit on a card in the archived list
        assert any(a.size == 0 and a.is_upload for a in got["attachment"])


@pytest.mark.parametrize("seed", [1, 2])  # seed 1: the card listing nests no checklists; seed 2: it does
async def test_every_checklist_item_arrives_whether_or_not_the_listing_nests_them(
    seed: int, source_factory: Any
) -> None:
    for sb, url in serve(TrelloSandbox(seed=seed, scale="small", rate_limits="off")):
        board = sb.export()["boards"][0]
        assert next(iter(sb.state.boards.values())).nests_checklists is (seed % 2 == 0)
        got = await collect(source_factory(url), board["id"], include_archived=True)
        want = {c["id"]: sum(len(k["checkItems"]) for k in c["checklists"]) for c in board["cards"]}
        assert sum(want.values()) > 20
        assert {i.source_id: sum(len(c.items) for c in i.checklists) for i in got["item"]} == want


async def test_cards_in_archived_lists_follow_include_archived(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    board = sb.export()["boards"][0]
    archived = {lst["id"] for lst in board["lists"] if lst["closed"]}
    in_archived = {c["id"] for c in board["cards"] if c["idList"] in archived and not c["closed"]}
    assert in_archived  # the seed puts open cards in the archived list "Old sprint"
    left = await collect(source_factory(url), board["id"], include_archived=False)
    assert {o.key.rsplit(":", 1)[1] for o in left["left_out"]} == in_archived
    assert all("archived list" in o.reason for o in left["left_out"])
    assert not in_archived & ids(left["item"])
    kept = await collect(source_factory(url), board["id"], include_archived=True)
    assert in_archived <= ids(kept["item"]) and not kept["left_out"]


async def test_extract_medium_equals_export_within_the_call_budget(medium_sb: Any, source_factory: Any) -> None:
    sb, url = medium_sb
    export = sb.export()
    src = source_factory(url)
    total_cards = total_comments = 0
    for board in export["boards"]:
        got = await collect(src, board["id"])
        want = expected(board, False)
        for kind in ("item", "comment", "attachment"):
            assert ids(got[kind]) == want[kind] and len(got[kind]) == len(want[kind]), kind
        total_cards += len(want["item"])
        total_comments += len(board["comments"])
    comment_pages = sum(math.ceil((len(b["comments"]) + 1) / 1000) for b in export["boards"])
    budget = 15 * math.ceil(total_cards / 1000) + comment_pages
    # measured: per board 1 board call + 1 checklists call + 1 card page (its files nested,
    # yielded right after each card: no second pass) + 4 comment pages, and once per source
    # /members/me (the only member whose email Trello shows)
    assert src.calls == 15, src.client.calls_by_route
    assert src.calls <= budget


async def test_attachment_bytes_equal_the_exported_sha256(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    board = sb.export()["boards"][0]
    src = source_factory(url)
    sha = {a["id"]: a["sha256"] for a in board["attachments"] if a["isUpload"]}
    got = (await collect(src, board["id"], include_archived=True))["attachment"]
    uploads = [a for a in got if a.is_upload]
    assert len(uploads) == len(sha)
    sizes = []
    for att in uploads:
        h = hashlib.sha256()
        n = 0
        async for chunk in src.open_attachment(att):
            h.update(chunk)
            n += len(chunk)
        assert (n, h.hexdigest()) == (att.size, sha[att.source_id]), att.name
        sizes.append(n)
    assert 0 in sizes and max(sizes) > 1_000_000  # the zero-byte file and a multi-chunk one


# -- limits and faults -------------------------------------------------------------------
async def test_429_from_a_spent_token_window_is_waited_out(source_factory: Any) -> None:
    sb = TrelloSandbox(seed=3, scale="small", rate_limits="documented", window_scale=0.1)  # 100 per 1 s
    with SandboxServer(sb) as srv:
        board = sb.export()["boards"][0]
        with sb.lock:  # another process has just spent this token's window
            while sb.limits.admit(CREDS["key"], CREDS["token"]) is None:
                pass
        async with httpx.AsyncClient(base_url=srv.url, headers=HEADER) as h:
            r = await h.get("/1/members/me/boards")
            assert (r.status_code, r.json()["error"]) == (429, "API_TOKEN_LIMIT_EXCEEDED")
            assert r.headers["x-rate-limit-api-token-interval-ms"] == "1000"
            assert r.headers["x-rate-limit-api-token-remaining"] == "0" and "retry-after" not in r.headers
        src = source_factory(srv.url)
        started = time.monotonic()
        got = await collect(src, board["id"], include_archived=True)
        assert src.client.rate_limited >= 1  # it met the 429 ...
        assert time.monotonic() - started < 5  # ... and waited about one window, not a fixed back-off
        assert ids(got["item"]) == expected(board, True)["item"]
        assert src.client.limiter.windows[0].period == pytest.approx(1.0)  # learned from the headers


async def test_lockout_after_200_rejections_and_members_limit() -> None:
    sb = TrelloSandbox(seed=1, scale="small", rate_limits="documented", window_scale=1.0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url="http://t", headers=HEADER) as h:
        errors = []
        for _ in range(302):
            r = await h.get("/1/members/me/boards")
            errors.append(r.json().get("error") if r.status_code == 429 else r.status_code)
        assert errors[:100] == [200] * 100
        assert set(errors[100:301]) == {"API_TOKEN_LIMIT_EXCEEDED"}
        assert errors[301] == "API_KEY_LIMIT_EXCEEDED"  # locked out for the rest of the window
        assert r.headers["x-rate-limit-api-key-remaining"] == "200"
    sb = TrelloSandbox(seed=1, scale="small", rate_limits="documented", window_scale=0.02)  # token 0.2 s, members 18 s
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url="http://t", headers=HEADER) as h:
        for _ in range(60):
            assert (await h.get("/1/members/me")).status_code == 200
        await asyncio.sleep(0.25)
        for _ in range(40):
            assert (await h.get("/1/members/me")).status_code == 200
        r = await h.get("/1/members/me")
        assert (r.status_code, r.json()["error"]) == (429, "MEMBER_LIMIT_EXCEEDED")
        assert (await h.get("/1/members/me/boards")).status_code == 200  # nested routes do not count


async def test_twenty_percent_faults_still_yield_the_complete_set(source_factory: Any) -> None:
    sb = TrelloSandbox(
        seed=4, scale="small", rate_limits="documented", window_scale=0.05, faults=Faults.uniform(0.2, seed=8)
    )
    with SandboxServer(sb) as srv:
        board = sb.export()["boards"][0]
        src = source_factory(srv.url)
        got = await collect(src, board["id"], include_archived=True)
        want = expected(board, True)
        for kind in ("item", "comment", "attachment"):
            assert ids(got[kind]) == want[kind] and len(got[kind]) == len(want[kind]), kind
        sha = {a["id"]: a["sha256"] for a in board["attachments"]}
        for att in (a for a in got["attachment"] if a.is_upload):
            h = hashlib.sha256()
            async for chunk in src.open_attachment(att):
                h.update(chunk)
            assert h.hexdigest() == sha[att.source_id], att.name
        statuses = {k.rsplit(" ", 1)[1] for k in sb.stats}
        assert {"429", "503"} <= statuses and src.client.retries > 0
        assert "206" in statuses  # a cut download resumed with Range instead of starting over


# -- malformed data ----------------------------------------------------------------------
async def test_bad_card_is_quarantined_and_the_rest_extracted(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    board = sb.export()["boards"][0]
    async with httpx.AsyncClient(base_url=url) as h:
        target = next(
            a["card_id"]
            for a in board["attachments"]
            if any(c["card_id"] == a["card_id"] for c in board["comments"])
            and next(c for c in board["cards"] if c["id"] == a["card_id"])["visible"]
        )
        card_id = (await h.post("/_sandbox/corrupt", json={"mode": "bad_card", "card_id": target})).json()["card_id"]
    got = await collect(source_factory(url), board["id"])
    rej = got["rejected"][0]
    assert rej.key == f"trello:card:{card_id}" and rej.kind == "card" and "'name'" in rej.reason
    assert ids(got["item"]) == expected(board, False)["item"] - {card_id}
    assert card_id not in {c.item_key.rsplit(":", 1)[1] for c in got["comment"]}
    # its comments and files are reported as quarantined with it, not silently lost
    orphans = {r.key for r in got["rejected"][1:]}
    assert orphans == {f"trello:comment:{c['id']}" for c in board["comments"] if c["card_id"] == card_id} | {
        f"trello:attachment:{a['id']}" for a in board["attachments"] if a["card_id"] == card_id
    }
    assert all(card_id in r.reason for r in got["rejected"][1:])


async def test_not_json_board_raises_vendor_data_error(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    async with httpx.AsyncClient(base_url=url) as h:
        await h.post("/_sandbox/corrupt", json={"mode": "not_json"})
    with pytest.raises(VendorDataError) as err:
        await collect(source_factory(url), sb.export()["boards"][0]["id"])
    assert "not JSON" in err.value.sentence


async def test_nested_cards_with_actions_on_a_big_board_are_refused(medium_sb: Any) -> None:
    sb, url = medium_sb
    bid = sb.export()["boards"][0]["id"]
    async with httpx.AsyncClient(base_url=url, headers=HEADER) as h:
        ok = await h.get(f"/1/boards/{bid}", params={"cards": "all", "actions": "none"})
        assert ok.status_code == 200 and len(ok.json()["cards"]) == 1000
        big = TrelloSandbox(seed=2, scale="large", rate_limits="off")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=big.app), base_url="http://t", headers=HEADER
        ) as b:
            big_id = next(iter(big.state.boards))
            r = await b.get(f"/1/boards/{big_id}", params={"cards": "all"})  # actions default to all
            assert (r.status_code, r.json()["error"]) == (400, "API_TOO_MANY_CARDS_REQUESTED")
            r = await b.get(f"/1/boards/{big_id}/cards", params={"limit": 1001})
            assert (r.status_code, r.text) == (400, "invalid value for limit")


# -- batch and sync ----------------------------------------------------------------------
async def test_batch_answers_each_route_with_its_status(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    bid = sb.export()["boards"][0]["id"]
    src = source_factory(url)
    out = await src.client.batch([f"/boards/{bid}/lists", "/cards/5f0000000000000000000000", "/nope"])
    assert [s for s, _ in out] == [200, 404, 404] and isinstance(out[0][1], list)
    with pytest.raises(ValueError):
        await src.client.batch(["/boards/x"] * 11)


async def test_changes_since_reports_edits_creations_deletions_and_comments(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    bid = sb.export()["boards"][0]["id"]
    src = source_factory(url)
    baseline = await src.changes_since(bid, None)
    assert baseline is not None and baseline.cursor and not baseline.changed_item_ids
    async with httpx.AsyncClient(base_url=url) as h:
        mutated = (await h.post("/_sandbox/mutate", json={"fraction": 0.1, "seed": 5})).json()["changed"]
    assert mutated
    list_id = next(iter(sb.state.boards[bid].lists))
    created = await src.client.json("POST", "cards", params={"idList": list_id, "name": "Fresh card"})
    victim = next(c for c in sb.export()["boards"][0]["cards"] if c["id"] not in mutated and c["visible"])["id"]
    await src.client.json("DELETE", f"cards/{victim}")
    note = await src.client.json("POST", f"cards/{mutated[0]}/actions/comments", params={"text": "Synced? ✅"})
    changes = await src.changes_since(bid, baseline.cursor)
    assert changes is not None
    assert changes.changed_item_ids == {f"trello:card:{c}" for c in [*mutated, created["id"]]}
    assert changes.deleted_item_ids == {f"trello:card:{victim}"}
    assert changes.new_comment_ids == {f"trello:comment:{note['id']}"}
    assert changes.cursor and changes.cursor > baseline.cursor
    again = await src.changes_since(bid, changes.cursor)
    assert again is not None and not (again.changed_item_ids or again.deleted_item_ids or again.new_comment_ids)
    assert again.cursor == changes.cursor
    by_date = await src.changes_since(bid, "2020-01-01T00:00:00Z")  # an ISO date works as a cursor too
    assert by_date is not None and changes.changed_item_ids <= by_date.changed_item_ids | by_date.deleted_item_ids


# -- the client on its own -----------------------------------------------------------------
class _CutStream(httpx.AsyncByteStream):
    """Sends the first part of a body, then fails like a dropped connection."""

    def __init__(self, data: bytes, cut: int | None) -> None:
        self.data, self.cut = data, cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.cut is None:
            yield self.data
            return
        yield self.data[: self.cut]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


async def test_download_restarts_after_a_cut_and_delivers_each_byte_once() -> None:
    """A server that ignores Range answers 200 with the whole file: the client must skip
    what it already delivered, so the consumer sees every byte exactly once."""

    data = bytes(range(256)) * 1000
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        cut = 70_000 if len(seen) == 1 else None
        return httpx.Response(200, stream=_CutStream(data, cut), headers={"content-length": str(len(data))})

    client = TrelloClient("http://t/1", CREDS["key"], CREDS["token"], transport=httpx.MockTransport(handler))
    try:
        got = b"".join([c async for c in client.download("cards/a/attachments/b/download/f.bin")])
    finally:
        await client.aclose()
    assert got == data
    assert len(seen) == 2 and seen[1].headers["range"] in ("bytes=65536-", "bytes=70000-")  # what was delivered
    assert "token=" not in str(seen[0].url) and seen[0].headers["authorization"].startswith("OAuth ")


def test_sandbox_is_deterministic_and_reseedable() -> None:
    a, b = TrelloSandbox(seed=8), TrelloSandbox(seed=8)
    assert a.export() == b.export()
    counts = {k: sum(len(bd[k]) for bd in a.export()["boards"]) for k in ("cards", "comments", "attachments")}
    assert counts == {"cards": 40, "comments": 120, "attachments": 15}
    a.reset_state({"seed": 9})
    assert a.export() != b.export() and a.export()["seed"] == 9
    ids = [c["id"] for bd in a.export()["boards"] for c in bd["cards"]]
    assert all(re.fullmatch(r"[0-9a-f]{24}", i) for i in ids) and ids == sorted(ids)  # creation time leads the id


async def test_sandbox_pages_actions_and_cards_by_id_and_by_date() -> None:
    sb = TrelloSandbox(seed=1, scale="small", rate_limits="off")
    board = sb.export()["boards"][0]
    comments = sorted(board["comments"], key=lambda c: c["id"], reverse=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sb.app), base_url="http://t", headers=HEADER) as h:
        url = f"/1/boards/{board['id']}/actions"
        for c in comments[::9]:
            for bound, keep in (
                ("since", lambda x, at=c["date"]: x["date"] > at),
                ("before", lambda x, at=c["date"]: x["date"] < at),
            ):
                got = (await h.get(url, params={"filter": "commentCard", "limit": 1000, bound: c["date"]})).json()
                assert [a["id"] for a in got] == [x["id"] for x in comments if keep(x)], (bound, c["date"])
            older = (await h.get(url, params={"filter": "commentCard", "limit": 1000, "before": c["id"]})).json()
            assert [a["id"] for a in older] == [x["id"] for x in comments if x["id"] < c["id"]]
        assert len((await h.get(url, params={"filter": "commentCard"})).json()) == 50  # default limit
        page2 = (await h.get(url, params={"filter": "commentCard", "limit": 10, "page": 2})).json()
        assert [a["id"] for a in page2] == [x["id"] for x in comments[20:30]]
        assert (await h.get(url, params={"before": "soon"})).text == "invalid value for before"
        cards = (await h.get(f"/1/boards/{board['id']}/cards", params={"filter": "all", "limit": 15})).json()
        rest = (
            await h.get(
                f"/1/boards/{board['id']}/cards", params={"filter": "all", "limit": 1000, "before": cards[-1]["id"]}
            )
        ).json()
        seen = [c["id"] for c in cards + rest]
        assert seen == sorted((c["id"] for c in board["cards"]), reverse=True)  # newest id first, no gap or overlap


async def test_boards_with_more_labels_than_the_nested_limit_lose_none(small_sb: Any, source_factory: Any) -> None:
    sb, url = small_sb
    board = sb.state.boards[sb.export()["boards"][0]["id"]]
    with sb.lock:
        for i in range(60):
            lid = f"{0x66000000 + i:08x}" + "c" * 16
            board.labels[lid] = {"id": lid, "idBoard": board.id, "name": f"Client {i}", "color": "sky"}
    src = source_factory(url)
    got = await collect(src, board.id)
    assert len(got["template"][0].tags) == len(board.labels) == 66
    assert src.client.calls_by_route.get("GET /boards/{id}/labels") == 1


def _rate_headers(remaining: int, interval_ms: int = 1000) -> dict[str, str]:
    return {
        "x-rate-limit-api-token-interval-ms": str(interval_ms),
        "x-rate-limit-api-token-max": "100",
        "x-rate-limit-api-token-remaining": str(remaining),
        "x-rate-limit-api-key-interval-ms": str(interval_ms),
        "x-rate-limit-api-key-max": "300",
        "x-rate-limit-api-key-remaining": "250",
    }


async def test_client_waits_only_the_rest_of_the_window_and_members_limit_pauses_only_members() -> None:
    calls: list[tuple[float, str]] = []
    member_429s = [1]

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((time.monotonic(), request.url.path))
        if request.url.path.endswith("/members/me") and member_429s:
            member_429s.pop()
            return httpx.Response(
                429,
                json={"error": "MEMBER_LIMIT_EXCEEDED", "message": "Rate limit exceeded"},
                headers=_rate_headers(90),
            )
        if len(calls) == 2:  # the token window, which started with call 1, is spent
            return httpx.Response(
                429,
                json={"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"},
                headers=_rate_headers(0),
            )
        return httpx.Response(
            200, json={"id": "5b02e7f4e1facdc393169f9d"}, headers=_rate_headers(99 if len(calls) == 1 else 50)
        )

    client = TrelloClient(
        "http://t/1",
        CREDS["key"],
        CREDS["token"],
        window_scale=0.001,  # members window 0.9 s
        transport=httpx.MockTransport(handler),
    )
    try:
        await client.get("boards/x")  # remaining 99: the window starts now
        await asyncio.sleep(0.3)
        await client.get("boards/x")  # 429: the rest of the 1 s window is ~0.7 s
        gap = calls[2][0] - calls[1][0]
        assert 0.5 < gap < 0.95, gap
        started = time.monotonic()
        await client.get_member("me")  # MEMBER_LIMIT_EXCEEDED: wait out the members bucket (0.9 s) ...
        assert time.monotonic() - started >= 0.8
        assert client.limiter.paused_until < time.monotonic() + 0.5  # ... without pausing every other route
        assert client.rate_limited == 2
    finally:
        await client.aclose()


# -- the sandbox's manifest ----------------------------------------------------------------
async def test_the_manifest_flags_what_the_board_archives(small_sb: Any) -> None:
    """The manifest comes from the sandbox's own state (GET /_sandbox/export); that the
    extraction yields each of its open objects once, under that very ref, is the conformance
    suite's (tests/conformance/test_source.py)."""
    _, url = small_sb
    async with httpx.AsyncClient(base_url=url) as h:
        exported = (await h.get("/_sandbox/export")).json()
    manifest = exported["manifest"]
    # what is archived is flagged from the state: the cards of a closed list, and their children
    closed_lists = {lst["id"] for b in exported["boards"] for lst in b["lists"] if lst["closed"]}
    hidden = {c["id"] for b in exported["boards"] for c in b["cards"] if c["idList"] in closed_lists}
    by_ref = {e["ref"]: e for e in manifest}
    assert hidden and all(by_ref[f"trello:card:{cid}"]["archived"] for cid in hidden)
    assert {e["kind"] for e in manifest} >= {"container", "stage", "item", "comment", "attachment", "checklist_item"}
