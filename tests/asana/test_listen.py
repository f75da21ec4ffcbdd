"""`listen` for Asana through the real CLI against the sandboxes: each project's webhook is
registered through Asana's handshake (the listener echoes `X-Hook-Secret` while the create call
waits), each task change is delivered the vendor's way (`{"events": [...]}`, hex HMAC-SHA256 of
the body in `X-Hook-Signature` under that webhook's own secret), and 50 changes reach the target
in one batch's sync, read back through the Events API. Unsigned, wrongly signed and replayed
deliveries are refused and logged; a heartbeat is answered and syncs nothing; a quiet interval
writes nothing; a webhook whose secret no keyring kept is registered again on the next start."""

from __future__ import annotations

import hashlib
import hmac
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Served, cli, serve, stop
from tests.e2e.listening import (
    BATCH_S,
    audit_lines,
    quiet_interval_writes_nothing,
    start_listening,
    started,
    synced_in_one_batch,
    wait_for,
    webhook_outcomes,
    writes,
)
from wizard.listen import callback_path
from wizard.secrets import SANDBOX_CREDENTIALS

CHANGES = 50
AUTH = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['asana']['token']}"}


@pytest.fixture
def asana(tmp_path: Path) -> Iterator[Served]:
    s = serve(
        tmp_path / "mig", "--systems", "asana,tallyfy", "--scale", "small", "--seed", "3", "--rate-scale", "0.001"
    )
    yield s
    stop(s)


def _hooks(s: Served) -> list[dict]:
    ws = s.export("asana")["workspace"]["gid"]
    return httpx.get(
        f"{s.urls['asana']}/api/1.0/webhooks",
        params={"workspace": ws, "opt_fields": "target,active,resource"},
        headers=AUTH,
        timeout=10,
    ).json()["data"]


def test_listen_registers_by_handshake_syncs_fifty_changes_and_refuses_bad_deliveries(
    asana: Served, tmp_path: Path
) -> None:
    folder = asana.folder
    assert cli("run", str(folder), "--yes").returncode == 0
    log = tmp_path / "listen.log"
    proc = start_listening(folder, log, BATCH_S)
    try:
        url = started(proc, log)
        assert url.startswith("http://127.0.0.1:") and url.endswith(callback_path(folder, "asana"))
        projects = {p["gid"] for p in asana.export("asana")["projects"]}
        hooks = _hooks(asana)
        assert {h["resource"]["gid"]: h["target"] for h in hooks} == {p: f"{url}/{p}" for p in projects}
        assert len(webhook_outcomes(folder, "handshake")) == len(projects)
        assert "X-Hook-Secret" not in log.read_text() and not list(folder.rglob("*secret*"))

        # A quiet interval writes nothing.
        quiet_interval_writes_nothing(asana, BATCH_S)
        assert [e["command"] for e in audit_lines(folder)].count("sync") == 0

        # 50 changes to migrated tasks, each delivered by its project's webhook: renames, the
        # first tasks renamed twice; the target ends with the last name of each.
        runs = {r["source_ref"] for r in asana.export("tallyfy")["runs"]}
        tasks = [t["gid"] for t in asana.export("asana")["tasks"] if f"asana:task:{t['gid']}" in runs]
        names: dict[str, str] = {}
        with httpx.Client(base_url=f"{asana.urls['asana']}/api/1.0", headers=AUTH, timeout=10) as api:
            for i in range(CHANGES):
                gid = tasks[i % len(tasks)]
                names[gid] = f"Task {i} · changed while listening"
                assert api.put(f"tasks/{gid}", json={"data": {"name": names[gid]}}).status_code == 200
        changed_at = time.time()

        def missing() -> list[str]:
            named = {r["source_ref"]: r["name"] for r in asana.export("tallyfy")["runs"]}
            return [name for gid, name in names.items() if named[f"asana:task:{gid}"] != name]

        assert not wait_for(missing, BATCH_S + 30)
        synced_in_one_batch(folder, CHANGES, BATCH_S, changed_at)

        # Refused, each with its audit line: unsigned, wrongly signed, replayed (the last
        # delivery sent again, byte for byte with its signature).
        project = sorted(projects)[0]
        body = b'{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"}}]}'
        wrong = hmac.new(b"not the secret", body, hashlib.sha256).hexdigest()
        answers = [
            httpx.post(f"{url}/{project}", content=body, timeout=10).status_code,
            httpx.post(f"{url}/{project}", content=body, headers={"X-Hook-Signature": wrong}, timeout=10).status_code,
            asana.post("asana", "webhooks/replay")["status"],
            httpx.post(f"{url}/{project}", headers={"X-Hook-Secret": "take this one"}, timeout=10).status_code,
        ]
        assert answers == [401, 401, 409, 403]
        refused = [d["why"] for d in webhook_outcomes(folder, "refused")]
        assert refused == ["unsigned", "wrong signature", "replayed", "unexpected handshake"]

        # Asana's heartbeat is answered and syncs nothing.
        before, synced = writes(asana), len([e for e in audit_lines(folder) if e["command"] == "sync"])
        assert asana.post("asana", "webhooks/heartbeat")["sent"] == len(projects)
        assert not wait_for(lambda: [1] if len(webhook_outcomes(folder, "heartbeat")) < len(projects) else [], 10)
        time.sleep(BATCH_S * 2)
        assert writes(asana) == before
        assert len([e for e in audit_lines(folder) if e["command"] == "sync"]) == synced
        assert all(h["last_success_at"] for h in _full_hooks(asana, hooks)), "Asana saw each webhook answered"

        health = cli("health", str(folder))
        assert health.returncode == 0 and "webhooks: ok — listening" in health.stdout, health.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()

    # Started again: the sandbox profile keeps no secret beyond its process, so each webhook
    # is registered again (the old one deleted), one per project still.
    port = url.split(":")[2].split("/")[0]
    until = datetime.fromtimestamp(time.time() + 5).isoformat(timespec="seconds")
    again = cli("listen", str(folder), "--port", port, "--batch", "1s", "--until", until)
    assert again.returncode == 0, again.stderr
    after = _hooks(asana)
    assert sorted(h["resource"]["gid"] for h in after) == sorted(projects)
    assert not {h["gid"] for h in after} & {h["gid"] for h in hooks}
    assert cli("audit", "verify", str(folder)).returncode == 0


def _full_hooks(s: Served, hooks: list[dict]) -> list[dict]:
    return [
        httpx.get(f"{s.urls['asana']}/api/1.0/webhooks/{h['gid']}", headers=AUTH, timeout=10).json()["data"]
        for h in hooks
    ]
