"""`sync DIR --every` keeps a migration in step until cut-over: killed with SIGKILL in the middle
of a pass, started again, with the target's API gone for a while (its server stopped) and back
on the same address, it goes on, and every card and comment made in the source since the run
is in the target exactly once. Checked from the sandboxes' own exports."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from adapters.sandboxkit import SandboxServer
from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.trello.sandbox import TrelloSandbox
from tests.e2e.test_cli_flow import check_complete
from tests.reliability.conftest import InProcess
from tests.reliability.harness import JournalWatch, run_cli, start_cli, store_loads, tally
from wizard.audit import check_chain
from wizard.secrets import SANDBOX_CREDENTIALS


def _schedule(folder: Path) -> dict:
    try:
        return json.loads((folder / "state" / "schedule.json").read_text())
    except (OSError, ValueError):
        return {}


def _wait(folder: Path, what: str, ok: Callable[[dict], bool], proc: subprocess.Popen, timeout: float = 120) -> dict:
    """The schedule's record once `ok` holds, while `proc` keeps running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"sync --every ended while waiting for {what}: {out}{err}")
        if ok(s := _schedule(folder)):
            return s
        time.sleep(0.1)
    raise AssertionError(f"no {what} in {timeout:.0f} s: {_schedule(folder)}")


class Trello:
    """Changes made by the client in Trello, through its API, after the run."""

    def __init__(self, url: str) -> None:
        c = SANDBOX_CREDENTIALS["trello"]
        self.url, self.auth = url, {"key": c["key"], "token": c["token"]}
        board = httpx.get(f"{url}/1/members/me/boards", params=self.auth).json()[0]["id"]
        self.lists = [x["id"] for x in httpx.get(f"{url}/1/boards/{board}/lists", params=self.auth).json()]

    def new_cards(self, n: int, tag: str) -> None:
        for i in range(n):
            r = httpx.post(
                f"{self.url}/1/cards",
                params={**self.auth, "idList": self.lists[i % len(self.lists)], "name": f"{tag} {i}"},
            )
            assert r.status_code == 200, r.text
            for j in range(2):
                c = httpx.post(
                    f"{self.url}/1/cards/{r.json()['id']}/actions/comments", params={**self.auth, "text": f"{tag} {j}"}
                )
                assert c.status_code == 200, c.text


@pytest.mark.slow
def test_sync_every_survives_kill_9_and_a_target_restart_with_nothing_doubled(tmp_path: Path) -> None:
    trello = TrelloSandbox(seed=6, scale="small", rate_limits="off")
    tallyfy = TallyfySandbox(seed=6, rate_limits="off")
    sb = InProcess(tmp_path / "mig", trello, tallyfy, source_scale=0.001, target_scale=0.001)
    folder = sb.folder
    procs = []
    try:
        r = run_cli("run", str(folder), "--yes")
        assert r.returncode == 0, r.stderr
        client = Trello(sb.urls["trello"])
        client.new_cards(12, "Before the kill")

        # 1. killed with SIGKILL while a pass writes
        watch = JournalWatch(folder)
        watch.poll()
        proc = start_cli("sync", str(folder), "--every", "2s")
        procs.append(proc)
        assert watch.wait_in_flight(set(), proc, timeout=120), "the pass was writing when killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        store_loads(folder)
        assert _schedule(folder)["last_end"] is None, "the pass was cut off part-way"

        # 2. started again while the target's API is down: the passes fail, the loop goes on
        port = sb.running.servers["tallyfy"].port
        sb.running.servers["tallyfy"].stop()
        client.new_cards(5, "During the outage")
        proc = start_cli("sync", str(folder), "--every", "2s")
        procs.append(proc)
        down = _wait(folder, "failed pass", lambda s: s.get("last_exit") not in (None, 0), proc, timeout=180)
        assert down["last_result"], "the failed pass says why"

        # 3. the target is back on the same address: the next pass finishes what was cut off
        restarted = SandboxServer(tallyfy, port=port).start()
        sb.running.stack.callback(restarted.stop)
        failed_so_far = _schedule(folder)["passes"]
        # the record keeps the last ended pass's exit while the next runs: no window to miss
        _wait(folder, "pass after the restart", lambda s: s["passes"] > failed_so_far and s["last_exit"] == 0, proc)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, out + err
        assert "Traceback" not in err

        export_trello, export_tallyfy = sb.export("trello"), sb.export("tallyfy")
        t = tally(export_trello, export_tallyfy)
        assert (t.duplicates, t.lost) == (0, 0), t.per_kind
        check_complete(export_trello, export_tallyfy)
        names = {r["name"] for r in export_tallyfy["runs"]}
        assert {f"Before the kill {i}" for i in range(12)} | {f"During the outage {i}" for i in range(5)} <= names

        lines = [json.loads(x) for x in (folder / "audit.log").read_text().splitlines()]
        passes = [x for x in lines if x["command"] == "scheduled sync"]
        ended = [p["details"]["exit"] for p in passes if p["details"]["exit"] != 130]  # 130: the SIGTERM's pass
        assert ended[-1] == 0 and any(ended), "passes failed while the target was down, then one succeeded"
        assert check_chain(folder) is None, "the killed pass left the audit chain whole"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        sb.close()
