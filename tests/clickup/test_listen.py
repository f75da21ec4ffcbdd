"""`listen` for ClickUp through the real CLI against the sandboxes: each list's webhook is
created on its Workspace and comes back with its own `secret` (kept in the keyring, never in a
file); each task change is delivered the vendor's way (`{"event", "history_items", "task_id",
"webhook_id"}`, hex HMAC-SHA256 of the body in `X-Signature` under that webhook's secret), and
50 changes reach the target in one batch's sync, read back from the lists. Unsigned, wrongly
signed and replayed deliveries are refused and logged; a quiet interval writes nothing; a
second start reuses each webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
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
)
from wizard.listen import callback_path
from wizard.secrets import SANDBOX_CREDENTIALS

CHANGES = 50
AUTH = {"Authorization": SANDBOX_CREDENTIALS["clickup"]["token"]}


@pytest.fixture
def clickup(tmp_path: Path) -> Iterator[Served]:
    s = serve(
        tmp_path / "mig", "--systems", "clickup,tallyfy", "--scale", "small", "--seed", "3", "--rate-scale", "0.001"
    )
    yield s
    stop(s)


def _hooks(s: Served) -> list[dict]:
    team = s.export("clickup")["team"]
    return httpx.get(f"{s.urls['clickup']}/api/v2/team/{team}/webhook", headers=AUTH, timeout=10).json()["webhooks"]


def test_listen_registers_each_list_syncs_fifty_changes_and_refuses_bad_deliveries(
    clickup: Served, tmp_path: Path
) -> None:
    folder = clickup.folder
    assert cli("run", str(folder), "--yes").returncode == 0
    log = tmp_path / "listen.log"
    proc = start_listening(folder, log, BATCH_S)
    try:
        url = started(proc, log)
        assert url.startswith("http://127.0.0.1:") and url.endswith(callback_path(folder, "clickup"))
        lists = {lst["id"] for lst in clickup.export("clickup")["lists"]}
        hooks = _hooks(clickup)
        assert {h["list_id"]: h["endpoint"] for h in hooks} == {lid: f"{url}/{lid}" for lid in lists}
        secrets = [h["secret"] for h in hooks]
        assert not any(s in log.read_text() for s in secrets)
        assert not any(s in p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() for s in secrets)

        # A quiet interval writes nothing.
        quiet_interval_writes_nothing(clickup, BATCH_S)
        assert [e["command"] for e in audit_lines(folder)].count("sync") == 0

        # 50 changes to migrated tasks through ClickUp's Update Task, each delivered by its
        # list's webhook: renames, the first tasks renamed twice.
        runs = {r["source_ref"] for r in clickup.export("tallyfy")["runs"]}
        tasks = [t for lst in clickup.export("clickup")["lists"] for t in lst["tasks"] if f"clickup:task:{t}" in runs]
        names: dict[str, str] = {}
        with httpx.Client(base_url=f"{clickup.urls['clickup']}/api/v2", headers=AUTH, timeout=10) as api:
            for i in range(CHANGES):
                tid = tasks[i % len(tasks)]
                names[tid] = f"Task {i} · changed while listening"
                assert api.put(f"task/{tid}", json={"name": names[tid]}).status_code == 200
        changed_at = time.time()

        def missing() -> list[str]:
            named = {r["source_ref"]: r["name"] for r in clickup.export("tallyfy")["runs"]}
            return [name for tid, name in names.items() if named[f"clickup:task:{tid}"] != name]

        assert not wait_for(missing, BATCH_S + 30)
        taken = synced_in_one_batch(folder, CHANGES, BATCH_S, changed_at)
        assert {e["details"]["kind"] for e in taken} == {"taskUpdated"}

        # Refused, each with its audit line: unsigned, wrongly signed, replayed (the last
        # delivery sent again, byte for byte with its signature); one list's secret on
        # another list's webhook is wrong there too.
        first, second = sorted(lists)[:2]
        body = json.dumps({"event": "taskUpdated", "history_items": [{"id": "1"}], "task_id": tasks[0]}).encode()
        other = next(h["secret"] for h in hooks if h["list_id"] == second)
        wrong = hmac.new(other.encode(), body, hashlib.sha256).hexdigest()
        answers = [
            httpx.post(f"{url}/{first}", content=body, timeout=10).status_code,
            httpx.post(f"{url}/{first}", content=body, headers={"X-Signature": wrong}, timeout=10).status_code,
            clickup.post("clickup", "webhooks/replay")["status"],
        ]
        assert answers == [401, 401, 409]
        assert [d["why"] for d in webhook_outcomes(folder, "refused")] == ["unsigned", "wrong signature", "replayed"]
        assert all(h["health"]["status"] in ("active", "failing") for h in _hooks(clickup))

        health = cli("health", str(folder))
        assert health.returncode == 0 and "webhooks: ok — listening" in health.stdout, health.stdout
        quiet_interval_writes_nothing(clickup, BATCH_S)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()

    # Started again: ClickUp lists each webhook with its secret, so each is reused, none twice.
    port = url.split(":")[2].split("/")[0]
    until = datetime.fromtimestamp(time.time() + 5).isoformat(timespec="seconds")
    again = cli("listen", str(folder), "--port", port, "--batch", "1s", "--until", until)
    assert again.returncode == 0, again.stderr
    assert sorted(h["id"] for h in _hooks(clickup)) == sorted(h["id"] for h in hooks)
    assert cli("audit", "verify", str(folder)).returncode == 0
