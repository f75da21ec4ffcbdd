"""A run's task states as lines of its item's description. A source whose items are runs of
tasks (Process Street) writes each task as one line under a header: "[x] Name — completed by
…" or "[ ] Name …". A target counts those lines in what it holds (`count`, in its read-back),
so verify compares each run's task count and completed count with the source's own."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

DONE = "[x] "
OPEN = "[ ] "
KINDS = ("task", "task_completed")
# why a cut description's lost task lines are dropped; the target adds its limit
CUT_LOSS = "the task's line is past the cut of the run's description to the target's limit"
_HEADER = re.compile(r"^Tasks in .+:$")


def section(source_label: str, lines: Iterable[str]) -> list[str]:
    """The header and the task lines, each kept on one line (a line break in a task's name
    or its completer's would split it)."""
    kept = [" ".join(line.splitlines()) for line in lines]
    return [f"Tasks in {source_label}:", *kept] if kept else []


def line(done: bool, text: str) -> str:
    return (DONE if done else OPEN) + text


def count(text: str) -> Counter[str]:
    """The task lines under the header, as `text` holds them: "task" (all) and
    "task_completed" (those marked done)."""
    out: Counter[str] = Counter()
    inside = False
    for ln in text.splitlines():
        if _HEADER.match(ln):
            inside = True
        elif inside and ln.startswith((DONE, OPEN)):
            out["task"] += 1
            out["task_completed"] += ln.startswith(DONE)
        else:
            inside = False
    return out


def lost_to_cut(text: str, kept: str) -> Counter[str]:
    """The task lines of `text` that its cut `kept` loses, the one cut short among them."""
    whole = count(text)
    left = count("\n".join(kept.splitlines()[:-1]) if kept != text else kept)
    return Counter({k: whole[k] - left[k] for k in KINDS if whole[k] > left[k]})
