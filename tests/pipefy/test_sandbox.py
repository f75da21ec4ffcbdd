"""The Pipefy sandbox as the vendor answers: Bearer auth, Relay pages of at most 50, errors
with HTTP 200, its caps (complexity 50,000, depth 15) refused before running, 500 requests per
30 s, presigned file URLs that expire, and the awkward shapes a real organization holds."""

from __future__ import annotations

import json
from typing import Any

import httpx

from adapters.pipefy.documents import document
from adapters.pipefy.sandbox import PipefySandbox
from adapters.pipefy.sandbox_state import AWKWARD_TITLES, UNKNOWN_TYPE, build_state
from adapters.sandboxkit import SandboxServer
from tests.pipefy.conftest import TOKEN


def post(
    url: str, query: str, variables: dict[str, Any] | None = None, auth: str = f"Bearer {TOKEN}"
) -> httpx.Response:
    body = {"query": query, "variables": variables or {}}
    return httpx.post(f"{url}/graphql", json=body, headers={"Authorization": auth}, timeout=30)


def first_pipe(sb: PipefySandbox) -> str:
    return next(iter(sb.state.pipes))


def test_the_bearer_prefix_is_mandatory(served: tuple[PipefySandbox, str]) -> None:
    _, url = served
    assert post(url, document("whoami")).status_code == 200
    assert post(url, document("whoami"), auth=TOKEN).status_code == 401
    assert post(url, document("whoami"), auth="Bearer wrong").status_code == 401


def test_cards_come_in_relay_pages_of_at_most_50_to_the_end(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    pipe = first_pipe(sb)
    seen: list[str] = []
    after = None
    while True:
        r = post(url, document("cards"), {"pipeId": pipe, "first": 7, "after": after}).json()
        conn = r["data"]["allCards"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        assert len(conn["edges"]) <= 7
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [c.id for c in sb.state.live_cards(sb.state.pipes[pipe])]
    over = post(url, document("cards"), {"pipeId": pipe, "first": 51}).json()
    assert over["data"]["allCards"] is None and over["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


def test_an_unknown_field_and_a_missing_card_are_errors_with_http_200(served: tuple[PipefySandbox, str]) -> None:
    _, url = served
    r = post(url, "query { me { id shoeSize } }")
    assert r.status_code == 200 and "shoeSize" in r.json()["errors"][0]["message"]
    r = post(url, document("card_files"), {"id": "1"})
    assert r.status_code == 200 and r.json()["errors"][0]["extensions"]["code"] == "RESOURCE_NOT_FOUND"


def test_complexity_over_50000_and_depth_over_15_are_refused_before_running(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    pipe = first_pipe(sb)
    fat = document("cards").replace("allCards(", "a: allCards(")
    hop = "current_phase { cards(first: 1) { edges { node { %s } } } }"
    deep = "query Deep($c: ID!) { card(id: $c) { " + hop % (hop % (hop % "current_phase { fields { id } }")) + " } }"
    r = post(url, fat, {"pipeId": pipe, "first": 50}).json()
    assert r["data"]["a"]["edges"], "one page of 50 fits"
    cost = sb.complexity_log[-1]
    assert 10_000 < cost <= 50_000
    big = (
        "query Big($pipeId: ID!) {"
        + "".join(
            f" a{n}: allCards(pipeId: $pipeId, first: 50) {{ edges {{ node {{ ...CardFields }} }} }}" for n in range(3)
        )
        + " }\n"
        + document("cards").split("}\n\n", 1)[1]
    )
    r = post(url, big, {"pipeId": pipe}).json()
    assert r["data"] is None and r["errors"][0]["extensions"]["code"] == "COMPLEXITY_LIMIT_EXCEEDED"
    card = sb.state.live_cards(sb.state.pipes[pipe])[0].id
    r = post(url, deep, {"c": card}).json()
    assert r["data"] is None and "exceeds max depth of 15" in r["errors"][0]["message"]


def test_the_window_of_500_requests_per_30_s_answers_429() -> None:
    with SandboxServer(PipefySandbox(seed=1, scale="small")) as srv:  # a window of a real 30 s
        httpx.post(f"{srv.url}/_sandbox/limits", json={"window_requests": 3}, timeout=10)
        answers = [post(srv.url, document("whoami")) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["errors"][0]["extensions"]["code"] == "TOO_MANY_REQUESTS"


def test_a_presigned_url_downloads_until_it_expires_and_a_broken_file_fails(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    card = next(c for p in sb.state.pipes.values() for c in sb.state.live_cards(p) if c.file_paths)
    got = post(url, document("card_files"), {"id": card.id}).json()["data"]["card"]["attachments"]
    first = got[0]
    assert "expires_on=" in first["url"] and "signature=" in first["url"]
    r = httpx.get(first["url"], timeout=10)
    assert r.status_code == 200 and len(r.content) == sb.state.files[first["path"]].size
    forged = first["url"].replace("signature=", "signature=0")
    assert httpx.get(forged, timeout=10).status_code == 403
    httpx.post(f"{url}/_sandbox/limits", json={"url_ttl": -1}, timeout=10)
    stale = post(url, document("card_files"), {"id": card.id}).json()["data"]["card"]["attachments"][0]["url"]
    assert httpx.get(stale, timeout=10).status_code == 403
    httpx.post(f"{url}/_sandbox/limits", json={"url_ttl": 600}, timeout=10)
    ref = httpx.post(f"{url}/_sandbox/corrupt", json={"mode": "bad_file", "path": first["path"]}, timeout=10).json()
    assert ref["ref"].startswith("pipefy:attachment:")
    fresh = post(url, document("card_files"), {"id": card.id}).json()["data"]["card"]["attachments"][0]["url"]
    assert httpx.get(fresh, timeout=10).status_code == 500


def test_values_are_strings_and_multi_values_json_array_strings(served: tuple[PipefySandbox, str]) -> None:
    sb, url = served
    pipe = first_pipe(sb)
    edges = post(url, document("cards"), {"pipeId": pipe, "first": 50}).json()["data"]["allCards"]["edges"]
    values = [f for e in edges for f in e["node"]["fields"]]
    assert all(isinstance(f["value"], str) for f in values)
    multi = [f for f in values if f["field"]["type"] in ("checklist_vertical", "assignee_select", "label_select")]
    assert multi and all(isinstance(json.loads(f["value"]), list) for f in multi)


def test_the_awkward_shapes_are_seeded() -> None:
    st = build_state(3, "small")
    titles = {c.title for c in st.cards.values()}
    assert set(AWKWARD_TITLES) <= titles
    assert any(p.name == "" for pipe in st.pipes.values() for p in pipe.phases), "a blank phase name"
    assert any(not st.live_cards(p) for p in st.pipes.values()), "an empty pipe"
    assert any(c.deleted for c in st.cards.values()), "deleted cards"
    assert any(f.type == UNKNOWN_TYPE for p in st.pipes.values() for f in p.fields())
    assert any(c.connected_ids for c in st.cards.values())
    empty_phase = [
        ph
        for p in st.pipes.values()
        if st.live_cards(p)
        for ph in p.phases
        if ph.done and not any(c.phase_id == ph.id for c in st.live_cards(p))
    ]
    assert empty_phase, "an empty done phase"


def test_the_manifest_leaves_deleted_cards_out() -> None:
    sb = PipefySandbox(seed=3, scale="small")
    refs = {e.ref for e in sb.manifest().entries}
    gone = [c for c in sb.state.cards.values() if c.deleted]
    assert gone and not any(f"pipefy:card:{c.id}" in refs for c in gone)
    assert all(f"pipefy:comment:{x}" not in refs for c in gone for x in c.comment_ids)


def test_large_holds_ten_thousand_cards_thirty_thousand_comments_two_thousand_files() -> None:
    st = build_state(1, "large")
    live = [c for p in st.pipes.values() for c in st.live_cards(p)]
    assert len(live) >= 10_000
    assert sum(len(c.comment_ids) for c in live) >= 30_000
    assert sum(len(c.file_paths) for c in live) >= 2_000
