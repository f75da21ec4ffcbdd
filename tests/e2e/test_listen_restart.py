"""A listener started again at another address (a new port, a new tunnel) removes the webhooks
this folder registered for the old one: they point at an address nothing answers any more.
The client's own webhooks on the same boards stay. Through the real CLI against the sandboxes."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Served, cli, serve, stop
from tests.e2e.listening import BATCH_S, audit_lines, start_listening, started, wait_for, webhook_outcomes
from tests.e2e.test_before_after import twin
from wizard.secrets import SANDBOX_CREDENTIALS

TRELLO = SANDBOX_CREDENTIALS["trello"]
ASANA = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['asana']['token']}"}


class _Answers200(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def clients_own_receiver() -> Iterator[str]:
    """Some other receiver of the client's, which Trello checks with HEAD before it makes a webhook."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers200)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _hooks(s: Served) -> list[dict]:
    return httpx.get(f"{s.urls['trello']}/1/tokens/{TRELLO['token']}/webhooks", params=TRELLO, timeout=10).json()


def _listen(folder: Path, log: Path) -> str:
    proc = start_listening(folder, log, 60.0)
    try:
        return started(proc, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()


def test_a_listener_on_a_new_port_leaves_only_its_new_webhooks_and_the_clients_own(
    small: Served, tmp_path: Path, clients_own_receiver: str
) -> None:
    folder = small.folder
    assert cli("run", str(folder), "--yes").returncode == 0
    boards = sorted(b["id"] for b in small.export("trello")["boards"])
    theirs = httpx.post(
        f"{small.urls['trello']}/1/webhooks",
        params={**TRELLO, "callbackURL": f"{clients_own_receiver}/clients/own", "idModel": boards[0]},
        timeout=10,
    ).json()

    first = _listen(folder, tmp_path / "first.log")
    second = _listen(folder, tmp_path / "second.log")
    assert first != second, "each start listens on a port of its own"

    hooks = _hooks(small)
    assert sorted(h["idModel"] for h in hooks if h["callbackURL"] == second) == boards
    assert not [h for h in hooks if h["callbackURL"] == first], "the old address's webhooks are gone"
    assert [h["id"] for h in hooks if h["callbackURL"] == f"{clients_own_receiver}/clients/own"] == [theirs["id"]]
    assert f"Removed {len(boards)} webhook(s)" in (tmp_path / "second.log").read_text().replace("\n", " ")
    removed = [e["details"] for e in audit_lines(folder) if e["details"].get("outcome") == "removed"]
    assert len(removed) == len(boards)

    # Started again at the same address, nothing is removed and nothing is made twice.
    port = second.split(":")[2].split("/")[0]
    until = datetime.fromtimestamp(time.time() + 3).isoformat(timespec="seconds")
    again = cli("listen", str(folder), "--port", port, "--batch", "1s", "--until", until)
    assert again.returncode == 0, again.stderr
    hooks = _hooks(small)
    assert sorted(h["idModel"] for h in hooks if h["callbackURL"] == second) == boards
    assert len(hooks) == len(boards) + 1
    assert "Removed" not in again.stderr


def test_a_folder_that_recorded_none_finds_an_earlier_starts_webhooks_by_our_marker_and_path(
    small: Served, tmp_path: Path, clients_own_receiver: str
) -> None:
    """A listener of a version that kept no record, and marked no path with its folder's mark,
    left its webhook at an address now dead: the next start finds it at Trello by our
    description and that path, and removes it. The client's webhooks stay, even one calling the
    same path without our description; so does one with our description and that path whose
    address still answers (another folder's listener of that version, live)."""
    folder = small.folder
    assert cli("run", str(folder), "--yes").returncode == 0
    [board] = [b["id"] for b in small.export("trello")["boards"]]

    def made(description: str, url: str) -> str:
        params = {**TRELLO, "callbackURL": url, "idModel": board, "description": description}
        return httpx.post(f"{small.urls['trello']}/1/webhooks", params=params, timeout=10).json()["id"]

    gone = ThreadingHTTPServer(("127.0.0.1", 0), _Answers200)  # Trello checks the address with HEAD first
    threading.Thread(target=gone.serve_forever, daemon=True).start()
    earlier = made("migration-wizard listen", f"http://127.0.0.1:{gone.server_address[1]}/webhooks/trello")
    gone.shutdown()
    gone.server_close()
    kept = {
        made("theirs", f"{clients_own_receiver}/clients/own"),
        made("theirs", f"{clients_own_receiver}/webhooks/trello/x"),
        made("migration-wizard listen", f"{clients_own_receiver}/webhooks/trello"),
    }

    now = _listen(folder, tmp_path / "listen.log")
    hooks = {h["id"]: h["callbackURL"] for h in _hooks(small)}
    assert earlier not in hooks and kept <= set(hooks)
    assert sorted(hooks.values()).count(now) == 1 and len(hooks) == 4


@pytest.fixture
def asana(tmp_path: Path) -> Iterator[Served]:
    s = serve(
        tmp_path / "mig", "--systems", "asana,tallyfy", "--scale", "small", "--seed", "3", "--rate-scale", "0.001"
    )
    yield s
    stop(s)


def _asana_targets(s: Served) -> list[str]:
    ws = s.export("asana")["workspace"]["gid"]
    hooks = httpx.get(
        f"{s.urls['asana']}/api/1.0/webhooks",
        params={"workspace": ws, "opt_fields": "target,resource"},
        headers=ASANA,
        timeout=10,
    ).json()["data"]
    return sorted(h["target"] for h in hooks)


def test_asana_webhooks_with_their_own_secrets_go_with_the_old_address(asana: Served, tmp_path: Path) -> None:
    """Asana makes each webhook its own secret (in the handshake): the old address's webhooks
    are deleted at Asana when the listener starts on a new port, and the new ones are there."""
    assert cli("run", str(asana.folder), "--yes").returncode == 0
    projects = sorted(p["gid"] for p in asana.export("asana")["projects"])
    first = _listen(asana.folder, tmp_path / "first.log")
    second = _listen(asana.folder, tmp_path / "second.log")
    assert _asana_targets(asana) == sorted(f"{second}/{p}" for p in projects)
    assert first != second


def test_a_folder_that_lost_its_record_leaves_another_folders_live_webhooks(asana: Served, tmp_path: Path) -> None:
    """Two folders listen on the same Asana projects (which keep no description: a webhook is
    known by its callback path alone). One, started again without its record, finds and removes
    its own earlier webhooks by its folder's mark in their path; the other folder's live webhooks
    stay, and that folder still receives the changes."""
    one, other = asana.folder, twin(asana, tmp_path)
    for folder in (one, other):
        ran = cli("run", str(folder), "--yes")
        assert ran.returncode == 0, ran.stdout + ran.stderr
    projects = sorted(p["gid"] for p in asana.export("asana")["projects"])
    log = tmp_path / "one.log"
    proc = start_listening(one, log, BATCH_S)
    try:
        live = started(proc, log)
        _listen(other, tmp_path / "other-first.log")
        (other / "state" / "webhooks.json").unlink()
        again = _listen(other, tmp_path / "other-again.log")
        assert f"Removed {len(projects)} webhook(s)" in (tmp_path / "other-again.log").read_text().replace("\n", " ")
        assert _asana_targets(asana) == sorted(f"{url}/{p}" for url in (live, again) for p in projects)

        runs = {r["source_ref"] for r in asana.export("tallyfy")["runs"]}
        task = next(t["gid"] for t in asana.export("asana")["tasks"] if f"asana:task:{t['gid']}" in runs)
        renamed = httpx.put(
            f"{asana.urls['asana']}/api/1.0/tasks/{task}",
            json={"data": {"name": "Changed while both listened"}},
            headers=ASANA,
            timeout=10,
        )
        assert renamed.status_code == 200
        assert not wait_for(lambda: [] if webhook_outcomes(one, "accepted") else [task], BATCH_S + 30)

        def unsynced() -> list[str]:
            named = {r["source_ref"]: r["name"] for r in asana.export("tallyfy")["runs"]}
            done = [e for e in audit_lines(one) if e["command"] == "sync"]
            return [] if done and named[f"asana:task:{task}"] == "Changed while both listened" else [task]

        assert not wait_for(unsynced, BATCH_S + 30)
    finally:
        proc.send_signal(signal.SIGTERM)  # 130: stopped at a safe point of a later delivery's sync
        assert proc.wait(timeout=60) in (0, 130), log.read_text()
