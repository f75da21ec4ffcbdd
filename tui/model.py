"""What the screens show about a discovery or a run, folded from engine events.

Plain Python (no Textual): the sink feeds it on the event loop, the screens read it when a
throttled `EngineProgressed` message arrives, and unit tests drive it with events directly.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from wizard.events import (
    CircuitOpened,
    Event,
    LogLine,
    ObjectMigrated,
    ObjectQuarantined,
    ObjectRolledBack,
    ObjectsDiscovered,
    ObjectSkipped,
    PhaseFinished,
    PhaseStarted,
    RateLimited,
    RequestRetried,
    RunFinished,
)
from wizard.humanize import human_duration  # noqa: F401  (the screens import it from here)
from wizard.textsafe import visible

PHASE_KINDS = {"items": "item", "comments": "comment", "attachments": "attachment"}
QUARANTINE_CAP = 1000
LOG_CAP = 200
ETA_EVERY_S = 5.0  # how often the live ETA is simulated again
ETA_INLINE_OBJECTS = 2_000  # up to this many objects the simulation runs on the caller's thread


@dataclass
class Phase:
    name: str
    done: int = 0
    total: int | None = None
    finished: bool = False
    baseline: int = 0  # done before this run started (a resume): shown on the bar, not in the rate


@dataclass
class EngineModel:
    """Counters for one discovery or one run. `clock` is injectable so tests freeze time."""

    clock: Callable[[], float] = time.time
    state: str = "idle"  # idle | running | paused | stopping | finished | interrupted | failed
    mode: str = "run"  # run | sync (a sync writes only what changed: its bars count boards, not objects)
    phases: dict[str, Phase] = field(default_factory=dict)
    containers_seen: int = 0
    containers_done: int = 0
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    rolled_back: int = 0
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_CAP))
    log_total: int = 0
    waiting_until: float | None = None
    waiting_reason: str = ""
    waiting_system: str = ""
    retries: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str = ""
    totals: dict[str, int] = field(default_factory=dict)  # per kind, from the inventory
    events: int = 0
    # seconds left for the work left, given what is done per kind (the estimate's simulation)
    eta_source: Callable[[dict[str, int]], float] | None = None
    _eta: tuple[float, float] | None = None  # (when computed, seconds left then)
    _eta_asked: float | None = None
    _eta_busy: bool = False
    # called once when the run's phase starts: a run of a folder never discovered discovers first,
    # and only then are there totals for its bars
    discovered: Callable[[], None] | None = None

    # -- folding ---------------------------------------------------------------------------
    def start(
        self, totals: dict[str, int] | None = None, done: dict[str, int] | None = None, *, mode: str = "run"
    ) -> None:
        """A new run: `totals` per kind from the inventory, `done` per kind from the store (what
        an earlier, interrupted run already wrote: the bars start there, the rate ignores it)."""
        self.__init__(clock=self.clock, mode=mode, eta_source=self.eta_source)  # type: ignore[misc]
        self.set_totals(totals or {}, done or {})
        self.state = "running"
        self.started_at = self.clock()

    def set_totals(self, totals: dict[str, int], done: dict[str, int]) -> None:
        """Per kind, what the run processes and what is in the target already (its bar starts there)."""
        self.totals = dict(totals)
        for phase, kind in PHASE_KINDS.items():
            if kind in self.totals:
                already = min(max(0, done.get(kind, 0)), self.totals[kind])
                self.phases[phase] = Phase(phase, already, self.totals[kind], baseline=already)

    def apply(self, e: Event) -> None:
        self.events += 1
        now = self.clock()
        if self.waiting_until is not None and now >= self.waiting_until and not isinstance(e, RateLimited):
            self.waiting_until = None
        if isinstance(e, PhaseStarted):
            then = self.discovered
            if e.phase == "run" and then is not None:  # the run's own discovery is done
                self.discovered = None
                then()
            ph = self.phases.setdefault(e.phase, Phase(e.phase))
            if e.phase not in PHASE_KINDS and e.total is not None:
                ph.total = e.total
            ph.finished = False
        elif isinstance(e, PhaseFinished):
            ph = self.phases.setdefault(e.phase, Phase(e.phase))
            if e.phase == "items":  # a container's cards are all compared and written
                self.containers_done += 1
            if e.phase not in PHASE_KINDS:
                ph.finished = True
                if ph.total is not None:
                    ph.done = ph.total
        elif isinstance(e, ObjectsDiscovered):
            if e.kind == "stage":  # each container opens with its shape: bank the previous one
                if self._container_counts:
                    self.container_done()
                self.containers_seen += 1
            self._container_counts[e.kind] = e.count
            if e.kind == "attachment":
                self._container_bytes = e.bytes
        elif isinstance(e, ObjectMigrated):
            (self.created if e.created else self.existing)[e.kind] += 1
            self._advance(e.kind)
        elif isinstance(e, ObjectSkipped):
            self.skipped[e.kind] += 1
            self._advance(e.kind)
        elif isinstance(e, ObjectQuarantined):
            self.failed[e.kind] += 1
            if len(self.quarantined) < QUARANTINE_CAP:
                self.quarantined.append((e.kind, e.key, e.reason))
            self.note(f"✗ quarantined {e.kind} {e.key}: {e.reason}")
            self._advance(e.kind)
        elif isinstance(e, ObjectRolledBack):
            self.rolled_back += 1
            ph = self.phases.setdefault("rollback", Phase("rollback"))
            ph.done += 1
        elif isinstance(e, RateLimited):
            if self.waiting_until is None or e.until_epoch > self.waiting_until:
                if self.waiting_until is None and e.until_epoch - now >= 1:
                    self.note(f"‖ waiting for the {e.system} rate limit until {clock_text(e.until_epoch)} ({e.reason})")
                self.waiting_until = e.until_epoch
                self.waiting_reason = e.reason
                self.waiting_system = e.system
        elif isinstance(e, RequestRetried):
            self.retries += 1
            if e.attempt >= 3:
                self.note(f"↻ retrying {e.system} (attempt {e.attempt}): {e.reason}")
        elif isinstance(e, CircuitOpened):
            self.note(f"✗ {e.system} keeps failing ({e.reason}); stopping")
        elif isinstance(e, LogLine):
            mark = {"warning": "!", "error": "✗"}.get(e.level, "·")
            self.note(f"{mark} {e.text}")
        elif isinstance(e, RunFinished):
            self.note(
                f"{'■ stopped safely' if e.interrupted else '✓ finished'}: {e.created} created, "
                f"{e.skipped} skipped, {e.failed} failed"
            )
            self.state = "interrupted" if e.interrupted else "finished"
            self.finished_at = now
            self.waiting_until = None

    def note(self, text: str) -> None:
        self.log.append(visible(text, limit=2000))  # vendor text in it: controls shown, secrets redacted
        self.log_total += 1

    def log_since(self, seen: int) -> list[str]:
        """Lines added after the first `seen` ones (as many as the tail still holds)."""
        new = self.log_total - seen
        return list(self.log)[-new:] if new > 0 else []

    # Discovery counts arrive as running totals per container: fold them into grand totals.
    _container_counts: dict = field(default_factory=dict)
    _container_bytes: int = 0
    _closed_counts: Counter = field(default_factory=Counter)
    _closed_bytes: int = 0

    def container_done(self) -> None:
        """Discovery moved to the next container: bank the current one's counts."""
        self._closed_counts.update(self._container_counts)
        self._closed_bytes += self._container_bytes
        self._container_counts = {}
        self._container_bytes = 0

    def discovery_totals(self) -> tuple[dict[str, int], int]:
        out = Counter(self._closed_counts)
        out.update(self._container_counts)
        return dict(out), self._closed_bytes + self._container_bytes

    def _advance(self, kind: str) -> None:
        for phase, k in PHASE_KINDS.items():
            if k == kind:
                ph = self.phases.setdefault(phase, Phase(phase))
                ph.done += 1

    # -- reading -----------------------------------------------------------------------
    @property
    def processed(self) -> int:
        return sum(p.done for name, p in self.phases.items() if name in PHASE_KINDS)

    @property
    def already(self) -> int:
        """Done before this run started: part of `processed`, never of the rate."""
        return sum(p.baseline for name, p in self.phases.items() if name in PHASE_KINDS)

    @property
    def total(self) -> int | None:
        totals = [p.total for name, p in self.phases.items() if name in PHASE_KINDS]
        if not totals or any(t is None for t in totals):
            return None
        return sum(t for t in totals if t is not None)

    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else self.clock()
        return max(0.0, end - self.started_at)

    def throughput(self) -> float:
        """Objects per second processed by this run (not the resumed-from part), waits
        included: so the ETA counts them."""
        el = self.elapsed()
        return max(0, self.processed - self.already) / el if el > 0.5 else 0.0

    def waiting_left(self) -> float:
        if self.waiting_until is None:
            return 0.0
        return max(0.0, self.waiting_until - self.clock())

    def eta(self) -> float | None:
        """Seconds left: the estimate's simulation of the work left (`eta_source`, run on a
        thread of its own at most every ETA_EVERY_S, so a large run's never holds the screen),
        or, until it answers, the work left at this run's own pace."""
        if self.eta_source is not None:
            self._refresh_eta()
            if self._eta is not None:
                return max(0.0, self._eta[1] - (self.clock() - self._eta[0]), self.waiting_left())
        total, rate = self.total, self.throughput()
        if total is None or rate <= 0:
            return None
        remaining = max(0, total - self.processed)
        return remaining / rate + self.waiting_left()

    def _refresh_eta(self) -> None:
        now = self.clock()
        if self._eta_busy or (self._eta_asked is not None and now - self._eta_asked < ETA_EVERY_S):
            return
        self._eta_asked, self._eta_busy = now, True
        done = {kind: self.phases[phase].done for phase, kind in PHASE_KINDS.items() if phase in self.phases}
        source = self.eta_source

        def work() -> None:
            try:
                assert source is not None
                self._eta = (now, source(done))
            except Exception:  # noqa: BLE001 - the ETA falls back to the run's pace; the run goes on
                self.eta_source = None
            finally:
                self._eta_busy = False

        if self.total is not None and self.total <= ETA_INLINE_OBJECTS:
            work()  # a small run's simulation takes milliseconds: no thread needed
        else:
            threading.Thread(target=work, name="eta", daemon=True).start()


def clock_text(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
