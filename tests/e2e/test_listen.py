"""`listen` through the real CLI against the sandboxes: the Trello sandbox registers the
listener's webhook (HEAD first) and sends each action the vendor's way, signed with the app
secret; 50 changes reach the target in the sync the next batch starts, a wrongly signed, an
unsigned and a replayed delivery are refused and logged, and a quiet interval writes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import signal
import time
from datetime import datetime
from pathlib import Path

import httpx

from tests.e2e.conftest import Served, cli
from tests.e2e.listening import (
    BATCH_S,
    audit_lines,
    quiet_interval_writes_nothing,
    start_listening,
    started,
    synced_in_one_batch,
)
from wizard.listen import callback_path
from wizard.secrets import SANDBOX_CREDENTIALS

CHANGES = 50
TRELLO = SANDBOX_CREDENTIALS["trello"]


def _sign(body: bytes, url: str) -> str:
    return base64.b64encode(hmac.new(TRELLO["secret"].encode(), body + url.encode(), hashlib.sha1).digest()).decode()


def test_listen_syncs_fifty_changes_in_one_batch_and_refuses_bad_deliveries(small: Served, tmp_path: Path) -> None:
    folder = small.folder
    assert cli("run", str(folder), "--yes").returncode == 0
    log = tmp_path / "listen.log"
    proc = start_listening(folder, log, BATCH_S)
    try:
        url = started(proc, log)
        assert url.startswith("http://127.0.0.1:") and url.endswith(callback_path(folder, "trello"))
        hooks = httpx.get(
            f"{small.urls['trello']}/1/tokens/{TRELLO['token']}/webhooks", params=TRELLO, timeout=10
        ).json()
        boards = {b["id"] for b in small.export("trello")["boards"]}
        assert {h["idModel"] for h in hooks if h["callbackURL"] == url} == boards

        # A quiet interval writes nothing: no sync pass, no call to the target.
        quiet_interval_writes_nothing(small, BATCH_S)
        assert [e["command"] for e in audit_lines(folder)].count("sync") == 0

        # 50 changes in the source, each delivered by the sandbox's webhook: every migrated card
        # renamed, and comments on them up to 50.
        runs = {r["source_ref"] for r in small.export("tallyfy")["runs"]}
        cards = [c for b in small.export("trello")["boards"] for c in b["cards"] if f"trello:card:{c['id']}" in runs]
        names = {c["id"]: f"Card {i} · changed while listening" for i, c in enumerate(cards[:CHANGES])}
        comments: set[str] = set()
        with httpx.Client(base_url=f"{small.urls['trello']}/1", params=TRELLO, timeout=10) as trello:
            for cid, name in names.items():
                assert trello.put(f"cards/{cid}", params={"name": name}).status_code == 200
            for i in range(CHANGES - len(names)):
                said = trello.post(
                    f"cards/{cards[i]['id']}/actions/comments", params={"text": f"Note {i} while listening"}
                )
                comments.add(f"trello:comment:{said.json()['id']}")
        changed_at = time.time()

        def missing() -> list[str]:
            target = small.export("tallyfy")["runs"]
            named = {r["source_ref"]: r["name"] for r in target}
            posted = {c["source_ref"] for r in target for c in r["comments"]}
            return [n for cid, n in names.items() if named[f"trello:card:{cid}"] != n] + sorted(comments - posted)

        deadline = time.monotonic() + BATCH_S + 30
        while missing() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not missing()
        taken = synced_in_one_batch(folder, CHANGES, BATCH_S, changed_at)

        # Refused, each with its audit line: unsigned, wrongly signed, replayed.
        board = next(iter(boards))
        replay = json.dumps(
            {"action": {"id": taken[0]["details"]["delivery"], "type": "updateCard", "data": {"board": {"id": board}}}}
        ).encode()
        fresh = replay.replace(taken[0]["details"]["delivery"].encode(), b"f" * 24)
        answers = [
            httpx.post(url, content=replay, timeout=10).status_code,
            httpx.post(url, content=fresh, headers={"X-Trello-Webhook": _sign(fresh, url + "x")}, timeout=10),
            httpx.post(url, content=replay, headers={"X-Trello-Webhook": _sign(replay, url)}, timeout=10),
        ]
        assert [answers[0], answers[1].status_code, answers[2].status_code] == [401, 401, 409]
        refused = [e["details"]["why"] for e in audit_lines(folder) if e["details"].get("outcome") == "refused"]
        assert refused == ["unsigned", "wrong signature", "replayed"]

        # health sees the listener; a quiet interval after the batch writes nothing again.
        health = cli("health", str(folder))
        assert health.returncode == 0 and "webhooks: ok — listening" in health.stdout, health.stdout
        quiet_interval_writes_nothing(small, BATCH_S)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()
    assert "webhooks: ok — no listener" in cli("health", str(folder)).stdout

    # Started again on the same address, it reuses the webhooks it registered: none twice.
    port = url.split(":")[2].split("/")[0]
    until = datetime.fromtimestamp(time.time() + 5).isoformat(timespec="seconds")
    again = cli("listen", str(folder), "--port", port, "--batch", "1s", "--until", until)
    assert again.returncode == 0, again.stderr
    hooks = httpx.get(f"{small.urls['trello']}/1/tokens/{TRELLO['token']}/webhooks", params=TRELLO, timeout=10).json()
    assert sorted(h["idModel"] for h in hooks if h["callbackURL"] == url) == sorted(boards)
    assert cli("audit", "verify", str(folder)).returncode == 0
