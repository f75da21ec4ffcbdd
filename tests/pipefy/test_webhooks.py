"""Pipefy's webhooks, the sandbox's side and the scheme's checks: `createWebhook` refuses a
second webhook with the same URL and action on a pipe; each change to a card goes to the pipe's
webhooks that send its action, with their headers as given and nothing signed (reference §P6);
the scheme registers with a token of its own in a header, keeps a webhook whose token is known,
replaces one whose token is lost, and refuses a delivery without that token or with another."""

from __future__ import annotations

import json
import pickle

import httpx
import pytest
from graphql import parse, validate

from adapters import graphqlkit
from adapters.pipefy import webhooks
from adapters.pipefy.documents import SCHEMA
from adapters.pipefy.sandbox import PipefySandbox
from adapters.pipefy.sandbox_webhooks import suid
from tests import webhook_catcher
from tests.pipefy.conftest import TOKEN, source
from tests.webhook_catcher import Catcher

CREATE = (
    "mutation($p: ID!, $u: String!, $a: [String]!, $h: JSON) { createWebhook(input: "
    '{pipe_id: $p, name: "x", url: $u, actions: $a, headers: $h}) { webhook { id url actions headers } } }'
)


@pytest.fixture
def hook_url():
    yield from webhook_catcher.catcher()


def _gql(url: str, query: str, **variables: object) -> dict:
    r = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    return r.json()


def _card(sb: PipefySandbox) -> tuple[str, str, str]:
    """(pipe, a live card of it, another phase of that pipe, done)."""
    st = sb.state
    for p in st.pipes.values():
        for c in st.live_cards(p):
            done = next((ph for ph in p.phases if ph.done and ph.id != c.phase_id), None)
            if done is not None:
                return p.id, c.id, done.id
    raise AssertionError("the seed has no card outside a done phase")


def test_documents_validate_against_our_sdl() -> None:
    schema = graphqlkit.load_schema(SCHEMA)
    for name in ("pipe_webhooks", "create_webhook", "delete_webhook"):
        assert not validate(schema, parse(webhooks._doc(name))), name


def test_each_change_goes_to_the_webhooks_that_send_its_action_with_their_headers(
    served: tuple[PipefySandbox, str], hook_url: Catcher
) -> None:
    sb, url = served
    pipe, card, done = _card(sb)
    made = _gql(url, CREATE, p=pipe, u=hook_url.url, a=list(webhooks.ACTIONS), h={"X-Mine": "token-1"})
    hook = made["data"]["createWebhook"]["webhook"]
    assert hook["headers"] == {"X-Mine": "token-1"} and hook["url"] == hook_url.url
    again = _gql(url, CREATE, p=pipe, u=hook_url.url, a=["card.move"])
    assert again["data"]["createWebhook"] is None and "already exists" in again["errors"][0]["message"]
    assert hook_url.got == [], "Pipefy sends no challenge"
    mutate = f"{url}/_sandbox/mutate"
    httpx.post(mutate, json={"card_id": card, "title": "Renamed", "comment": "A note", "phase_id": done})
    got = hook_url.deliveries(4)
    assert [d["data"]["action"] for _, d in got] == [
        "card.field_update",
        "card.comment_create",
        "card.move",
        "card.done",
    ]
    for headers, body in got:
        assert headers["x-mine"] == "token-1" and "authorization" not in headers
        assert body["data"]["card"] == {"id": int(card), "title": "Renamed", "pipe_id": suid(pipe)}
    assert got[1][1]["data"]["comment"]["text"] == "A note"
    assert str(got[2][1]["data"]["to"]["id"]) == done
    listed = _gql(url, "query($p: ID!) { pipe(id: $p) { webhooks { id actions } } }", p=pipe)
    assert listed["data"]["pipe"]["webhooks"] == [{"id": hook["id"], "actions": list(webhooks.ACTIONS)}]


async def test_registration_keeps_a_known_token_and_replaces_a_lost_one(
    served: tuple[PipefySandbox, str], hook_url: Catcher
) -> None:
    sb, url = served
    pipe, card, _ = _card(sb)
    src = source(url)
    try:
        first = await webhooks.register(src, hook_url.url, pipe, lambda _id: False)
        assert first.id and len(first.secret) >= 32
        kept = await webhooks.register(src, hook_url.url, pipe, lambda hook: hook == first.id)
        assert (kept.id, kept.secret) == (first.id, "")  # the keyring's token stands
        replaced = await webhooks.register(src, hook_url.url, pipe, lambda _id: False)
        assert replaced.id != first.id and replaced.secret != first.secret
        assert [h["id"] for h in sb.state.webhooks.values()] == [replaced.id]
    finally:
        await src.aclose()
    httpx.post(f"{url}/_sandbox/mutate", json={"card_id": card, "comment": "A note"})
    ((headers, body),) = hook_url.deliveries(1)
    raw = json.dumps(body).encode()
    assert webhooks.verify(headers, raw, hook_url.url, replaced.secret)
    assert not webhooks.verify(headers, raw, hook_url.url, first.secret)
    assert not webhooks.verify({}, raw, hook_url.url, replaced.secret)
    delivery = webhooks.parse(raw)
    assert delivery is not None and delivery.kind == "card.comment_create" and delivery.container_id == ""
    assert webhooks.parse(b'{"data": {"action": "card.move"}}') is None


def test_a_world_saved_before_webhooks_has_none(served: tuple[PipefySandbox, str]) -> None:
    sb, _ = served
    saved = {k: v for k, v in sb.state.__dict__.items() if k != "webhooks"}
    older = type(sb.state).__new__(type(sb.state))
    older.__setstate__(saved)
    assert older.webhooks == {}
    assert pickle.loads(pickle.dumps(older)).webhooks == {}
