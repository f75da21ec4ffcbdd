"""`migration-wizard health DIR` and `/healthz`: one line each for the last run, the schedule
and the webhooks, and an exit code a monitor reads (0 healthy, 1 not; a folder that is not a
migration's is a user error, 2).

It reads the folder only (the store's snapshot and journal state, state/schedule.json and the
listener's state/listen.json), takes no lock and writes nothing, so a monitor may ask every
minute while a run or a sync goes on.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from wizard.errors import UserError
from wizard.folderlock import holder, holds
from wizard.migration import read_state
from wizard.plan import atomic_write_text
from wizard.schedule import interval_words, read_schedule

LISTEN_FILE = "listen.json"  # the webhook listener's heartbeat: {"heartbeat_at": epoch, "error": "…"}
LISTEN_STALE_S = 120.0  # a listener silent this long is taken for gone
GRACE_S = 60.0  # a scheduled pass this late is still on time


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    says: str

    def line(self) -> str:
        return f"{self.what}: {'ok' if self.ok else 'FAILING'} — {self.says}"


def _at(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _last_failed(folder: Path) -> int:
    """Records the last run or sync quarantined: its summary, from the journal's tail (where the
    run's end writes it), else from the store's snapshot."""
    journal = folder / "state" / "journal.jsonl"
    try:
        with open(journal, "rb") as f:
            f.seek(max(0, journal.stat().st_size - 65536))
            tail = f.read().splitlines()
        for line in reversed(tail):
            if b'"last_run"' in line:
                return _failed(json.loads(line).get("values", {}).get("last_run"))
    except (OSError, ValueError, AttributeError):
        pass
    try:
        meta = json.loads((folder / "state" / "store.json").read_text("utf-8")).get("meta", {})
        return max((_failed(doc.get("last_run")) for doc in meta.values()), default=0)
    except (OSError, ValueError, AttributeError):
        return 0


def _failed(last_run: object) -> int:
    failed = last_run.get("failed", {}) if isinstance(last_run, dict) else {}
    return sum(n for n in failed.values() if isinstance(n, int)) if isinstance(failed, dict) else 0


def last_run(folder: Path) -> Check:
    state, last = read_state(folder)
    when = f" (last activity {_at(last)})" if last else ""
    pid = os.getpid() if holds(folder) else holder(folder)  # /healthz is served by the process that works
    if pid is not None:
        return Check("last run", True, f"running now (process {pid}){when}")
    if state == "interrupted":
        return Check("last run", False, f"cut off before it finished{when}; run it again to resume")
    quarantined = _last_failed(folder)
    if state == "finished" and quarantined:
        return Check("last run", False, f"finished with {quarantined} record(s) quarantined{when}; see the report")
    return Check("last run", True, f"{state}{when}")


def schedule(folder: Path, now: float | None = None) -> Check:
    now = time.time() if now is None else now
    s = read_schedule(folder)
    if s is None:
        return Check("schedule", True, "none")
    if not s.active:
        return Check("schedule", True, "removed")
    every = f"every {interval_words(s.every_s)} ({s.how})"
    last = f"last pass {_at(s.last_start)}" if s.last_start else "no pass yet"
    if s.last_exit not in (None, 0):
        if s.last_end is None:  # a pass runs now; the one before it failed
            return Check("schedule", False, f"{every}; {last} still running; the one before failed: {s.last_result}")
        return Check("schedule", False, f"{every}; {last} failed: {s.last_result}")
    if s.ended(now):
        return Check("schedule", True, f"{every}; ended at the cut-over date {_at(s.until or now)}; {last}")
    due = s.next_run(now)
    if due is not None and due < now - max(GRACE_S, s.every_s):
        return Check("schedule", False, f"{every}; {last}; the pass due at {_at(due)} has not run")
    return Check("schedule", True, f"{every}; {last}; next {_at(due) if due else 'none'}")


def listener_beat(folder: Path, error: str = "", now: float | None = None) -> None:
    """What a webhook listener calls every minute or so (and with the sentence of what stopped
    it): the heartbeat the webhooks line reads."""
    beat = {"heartbeat_at": time.time() if now is None else now, "error": error}
    try:
        atomic_write_text(Path(folder) / "state" / LISTEN_FILE, json.dumps(beat))
    except OSError:
        pass  # health then says the listener went quiet, which is what a monitor needs to hear


def webhooks(folder: Path, now: float | None = None) -> Check:
    now = time.time() if now is None else now
    path = folder / "state" / LISTEN_FILE
    if not path.exists():
        return Check("webhooks", True, "no listener")
    try:
        beat = json.loads(path.read_text("utf-8"))
        at = float(beat["heartbeat_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return Check("webhooks", False, f"{path} cannot be read")
    if beat.get("error"):
        return Check("webhooks", False, str(beat["error"]))
    if now - at > LISTEN_STALE_S:
        return Check("webhooks", False, f"the listener was last heard from at {_at(at)}")
    return Check("webhooks", True, f"listening, last heard from at {_at(at)}")


def check(folder: Path) -> list[Check]:
    folder = Path(folder)
    if not (folder / "plan.toml").is_file():
        raise UserError(f"{folder} has no plan.toml; is it a migration folder?")
    return [last_run(folder), schedule(folder), webhooks(folder)]


def summary(folder: Path) -> tuple[int, str]:
    """(exit code, one line per check), for `health` and /healthz."""
    checks = check(folder)
    return (0 if all(c.ok for c in checks) else 1), "\n".join(c.line() for c in checks)
