"""App-wide messages, as past-tense events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


class EngineProgressed(Message):
    """The engine model changed; screens re-read it. Coalesces: only the newest waits."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineProgressed)


@dataclass
class RunEnded(Message):
    """The app-level run or sync worker finished (or failed with a one-sentence reason)."""

    summary: Any = None
    error: str = ""
    mode: str = "run"  # run | sync
