"""The webhook receiver's checks, on real deliveries signed Trello's way: what it refuses (each
with its audit line), what it takes, a replay known after a restart, and the sentence when the
signing secret is missing."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from adapters.trello.sandbox_webhooks import signature
from adapters.trello.webhooks import SCHEME
from wizard.cli import _signing_secret
from wizard.errors import UserError
from wizard.health import webhooks
from wizard.http import RecordRejected
from wizard.listen import Receiver, keep_in_step, register
from wizard.secrets import keep_webhook_secret, webhook_secret
from wizard.webhooks import Delivery, Registration, WebhookScheme

SECRET, PATH = "app-secret", "/webhooks/trello"
URL = "https://tunnel.example" + PATH


def _delivery(action_id: str, board: str = "b1") -> bytes:
    return json.dumps({"action": {"id": action_id, "type": "updateCard", "data": {"board": {"id": board}}}}).encode()


def _audit(folder: Path) -> list[dict]:
    return [json.loads(line)["details"] for line in (folder / "audit.log").read_text().splitlines()]


def _receiver(folder: Path) -> Receiver:
    r = Receiver(folder, "trello", SCHEME)
    r.route(PATH, URL, SECRET)
    return r


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path


def test_the_receiver_takes_signed_deliveries_once_and_refuses_the_rest(folder: Path) -> None:
    r = _receiver(folder)
    body = _delivery("a1")
    signed = {"x-trello-webhook": signature(SECRET, body, URL)}
    assert r.handle(PATH, {}, body).status == 401
    assert r.handle(PATH, {"x-trello-webhook": signature(SECRET, body, URL + "/other")}, body).status == 401
    assert r.handle(PATH, {"x-trello-webhook": signature("not-the-secret", body, URL)}, body).status == 401
    assert r.handle(PATH, {"x-trello-webhook": signature(SECRET, b"{}", URL)}, b"{}").status == 400
    assert r.pending == set()
    assert r.handle(PATH, signed, body).said == "accepted"
    assert r.handle(PATH, signed, body).status == 409
    assert r.take() == {"b1"} and r.take() == set()
    # a replay is known to the next listener too
    assert _receiver(folder).handle(PATH, signed, body).status == 409
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
    r = _receiver(folder)
    body = _delivery("a1")
    assert r.handle(PATH, {"x-trello-webhook": signature(SECRET, body, URL)}, body).status == 200
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
    r = _receiver(folder)

    async def sync() -> str:
        raise AssertionError("no delivery, no sync")

    await keep_in_step(folder, r, sync, 0.1, asyncio.Event(), time.time() + 0.5, lambda _: None)
    assert webhooks(folder).ok


async def test_the_listener_keeps_beating_through_a_long_sync(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wizard.listen.BEAT_S", 0.05)
    r = _receiver(folder)
    body = _delivery("a1")
    r.handle(PATH, {"x-trello-webhook": signature(SECRET, body, URL)}, body)
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


# A scheme whose vendor makes a secret per webhook, in a handshake during the create call (Asana's
# way) or in the create answer (ClickUp's): the receiver's side of both.
class _Vault:
    """A keyring that keeps what it is given, as a real backend does."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, account: str) -> str | None:
        return self.kept.get((service, account))

    def set_password(self, service: str, account: str, value: str) -> None:
        self.kept[(service, account)] = value

    def delete_password(self, service: str, account: str) -> None:
        del self.kept[(service, account)]


def _written_anywhere(folder: Path, text: str) -> bool:
    return any(text in p.read_text() for p in folder.rglob("*") if p.is_file())


def _hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _per_webhook_scheme(made: list[str], handshake: bool, receiver: list[Receiver]) -> WebhookScheme:
    """Registers by sending the handshake to the receiver (as the vendor does before its create
    call answers) or by answering with a secret; `made` holds the ids of webhooks created."""

    async def register(source: object, url: str, container: str, known: Callable[[str], bool]) -> Registration:
        existing = f"hook-{container}"
        if existing in made and known(existing):
            return Registration(existing)
        made.append(existing)
        secret = f"secret-{container}-{len(made)}"
        if handshake:
            path = url.removeprefix("https://tunnel.example")
            answer = receiver[0].handle(path, {"x-hook-secret": secret}, b"")
            assert answer.headers == {"x-hook-secret": secret}
            return Registration(existing)
        return Registration(existing, secret)

    def verify(headers: Mapping[str, str], body: bytes, _url: str, secret: str) -> bool:
        return hmac.compare_digest(headers.get("x-signature", ""), _hex(secret, body))

    def parse(body: bytes) -> Delivery | None:
        data = json.loads(body)
        return Delivery(id=data["id"]) if isinstance(data, dict) and "id" in data else None

    return WebhookScheme(
        secret_label="made per webhook",
        signature_header="x-signature",
        register=register,
        verify=verify,
        parse=parse,
        handshake_header="x-hook-secret" if handshake else "",
    )


@pytest.mark.parametrize("handshake", [True, False], ids=["handshake", "in-the-answer"])
async def test_each_webhook_is_checked_with_its_own_secret_kept_in_the_keyring(
    folder: Path, monkeypatch: pytest.MonkeyPatch, handshake: bool
) -> None:
    vault = _Vault()
    monkeypatch.setattr("wizard.secrets._keyring", lambda: vault)
    made: list[str] = []
    holder: list[Receiver] = []
    scheme = _per_webhook_scheme(made, handshake, holder)
    r = Receiver(folder, "asana", scheme)
    holder.append(r)
    assert await register(r, None, ["p1", "p 2"], "https://tunnel.example", "/webhooks/asana", "acme") == 0
    assert set(r.routes) == {"/webhooks/asana/p1", "/webhooks/asana/p%202"}
    assert sorted(vault.kept.values()) == ["secret-p 2-2", "secret-p1-1"]  # in the keyring, nowhere in the folder
    assert not _written_anywhere(folder, "secret-p")

    body = b'{"id": "e1"}'
    p1, p2 = "/webhooks/asana/p1", "/webhooks/asana/p%202"
    assert r.handle(p1, {"x-signature": _hex("secret-p 2-2", body)}, body).status == 401  # another webhook's secret
    # a handshake when no registration awaits one sets nothing (and is no delivery where there is none)
    assert r.handle(p1, {"x-hook-secret": "mine now"}, b"").status == (403 if handshake else 401)
    assert r.handle("/webhooks/asana/p3", {"x-signature": _hex("secret-p1-1", body)}, body).status == 404
    assert r.handle(p1, {"x-signature": _hex("secret-p1-1", body)}, body).said == "accepted"
    assert r.handle(p2, {"x-signature": _hex("secret-p 2-2", body)}, body).said == "accepted"  # its own change
    assert r.handle(p1, {"x-signature": _hex("secret-p1-1", body)}, body).status == 409
    heartbeat = b'{"beat": 1}'
    assert r.handle(p1, {"x-signature": _hex("secret-p1-1", heartbeat)}, heartbeat).status == 400
    assert r.take() == {"p1", "p 2"}

    # The next start finds each secret in the keyring and reuses each webhook; with the keyring
    # emptied, each webhook is registered again for a new secret.
    again = Receiver(folder, "asana", scheme)
    holder[0] = again
    assert await register(again, None, ["p1", "p 2"], "https://tunnel.example", "/webhooks/asana", "acme") == 0
    assert made == ["hook-p1", "hook-p 2"] and again.routes[p1].secret == "secret-p1-1"
    vault.kept.clear()
    monkeypatch.setattr("wizard.secrets._WEBHOOK_SECRETS", {})
    third = Receiver(folder, "asana", scheme)
    holder[0] = third
    await register(third, None, ["p1"], "https://tunnel.example", "/webhooks/asana", "acme")
    assert made == ["hook-p1", "hook-p 2", "hook-p1"] and third.routes[p1].secret == "secret-p1-3"


async def test_without_a_keyring_a_webhook_secret_lives_in_the_process_only(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wizard.secrets._keyring", lambda: None)
    monkeypatch.setattr("wizard.secrets._WEBHOOK_SECRETS", {})
    made: list[str] = []
    r = Receiver(folder, "clickup", _per_webhook_scheme(made, False, []))
    assert await register(r, None, ["l1"], "https://tunnel.example", "/webhooks/clickup", "acme") == 1
    assert r.routes["/webhooks/clickup/l1"].secret == "secret-l1-1"
    monkeypatch.setenv("MW_ACME_CLICKUP_WEBHOOK_HOOK_L1", "from-the-environment")
    monkeypatch.setattr("wizard.secrets._WEBHOOK_SECRETS", {})
    assert webhook_secret("acme", "clickup", "hook-l1") == "from-the-environment"


async def test_a_vendor_refusing_a_webhook_is_one_sentence_naming_the_callback(folder: Path) -> None:
    """The vendor's 400 on a registration (Asana's failed handshake, Trello's HEAD unanswered) is
    no traceback: one sentence saying which URL the vendor could not reach, and what to check."""

    async def refuse(source: object, url: str, container: str, known: Callable[[str], bool]) -> Registration:
        raise RecordRejected(400, "Could not complete activation handshake with target URL.", "Asana")

    scheme = _per_webhook_scheme([], True, [])
    for shared in (False, True):
        one = WebhookScheme(
            secret_label="",
            signature_header="x-signature",
            register=refuse,
            verify=scheme.verify,
            parse=scheme.parse,
            secret_part="secret" if shared else "",
        )
        r = Receiver(folder, "asana", one)
        if shared:
            r.route("/webhooks/asana", "https://tunnel.example/webhooks/asana", "s")
        with pytest.raises(UserError) as refused:
            await register(r, None, ["p1"], "https://tunnel.example", "/webhooks/asana", "acme")
        said = refused.value.sentence
        assert "Could not complete activation handshake" in said and "https://tunnel.example/webhooks/asana" in said
        assert "--public-url" in said and "p1" in said


async def test_a_webhook_the_vendor_replaced_takes_its_secret_out_of_the_keyring(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registration that deletes one of our webhooks (ClickUp's suspended one, Asana's
    inactive one, Pipefy's with other actions) and makes another leaves only the new one's
    secret in the keyring: the old entry opens nothing any more."""
    vault = _Vault()
    monkeypatch.setattr("wizard.secrets._keyring", lambda: vault)
    monkeypatch.setattr("wizard.secrets._WEBHOOK_SECRETS", {})
    scheme = _per_webhook_scheme([], False, [])

    async def replace(source: object, url: str, container: str, known: Callable[[str], bool]) -> Registration:
        assert known("hook-old")
        return Registration("hook-new", "secret-new", dropped=("hook-old",))

    keep_webhook_secret("acme", "clickup", "hook-old", "secret-old")
    r = Receiver(folder, "clickup", dataclasses.replace(scheme, register=replace))
    assert await register(r, None, ["l1"], "https://tunnel.example", "/webhooks/clickup", "acme") == 0
    assert list(vault.kept.values()) == ["secret-new"]
    assert webhook_secret("acme", "clickup", "hook-old") == ""
