"""The webhook receiver's checks, on real deliveries signed Trello's way: what it refuses (each
with its audit line), what it takes, a replay known after a restart, and the sentence when the
signing secret is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.trello.sandbox_webhooks import signature
from adapters.trello.webhooks import SCHEME
from wizard.cli import _signing_secret
from wizard.errors import UserError
from wizard.listen import Receiver

SECRET, URL = "app-secret", "https://tunnel.example/webhooks/trello"


def _delivery(action_id: str, board: str = "b1") -> bytes:
    return json.dumps({"action": {"id": action_id, "type": "updateCard", "data": {"board": {"id": board}}}}).encode()


def _audit(folder: Path) -> list[dict]:
    return [json.loads(line)["details"] for line in (folder / "audit.log").read_text().splitlines()]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path


def test_the_receiver_takes_signed_deliveries_once_and_refuses_the_rest(folder: Path) -> None:
    r = Receiver(folder, "trello", SCHEME, SECRET, URL)
    body = _delivery("a1")
    signed = {"x-trello-webhook": signature(SECRET, body, URL)}
    assert r.handle({}, body)[0] == 401
    assert r.handle({"x-trello-webhook": signature(SECRET, body, URL + "/other")}, body)[0] == 401
    assert r.handle({"x-trello-webhook": signature("not-the-secret", body, URL)}, body)[0] == 401
    assert r.handle({"x-trello-webhook": signature(SECRET, b"{}", URL)}, b"{}")[0] == 400
    assert r.pending == set()
    assert r.handle(signed, body) == (200, "accepted")
    assert r.handle(signed, body)[0] == 409
    assert r.take() == {"b1"} and r.take() == set()
    # a replay is known to the next listener too
    assert Receiver(folder, "trello", SCHEME, SECRET, URL).handle(signed, body)[0] == 409
    outcomes = [(d["outcome"], d.get("why", "")) for d in _audit(folder)]
    assert outcomes == [
        ("refused", "unsigned"),
        ("refused", "wrong signature"),
        ("refused", "wrong signature"),
        ("refused", "not a delivery we can read"),
        ("accepted", ""),
        ("refused", "replayed"),
        ("refused", "replayed"),
    ]


def test_a_missing_signing_secret_is_one_sentence_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MW_ACME_TRELLO_SECRET", raising=False)
    monkeypatch.setattr("wizard.secrets._keyring", lambda: None)
    with pytest.raises(UserError, match="set MW_ACME_TRELLO_SECRET"):
        _signing_secret("acme", "trello", "Trello", SCHEME)
    monkeypatch.setenv("MW_ACME_TRELLO_SECRET", SECRET)
    assert _signing_secret("acme", "trello", "Trello", SCHEME) == SECRET
