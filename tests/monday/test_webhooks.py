"""monday.com's webhooks, the sandbox's side and the scheme's checks: a webhook is made only
once its URL echoes the challenge; each change of an item, its updates and its subitems is
delivered to the webhooks of its board that want it, the vendor's way (reference M6), with a
JWT the scheme verifies; the scheme refuses a JWT for another URL, another secret or expired,
reads a subitem's delivery as its parent board's, and answers only a challenge."""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from graphql import build_schema, parse, validate

from adapters.monday import webhooks
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.sandbox_webhooks import token
from adapters.monday.spec import SANDBOX_CREDENTIALS
from tests import webhook_catcher
from tests.webhook_catcher import Catcher
from wizard.listen import Receiver

SECRET = SANDBOX_CREDENTIALS["secret"]
CREATE = (
    "mutation($b: ID!, $u: String!, $e: WebhookEventType!, $c: JSON) "
    "{ create_webhook(board_id: $b, url: $u, event: $e, config: $c) { id board_id event config } }"
)


@pytest.fixture
def hook_url() -> Iterator[Catcher]:
    yield from webhook_catcher.catcher()


def _gql(url: str, query: str, **variables: object) -> dict:
    r = httpx.post(
        f"{url}/v2",
        json={"query": query, "variables": variables},
        headers={"Authorization": "sandbox-monday-token"},
        timeout=30,
    )
    return r.json()


def _board_with_subitems(sb: MondaySandbox) -> tuple[str, str, str]:
    """(board, a live item with subitems, one of its subitems)."""
    st = sb.state
    for b in st.boards.values():
        if b.type != "board" or b.state != "active":
            continue
        for iid in b.item_ids:
            it = st.items[iid]
            if not st.item_archived(it) and it.subitem_ids:
                return b.id, it.id, it.subitem_ids[0]
    raise AssertionError("the seed has no item with subitems")


def test_documents_validate_against_the_pinned_sdl(shared_sdl: str) -> None:
    schema = build_schema(shared_sdl)
    for name in ("board_webhooks", "create_webhook", "delete_webhook"):
        assert not validate(schema, parse(webhooks._doc(name))), name


def test_a_webhook_is_made_only_once_its_url_echoes_the_challenge(
    served: tuple[MondaySandbox, str], hook_url: Catcher
) -> None:
    sb, url = served
    board, _, _ = _board_with_subitems(sb)
    hook_url.echoing = False
    refused = _gql(url, CREATE, b=board, u=hook_url.url, e="change_name")
    assert refused["data"]["create_webhook"] is None
    assert refused["errors"][0]["message"] == "Failed to communicate with URL provided."
    assert sb.state.webhooks == {}
    challenge = hook_url.got[0][1]
    assert set(challenge) == {"challenge"} and len(challenge["challenge"]) >= 32
    hook_url.echoing = True
    made = _gql(url, CREATE, b=board, u=hook_url.url, e="change_specific_column_value", c={"columnId": "status"})
    assert made["data"]["create_webhook"]["event"] == "change_specific_column_value"
    assert json.loads(made["data"]["create_webhook"]["config"]) == {"columnId": "status"}
    listed = _gql(url, "query($b: ID!) { webhooks(board_id: $b) { id event board_id } }", b=board)
    assert listed["data"]["webhooks"] == [
        {"id": made["data"]["create_webhook"]["id"], "event": "change_specific_column_value", "board_id": board}
    ]


def test_each_change_goes_to_the_webhooks_that_want_it_signed_for_their_url(
    served: tuple[MondaySandbox, str], hook_url: Catcher
) -> None:
    sb, url = served
    board, item, sub = _board_with_subitems(sb)
    ids = {e: _gql(url, CREATE, b=board, u=hook_url.url, e=e)["data"]["create_webhook"]["id"] for e in webhooks.EVENTS}
    httpx.post(f"{url}/_sandbox/mutate", json={"item_id": item, "name": "Renamed", "update": "A note"})
    httpx.post(f"{url}/_sandbox/mutate", json={"item_id": sub, "name": "Sub renamed"})
    got = hook_url.deliveries(3)
    assert [(d["event"]["type"], str(d["event"]["subscriptionId"])) for _, d in got] == [
        ("update_name", ids["change_name"]),
        ("create_update", ids["create_update"]),
        ("update_name", ids["change_subitem_name"]),
    ]
    renamed, noted, subitem = (d["event"] for _, d in got)
    assert (renamed["pulseId"], renamed["boardId"], renamed["value"]) == (int(item), int(board), {"name": "Renamed"})
    assert noted["textBody"] == "A note" and str(noted["updateId"]) in sb.state.updates
    assert (subitem["parentItemId"], subitem["parentItemBoardId"]) == (item, board)
    assert len({d["event"]["triggerUuid"] for _, d in got}) == 3
    for headers, _ in got:
        claims = jwt.decode(headers["authorization"], SECRET, algorithms=["HS256"], audience=hook_url.url)
        assert claims["accountId"] == sb.state.account_id and claims["exp"] > time.time()
    # the scheme reads each as its board's, the subitem's as its parent board's, and checks its JWT
    for headers, body in got:
        raw = json.dumps(body).encode()
        assert webhooks.verify(headers, raw, hook_url.url, SECRET)
        delivery = webhooks.parse(raw)
        assert delivery is not None and delivery.container_id == board
    assert sb.deliveries.sent and {s["status"] for s in sb.deliveries.sent} == {200}


def test_a_saved_state_holds_its_webhooks_but_not_the_sender(served: tuple[MondaySandbox, str]) -> None:
    sb, _ = served
    sb.state.webhooks["1"] = {"id": "1", "board_id": "2", "url": "http://x", "event": "change_name", "config": None}
    back = pickle.loads(pickle.dumps(sb.state))
    assert back.on_event is None and back.webhooks == sb.state.webhooks
    sb.state = back
    assert sb.state.on_event is not None
    saved_before_webhooks = {k: v for k, v in back.__dict__.items() if k != "webhooks"}
    older = type(back).__new__(type(back))
    older.__setstate__(saved_before_webhooks)
    assert older.webhooks == {}


def test_the_scheme_refuses_a_jwt_for_another_url_secret_or_time(served: tuple[MondaySandbox, str]) -> None:
    sb, _ = served
    url = "https://tunnel.example/webhooks/monday"
    good = {"authorization": token(sb.state, SECRET, url)}
    assert webhooks.verify(good, b"{}", url, SECRET)
    assert not webhooks.verify(good, b"{}", url + "/other", SECRET)
    assert not webhooks.verify(good, b"{}", url, "not-the-secret-" * 3)
    assert not webhooks.verify({"authorization": token(sb.state, "not-the-secret-" * 3, url)}, b"{}", url, SECRET)
    assert not webhooks.verify({}, b"{}", url, SECRET)
    old = time.time() - 3600
    expired = jwt.encode({"aud": url, "iat": int(old), "exp": int(old) + 300}, SECRET, algorithm="HS256")
    assert not webhooks.verify({"authorization": expired}, b"{}", url, SECRET)
    unsigned = jwt.encode({"aud": url, "iat": int(time.time()), "exp": int(time.time()) + 300}, None, algorithm="none")
    assert not webhooks.verify({"authorization": unsigned}, b"{}", url, SECRET)


def test_a_delivery_is_named_by_its_webhook_and_trigger_and_only_a_challenge_is_answered() -> None:
    event = {"event": {"subscriptionId": 7, "triggerUuid": "abc", "boardId": 1, "type": "update_name"}}
    parsed = webhooks.parse(json.dumps(event).encode())
    assert parsed is not None and (parsed.id, parsed.container_id, parsed.kind) == ("7:abc", "1", "update_name")
    assert webhooks.parse(b'{"event": {"boardId": 1}}') is None
    assert webhooks.parse(b"not json") is None
    assert webhooks.challenge(b'{"challenge": "xyz"}') == b'{"challenge": "xyz"}'
    assert webhooks.challenge(json.dumps(event).encode()) is None
    assert webhooks.challenge(b'{"challenge": "xyz", "event": {}}') is None


def test_the_receiver_echoes_a_challenge_only_while_a_registration_awaits_it(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    r = Receiver(tmp_path, "monday", webhooks.SCHEME)
    route = r.route("/webhooks/monday", "https://tunnel.example/webhooks/monday", SECRET)
    challenge = b'{"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}'
    assert r.handle("/webhooks/monday", {}, challenge).status == 403
    route.awaiting_handshake = True
    answer = r.handle("/webhooks/monday", {}, challenge)
    assert (answer.status, answer.content_type) == (200, "application/json")
    assert json.loads(answer.said) == json.loads(challenge)
    assert r.pending == set()
