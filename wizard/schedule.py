"""A migration kept in step until cut-over: the interval, the cut-over date, and the record of
each scheduled pass (`state/schedule.json`), which the start screen and `health` read.

Whoever starts the passes (`sync --every` in a loop, or the platform's scheduler running
`sync DIR --scheduled`, see wizard/schedulers.py) records them here, so the folder alone says
when the last pass ran, how it ended and when the next one is due.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from wizard.errors import UserError
from wizard.lazy_model import LazyModel
from wizard.plan import atomic_write_text

SCHEDULE_FILE = "schedule.json"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"(\d+)\s*([smhd])")

How = Literal["loop", "systemd", "launchd", "schtasks", "printed"]


class Schedule(LazyModel):
    """What `state/schedule.json` holds."""

    every_s: int
    until: float | None = None  # epoch seconds: no pass starts after it
    how: How = "loop"
    where: str = ""  # the unit, plist or task name the platform knows it by
    active: bool = True  # False once `schedule --remove` took it out
    installed_at: float = 0.0
    last_start: float | None = None  # the pass running now, or the last one
    last_end: float | None = None  # None while that pass runs (or was cut off)
    # of the last pass that ended: kept while the next one runs, so a monitor or a watcher
    # looking between two back-to-back passes still sees a failure until a pass succeeds
    last_exit: int | None = None
    last_result: str = ""  # one sentence: what the last pass did, or why it failed
    passes: int = 0

    def next_run(self, now: float | None = None) -> float | None:
        """When the next pass is due (None: the schedule has ended or was removed)."""
        if not self.active:
            return None
        now = time.time() if now is None else now
        if self.last_start is None:
            due = now if self.how == "loop" else self.installed_at + self.every_s
        elif self.last_end is None:
            due = now  # a pass was cut off (kill -9, a reboot): the next one finishes it at once
        else:
            due = self.last_start + self.every_s
        if self.until is not None and due > self.until:
            return None
        return due

    def ended(self, now: float | None = None) -> bool:
        return self.until is not None and (time.time() if now is None else now) >= self.until


def parse_interval(text: str) -> int:
    """'15m', '1h', '1h30m', '90s', '2d' in seconds; anything else is one sentence."""
    t = text.strip().lower()
    parts = _INTERVAL.findall(t)
    if not parts or _INTERVAL.sub("", t).strip():
        raise UserError(f"--every {text!r} is not an interval; write it as 90s, 15m, 1h, 1h30m or 1d.")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise UserError(f"--every {text!r} must be longer than zero.")
    return seconds


def parse_until(text: str) -> float:
    """A cut-over date or time (ISO 8601; a date alone is its midnight, local time unless a zone is given)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--until {text!r} is not a date; write it as 2026-12-01 or 2026-12-01T18:00.") from None
    return when.timestamp()


def interval_words(seconds: int) -> str:
    """Seconds as parse_interval reads them: 90s, 15m, 1h30m, 2d."""
    words = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            words += f"{seconds // size}{unit}"
            seconds %= size
    return words or "0s"


def path_of(folder: Path) -> Path:
    return Path(folder) / "state" / SCHEDULE_FILE


def read_schedule(folder: Path) -> Schedule | None:
    """The folder's schedule, or None when it has none (a damaged file reads as none: the next pass rewrites it)."""
    try:
        return Schedule.model_validate(json.loads(path_of(folder).read_text("utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def write_schedule(folder: Path, schedule: Schedule) -> None:
    try:
        atomic_write_text(path_of(folder), schedule.model_dump_json(indent=1))
    except OSError as e:
        raise UserError(f"Cannot write {path_of(folder)} ({e.strerror}).") from None


def plan(folder: Path, every_s: int, until: float | None, how: How, where: str = "") -> Schedule:
    """Record a schedule (keeping the record of earlier passes) and return it."""
    old = read_schedule(folder)
    s = Schedule(every_s=every_s, until=until, how=how, where=where, installed_at=time.time())
    if old is not None:
        s = s.model_copy(
            update={k: getattr(old, k) for k in ("last_start", "last_end", "last_exit", "last_result", "passes")}
        )
    write_schedule(folder, s)
    return s


def _record(folder: Path, schedule: Schedule, **update: object) -> Schedule:
    """The pass's fields written over what the file says now, so a `schedule --remove` or a new
    interval made while the pass ran is kept."""
    s = (read_schedule(folder) or schedule).model_copy(update=update)
    write_schedule(folder, s)
    return s


def record_start(folder: Path, schedule: Schedule, started: float) -> Schedule:
    return _record(folder, schedule, last_start=started, last_end=None)


def record_end(folder: Path, schedule: Schedule, code: int, result: str) -> Schedule:
    passes = (read_schedule(folder) or schedule).passes + 1
    return _record(folder, schedule, last_end=time.time(), last_exit=code, last_result=result, passes=passes)
