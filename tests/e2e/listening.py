"""What the `listen` tests share: the listener started through the real CLI, the audit log's
lines, and the writes a target sandbox took."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from tests.e2e.conftest import CLI, Served

# The batch window the listen tests start `listen --batch` with. The waits scale with it (a quiet
# interval is two windows), and so does the allowance for a loaded machine: a delivery that comes
# in during a sync pass waits for that pass to end, so "the last batch's sync started within one
# interval" (of the last delivery, plus a second) holds only while a pass is shorter than that. With
# three listen tests at once on two cores, 2 s failed one run in three and 3 s one in twelve.
BATCH_S = 4.0


def audit_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "audit.log").read_text().splitlines()]


def webhook_outcomes(folder: Path, outcome: str) -> list[dict]:
    return [
        e["details"] for e in audit_lines(folder) if e["command"] == "webhook" and e["details"]["outcome"] == outcome
    ]


def writes(s: Served, target: str = "tallyfy") -> Counter:
    by_route = s.stats(target)["by_route"]
    return Counter({r: sum(by.values()) for r, by in by_route.items() if not r.startswith("GET")})


def start_listening(folder: Path, log: Path, batch_s: float) -> subprocess.Popen:
    with open(log, "w") as err:
        return subprocess.Popen(
            [*CLI, "listen", str(folder), "--port", "0", "--batch", f"{batch_s:g}s"], stdout=err, stderr=err
        )


def started(proc: subprocess.Popen, log: Path, timeout: float = 60) -> str:
    """The callback URL the listener announces once its webhooks are registered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"Listening on (\S+);", log.read_text().replace("\n", " "))
        if found:
            return found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError(f"the listener did not start: {log.read_text()}")


def wait_for(missing, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while (left := missing()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def at(entry: dict) -> float:
    """An audit line's time, in seconds since the epoch."""
    return datetime.fromisoformat(entry["ts"]).timestamp()


def quiet_interval_writes_nothing(s: Served, batch_s: float) -> None:
    before = writes(s)
    time.sleep(batch_s * 2)
    assert writes(s) == before, "a quiet interval wrote to the target"


def synced_in_one_batch(folder: Path, changes: int, batch_s: float, changed_at: float | None = None) -> list[dict]:
    """Each change's delivery accepted once, and synced by the batch its deliveries fell in: one
    sync a batch turn they spanned (one more when they straddle a turn), the last begun within
    one interval of the last delivery, which the vendor sends after the change (on a loaded
    machine, seconds after). The accepted deliveries' audit lines, in order."""
    entries = audit_lines(folder)
    taken = [e for e in entries if e["command"] == "webhook" and e["details"]["outcome"] == "accepted"]
    assert len(taken) == changes
    first, last = at(taken[0]), at(taken[-1])
    if changed_at is not None:
        assert last >= changed_at - 1, "the last delivery came after the last change"
    syncs = [at(e) for e in entries if e["command"] == "sync"]
    spanned = 1 + int((last - first) // batch_s)  # the batch turns the deliveries spanned
    assert 1 <= len(syncs) <= spanned + 1, "one sync a batch (one more when they straddle its turn)"
    assert syncs[-1] - last <= batch_s + 1, (
        f"the last batch's sync started within one interval: syncs at {[round(t - first, 1) for t in syncs]} s, "
        f"deliveries from 0 to {last - first:.1f} s"
    )
    return taken
