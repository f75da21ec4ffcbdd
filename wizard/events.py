"""Events the engine emits, as past-tense facts, to a sink. The CLI renders them with rich,
the TUI turns them into Textual messages, the tests count them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class PhaseStarted(Event):
    phase: str
    total: int | None = None


@dataclass(frozen=True)
class PhaseFinished(Event):
    phase: str
    count: int = 0


@dataclass(frozen=True)
class ObjectsDiscovered(Event):
    kind: str
    count: int
    bytes: int = 0


@dataclass(frozen=True)
class ObjectMigrated(Event):
    kind: str
    key: str
    target_id: str
    created: bool = True


@dataclass(frozen=True)
class ObjectSkipped(Event):
    kind: str
    key: str
    reason: str


@dataclass(frozen=True)
class ObjectQuarantined(Event):
    kind: str
    key: str
    reason: str


@dataclass(frozen=True)
class ObjectRolledBack(Event):
    kind: str
    key: str
    target_id: str
    how: str


@dataclass(frozen=True)
class RateLimited(Event):
    system: str
    until_epoch: float
    reason: str = ""


@dataclass(frozen=True)
class RequestRetried(Event):
    system: str
    attempt: int
    reason: str


@dataclass(frozen=True)
class CircuitOpened(Event):
    system: str
    reason: str


@dataclass(frozen=True)
class LogLine(Event):
    level: str
    text: str


@dataclass(frozen=True)
class RunFinished(Event):
    created: int
    skipped: int
    failed: int
    interrupted: bool = False


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


class NullSink:
    def emit(self, event: Event) -> None:
        pass


@dataclass
class CountingSink:
    """Counts events by type; keeps them too, for tests and reports."""

    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def count(self, kind: type[Event]) -> int:
        return sum(isinstance(e, kind) for e in self.events)


class FanOut:
    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = list(sinks)

    def emit(self, event: Event) -> None:
        for s in self.sinks:
            s.emit(event)
