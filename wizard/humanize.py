"""Numbers as a consultant reads them: durations, finish times and sizes."""

from __future__ import annotations

import time
from pathlib import Path


def human_duration(seconds: float | None) -> str:
    """'42 s', '12 min 34 s', '5 h 20 min', '2 days 3 h'."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 90:
        return f"{s} s"
    if s < 5400:
        return f"{s // 60} min {s % 60:02d} s"
    if s < 172800:
        m = round(s / 60)
        return f"{m // 60} h {m % 60:02d} min"
    h = round(s / 3600)
    return f"{h // 24} days {h % 24} h"  # from 48 h on: always 2 days or more


def finish_text(seconds: float, now: float | None = None) -> str:
    """When something that takes `seconds` from `now` is done: 'Tue 14:20' (local time)."""
    return time.strftime("%a %H:%M", time.localtime((time.time() if now is None else now) + seconds))


def scale_text(scale: float) -> str:
    """'×0.001': how much shorter a sandbox makes the vendors' rate windows."""
    return f"×{scale:g}"


def path_text(path: Path) -> str:
    """A folder as a consultant types it: the home directory shortened to ~."""
    p, home = Path(path).resolve(), Path.home().resolve()
    return f"~/{p.relative_to(home)}" if p.is_relative_to(home) and p != home else str(p)
