"""The run's schedule, simulated: how long a migration takes under the limits in force.

The executor (`engine/executor.py`) works one container at a time: the container's set-up
calls one after another, then every item as the source yields it in at most
`limits.concurrency` slots, the source held back while `backlog` items are yielded and not yet
written; each item's comments in slots of their own and its files in the item slots, after
it: as soon as it is written where the source yields them right after their item
(`follows`), else once the source's stream has ended (Trello's board-wide comments come after
the last card, so with back-pressure they start when nearly every card is written). This module replays that order on a
virtual clock, call by call, through the same `RateLimiter` the clients use (every window,
route bucket and points budget, each with its period), with the engine's own pace and a
round trip per call, so a cap that binds one kind of call (an hourly comment cap) overlaps the
other kinds exactly as it does in the run, instead of phases being added up.

Nothing here knows a vendor: the limits come in as `RateLimiter`s, the work as calls per kind
per container (the target's cost model counts them), and a kind of call that has a route
bucket of its name (`comments`) takes that bucket.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

from wizard.ratelimit import RateLimiter

ITEM_KIND = "items"  # the calls that write and place one item, in the item slots
CHILD_KINDS = ("comments", "attachments")  # written after their item: comments in slots of their own
UPLOAD_KIND = "attachments"  # each reads its bytes from the source as it writes them


def backlog_of(concurrency: int) -> int:
    """How many items the executor starts ahead of what the target has taken (back-pressure on
    the source): one rule for the run and for its simulation."""
    return max(16, 8 * concurrency)


@dataclass(frozen=True)
class Pace:
    """How fast the engine itself goes when no limit holds it: `cpu_s` of the engine's one
    event loop per call (calls never overlap there), `round_trip_s` from sending a call to
    its answer (calls in different slots overlap there), `bytes_per_s` for a file's bytes."""

    cpu_s: float
    round_trip_s: float
    bytes_per_s: float


@dataclass(frozen=True)
class Call:
    side: str  # "source" or "target": whose limiter it passes
    kind: str
    buckets: tuple[str, ...] = ()
    weight: float = 1.0
    wire_s: float = 0.0  # a file's bytes on the wire, on top of the round trip
    reads_source: bool = False  # an upload takes a source call too (the download it streams)


@dataclass
class Work:
    """One container's calls: set-up, then per item its own calls and its children's."""

    setup: Counter[str] = field(default_factory=Counter)  # kind -> calls, one after another
    items: int = 0
    per_kind: Counter[str] = field(default_factory=Counter)  # item and child kinds -> calls
    source_reads: int = 0  # the container's extraction calls, which release its items as they go
    source_after: int = 0  # calls after the last item (a change-feed cursor)
    bytes: int = 0
    follows: frozenset[str] = frozenset(CHILD_KINDS)  # child kinds the source yields right after their item


@dataclass
class Timing:
    """What the simulation found: the duration and when each kind of call finished, what
    each limit held up (seconds of waiting summed over the calls it held), the calls per side."""

    duration_s: float = 0.0
    finished: dict[str, float] = field(default_factory=dict)  # kind -> when its last call answered
    calls: Counter[str] = field(default_factory=Counter)  # kind -> calls simulated
    held: dict[str, float] = field(default_factory=dict)  # the limit's words -> seconds waited
    source_s: float = 0.0  # when the source's last read answered


@dataclass
class _Job:
    pool: str
    calls: deque[tuple[Call, int]]
    then: Callable[[float], None] | None = None


class _Sim:
    def __init__(self, limiters: Mapping[str, RateLimiter], pace: Pace, concurrency: int) -> None:
        self.now = 0.0
        self.limiters = limiters
        for lim in limiters.values():
            lim.clock = self.clock
        self.pace = pace
        self.events: list[tuple[float, int, Callable[[float], None]]] = []
        self.seq = 0
        self.free = {"slots": concurrency, "comments": concurrency, "serial": 1, "source": 1}
        self.queues: dict[str, deque[_Job]] = {name: deque() for name in self.free}
        self.engine_free = 0.0
        self.timing = Timing()

    def clock(self) -> float:
        return self.now

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, fn))

    def run_until_idle(self) -> float:
        last = self.now
        while self.events:
            t, _, fn = heapq.heappop(self.events)
            self.now = t
            fn(t)
            last = max(last, t)
        return last

    # -- slots -------------------------------------------------------------------------
    def submit(self, job: _Job, t: float) -> None:
        """The job is ready at `t`: it starts when a slot of its pool is free (first come,
        first served, as asyncio's semaphores serve their waiters)."""
        if not job.calls:
            if job.then:
                job.then(t)
            return
        if self.free[job.pool] > 0:
            self.free[job.pool] -= 1
            self.at(t, partial(self._attempt, job))
        else:
            self.queues[job.pool].append(job)

    def _release(self, pool: str, t: float) -> None:
        queue = self.queues[pool]
        if queue:
            job = queue.popleft()
            self.at(t, partial(self._attempt, job))
        else:
            self.free[pool] += 1

    # -- one call ----------------------------------------------------------------------
    def _attempt(self, job: _Job, t: float, booked: bool = False) -> None:
        """Send the job's next call at `t` if every limit lets it through and the engine is
        free; else come back when the limit frees a slot, or book the engine's next free
        moment (`booked`: this is that moment, so it is taken even if calls queue behind)."""
        call, _ = job.calls[0]
        lim = self.limiters[call.side]
        wait, why = lim.delay(call.buckets, call.weight)
        if call.reads_source:
            src_wait, src_why = self.limiters["source"].delay()
            if src_wait > wait:
                wait, why = src_wait, src_why
        if wait > 1e-9:
            key = f"{call.side}: {why}"
            self.timing.held[key] = self.timing.held.get(key, 0.0) + wait
            self.at(t + wait, lambda now: self._attempt(job, now))
            return
        if not booked and self.engine_free > t + 1e-12:
            when = self.engine_free
            self.engine_free = when + self.pace.cpu_s
            self.at(when, lambda now: self._attempt(job, now, booked=True))
            return
        answered = t + self.pace.round_trip_s + call.wire_s
        lim.take(call.buckets, call.weight, counted_at=answered)  # counted from its answer, as restamp does
        if call.reads_source:
            self.limiters["source"].take()
        if not booked:
            self.engine_free = t + self.pace.cpu_s
        self.timing.calls[call.kind] += 1
        self.at(answered, lambda now: self._answered(job, now))

    def _answered(self, job: _Job, t: float) -> None:
        call, n = job.calls[0]
        self.timing.finished[call.kind] = max(self.timing.finished.get(call.kind, 0.0), t)
        if call.side == "source":
            self.timing.source_s = max(self.timing.source_s, t)
        if n > 1:
            job.calls[0] = (call, n - 1)
        else:
            job.calls.popleft()
        if job.calls:
            self._attempt(job, t)
            return
        self._release(job.pool, t)
        if job.then:
            job.then(t)


def _spread(total: int, n: int) -> list[int]:
    """`total` calls over `n` items, as evenly as whole calls go, spread along the stream."""
    if n <= 0:
        return []
    return [(total * (j + 1)) // n - (total * j) // n for j in range(n)]


def simulate(
    work: list[Work],
    limiters: Mapping[str, RateLimiter],
    pace: Pace,
    concurrency: int,
    weights: Mapping[str, float] | None = None,
    backlog: int = 0,
) -> Timing:
    """Replay the executor's schedule over these containers, one after another, and answer
    when the last call is answered. `limiters` are "target" and, where the source states
    limits, "source": fresh ones (the simulation spends their windows). `backlog`: how many
    items the source may yield ahead of what is written (0: no bound)."""
    sim = _Sim(limiters, pace, concurrency)
    weights = weights or {}
    target = limiters["target"]

    def call(kind: str, side: str = "target", wire_s: float = 0.0) -> Call:
        buckets = (kind,) if side == "target" and kind in target.buckets else ()
        return Call(side, kind, buckets, weights.get(kind, 1.0), wire_s, reads_source=kind == UPLOAD_KIND)

    start = 0.0
    for w in work:
        start = _container(sim, w, start, call, pace, backlog)
    sim.timing.duration_s = start
    return sim.timing


def _container(sim: _Sim, w: Work, start: float, call: Callable[..., Call], pace: Pace, backlog: int) -> float:
    """Simulate one container from `start`; answer when its last call is answered."""
    sim.now = max(sim.now, start)
    uploads = w.per_kind.get(UPLOAD_KIND, 0)
    wire_s = (w.bytes / uploads / pace.bytes_per_s) if uploads else 0.0
    per_item = {kind: _spread(n, w.items) for kind, n in w.per_kind.items()}

    yielded: deque[int] = deque()  # items the source has read, waiting for room in the backlog
    stream = {"at_work": 0, "read": False, "ended": False}
    held: list[tuple[str, int]] = []  # children waiting for the end of the stream

    def child(kind: str, j: int, t: float) -> None:
        n = per_item[kind][j] if kind in per_item else 0
        if n:
            pool = "comments" if kind == "comments" else "slots"
            extra = wire_s if kind == UPLOAD_KIND else 0.0
            sim.submit(_Job(pool, deque([(call(kind, wire_s=extra), n)])), t)

    def item_job(j: int) -> _Job:
        calls = deque([(call(ITEM_KIND), per_item[ITEM_KIND][j])] if ITEM_KIND in per_item else [])

        def written(t: float) -> None:
            for kind in CHILD_KINDS:
                if kind in w.follows or stream["ended"]:
                    child(kind, j, t)
                else:
                    held.append((kind, j))
            stream["at_work"] -= 1
            release(t)

        return _Job("slots", deque((c, n) for c, n in calls if n), written)

    def release(t: float) -> None:
        """Items into the executor while the backlog has room; the stream ends with the last."""
        while yielded and (backlog <= 0 or stream["at_work"] < backlog):
            stream["at_work"] += 1
            sim.at(t, partial(sim.submit, item_job(yielded.popleft())))  # an event: no recursion per item
        if stream["read"] and not yielded and not stream["ended"]:
            stream["ended"] = True
            for kind, j in held:
                child(kind, j, t)
            held.clear()

    def extract(t: float) -> None:
        """The source's reads, one after another; each yields its share of the items."""
        count = 0
        reads = max(1, w.source_reads)
        shares = _spread(w.items, reads)

        def after_read(k: int) -> Callable[[float], None]:
            def go(now: float) -> None:
                nonlocal count
                for _ in range(shares[k]):
                    yielded.append(count)
                    count += 1
                stream["read"] = k + 1 >= reads
                release(now)
                if k + 1 < reads:
                    sim.submit(_Job("source", deque([(call("extract", "source"), 1)]), after_read(k + 1)), now)
                elif w.source_after:
                    sim.submit(_Job("source", deque([(call("change cursor", "source"), w.source_after)])), now)

            return go

        if w.source_reads:
            sim.submit(_Job("source", deque([(call("extract", "source"), 1)]), after_read(0)), t)
        else:
            after_read(0)(t)

    setup = deque((call(kind), n) for kind, n in w.setup.items() if n)
    sim.submit(_Job("serial", setup, extract), sim.now)
    return sim.run_until_idle()
