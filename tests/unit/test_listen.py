"""The webhook receiver's checks, on real deliveries signed Trello's way: what it refuses (each
with its audit line), what it takes, a replay known after a restart, and the sentence when the
signing secret is missing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from adapters.trello.sandbox_webhooks import signature
from adapters.trello.webhooks import SCHEME
from wizard.cli import _signing_secret
from wizard.errors import UserError
from wizard.health import webhooks
from wizard.listen import Receiver, keep_in_step

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


async def test_a_batch_whose_sync_fails_is_tried_again_and_health_says_so_meanwhile(folder: Path) -> None:
    (folder / "plan.toml").write_text("")  # health reads only the listener's heartbeat here
    r = Receiver(folder, "trello", SCHEME, SECRET, URL)
    body = _delivery("a1")
    assert r.handle({"x-trello-webhook": signature(SECRET, body, URL)}, body)[0] == 200
    stop, said, passes = asyncio.Event(), [], []

    async def sync() -> str:
        passes.append(time.monotonic())
        if len(passes) == 1:
            assert webhooks(folder).ok  # beating before the first pass
            raise UserError("Tallyfy kept failing on POST /runs after 6 retries.")
        assert (
            webhooks(folder).says == "The last batch's sync failed: Tallyfy kept failing on POST /runs after 6 retries."
        )
        stop.set()
        return "Sync: updated 1."

    await asyncio.wait_for(keep_in_step(folder, r, sync, 0.2, stop, None, said.append), timeout=10)
    assert len(passes) == 2 and said[-1] == "Sync: updated 1."
    assert any("The next batch tries again" in line for line in said)
    assert r.take() == set()


async def test_a_quiet_interval_runs_no_sync(folder: Path) -> None:
    r = Receiver(folder, "trello", SCHEME, SECRET, URL)

    async def sync() -> str:
        raise AssertionError("no delivery, no sync")

    await keep_in_step(folder, r, sync, 0.1, asyncio.Event(), time.time() + 0.5, lambda _: None)
    assert webhooks(folder).ok


async def test_the_listener_keeps_beating_through_a_long_sync(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wizard.listen.BEAT_S", 0.05)
    r = Receiver(folder, "trello", SCHEME, SECRET, URL)
    body = _delivery("a1")
    r.handle({"x-trello-webhook": signature(SECRET, body, URL)}, body)
    stop = asyncio.Event()
    beats: list[float] = []

    async def sync() -> str:
        for _ in range(5):
            await asyncio.sleep(0.05)
            beats.append(json.loads((folder / "state" / "listen.json").read_text())["heartbeat_at"])
        stop.set()
        return "Sync: updated 1."

    await asyncio.wait_for(keep_in_step(folder, r, sync, 0.1, stop, None, lambda _: None), timeout=10)
    assert len(set(beats)) >= 3, "the heartbeat moved on while the sync ran"
