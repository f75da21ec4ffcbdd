"""A rate limiter per account: sliding windows seeded from the vendor's documented limits,
corrected by what the vendor's response headers say, and paused by 429s.

Windows are exact (a log of send times), so the limiter can run right up to a limit
without crossing it. Named buckets carry route-specific caps (Tallyfy comments: 120 per
hour per organization; Trello /members: 100 per 900 s). Budgets count points, not calls:
each call spends its `weight` (a GraphQL query's complexity on monday.com or Pipefy, a
request's cost on Asana), so a heavy query waits where a light one would not.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


class StopRequested(Exception):
    """A stop was asked for while waiting out a limit: nothing was sent, and the run stops
    here, at a safe point (an intent left without its result is reconciled on resume)."""


@dataclass
class Window:
    limit: int
    period: float
    sent: deque[float] = field(default_factory=deque)

    def wait_time(self, now: float) -> float:
        while self.sent and self.sent[0] <= now - self.period:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.period - now

    def restamp(self, stamp: float, now: float) -> None:
        """The call counted at `stamp` counts from `now` instead, kept in order (oldest first:
        a bucket paused by a 429 may hold slots dated later). A slot already gone stays gone."""
        try:
            self.sent.remove(stamp)
        except ValueError:
            return
        i = len(self.sent)
        while i > 0 and self.sent[i - 1] > now:
            i -= 1
        self.sent.insert(i, now)


@dataclass
class Budget:
    """At most `limit` points spent per `period` seconds, each call spending its weight."""

    limit: float
    period: float
    spent: deque[tuple[float, float]] = field(default_factory=deque)  # (when, points), oldest first
    total: float = 0.0

    def _expire(self, now: float) -> None:
        while self.spent and self.spent[0][0] <= now - self.period:
            self.total -= self.spent.popleft()[1]
        if not self.spent:
            self.total = 0.0  # no float drift left behind

    def wait_time(self, now: float, weight: float) -> float:
        self._expire(now)
        over = self.total + weight - self.limit
        if over <= 0:
            return 0.0
        freed = 0.0
        for when, points in self.spent:
            freed += points
            if freed >= over:
                return when + self.period - now
        return self.period  # unreachable while weight <= limit (checked in acquire)

    def spend(self, now: float, weight: float) -> None:
        self.spent.append((now, weight))
        self.total += weight

    def observe_remaining(self, now: float, remaining: float, reset_in: float) -> None:
        """The vendor says `remaining` points are left until its window resets in `reset_in`
        seconds: where we believed more were left, count the difference as spent until then."""
        self._expire(now)
        missing = self.limit - self.total - remaining
        if missing > 0:
            self._insert(now + max(0.0, reset_in) - self.period, missing)  # expires at the vendor's reset
            self.total += missing

    def restamp(self, stamp: float, now: float) -> None:
        """The points spent at `stamp` count from `now` instead (the vendor counted them some time
        between our send and its answer: counted from the answer, ours never free them before
        its do). Points already expired, or cleared meanwhile, are left alone."""
        at = next((i for i, (when, _) in enumerate(self.spent) if when == stamp), None)
        if at is None:
            return
        _, points = self.spent[at]
        del self.spent[at]
        self._insert(now, points)

    def _insert(self, when: float, points: float) -> None:
        i = len(self.spent)
        while i > 0 and self.spent[i - 1][0] > when:
            i -= 1
        self.spent.insert(i, (when, points))  # kept oldest first


@dataclass(frozen=True)
class Learned:
    """A limit the vendor stated during a run: `calls` per `seconds` (in the run's own time,
    a sandbox's compressed windows included), and how we know it."""

    name: str
    calls: float
    seconds: float
    how: str
    bucket: str | None = None


class RateLimiter:
    def __init__(
        self,
        windows: list[tuple[int, float]],
        buckets: dict[str, list[tuple[int, float]]] | None = None,
        *,
        budgets: list[tuple[float, float]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        self.windows = [Window(n, p) for n, p in windows]
        self.buckets = {name: [Window(n, p) for n, p in ws] for name, ws in (buckets or {}).items()}
        self.budgets = [Budget(n, p) for n, p in budgets or []]
        self.clock = clock
        self.on_wait = on_wait
        self.paused_until = 0.0
        self.pause_reason = ""
        self._lock = asyncio.Lock()
        self.waited = 0.0
        self.stop: asyncio.Event | None = None  # the run's stop request: set, it ends every wait
        self.learned: dict[str, Learned] = {}  # limits the vendor told us during this run, by name

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds`, or raise StopRequested as soon as a stop is asked for."""
        if self.stop is None:
            await asyncio.sleep(seconds)
            return
        if not self.stop.is_set():
            try:
                await asyncio.wait_for(self.stop.wait(), seconds)
            except TimeoutError:
                return
        raise StopRequested

    def pause(self, seconds: float, reason: str) -> None:
        """A 429 or an exhausted-remaining header: nobody sends until then."""
        until = self.clock() + max(0.0, seconds)
        if until > self.paused_until:
            self.paused_until = until
            self.pause_reason = reason

    def follow(self, earlier: RateLimiter) -> None:
        """Go on from `earlier`'s sends to the same account (a client of this process made before
        this one: a discovery, then the run it came before): they still count in the vendor's
        windows, so a window, bucket or budget of the same period starts as full as that one's."""
        if earlier.clock is not self.clock:  # another clock (the estimate's simulation): its times mean nothing here
            return

        def carried(mine: list[Window], theirs: list[Window]) -> None:
            for w in mine:
                for e in theirs:
                    if abs(e.period - w.period) < 1e-9:
                        w.sent = deque(sorted([*w.sent, *e.sent]))

        carried(self.windows, earlier.windows)
        for name, ws in self.buckets.items():
            carried(ws, earlier.buckets.get(name, []))
        for b in self.budgets:
            for e in earlier.budgets:
                if abs(e.period - b.period) < 1e-9:
                    b.spent = deque(sorted([*b.spent, *e.spent]))
                    b.total += e.total
        if earlier.paused_until > self.paused_until:
            self.paused_until, self.pause_reason = earlier.paused_until, earlier.pause_reason

    def pause_bucket(self, bucket: str, seconds: float) -> None:
        """The vendor says a route cap is spent: fill its windows so we wait it out."""
        now = self.clock()
        for w in self.buckets.get(bucket, []):
            w.sent.clear()
            w.sent.extend([now + seconds - w.period] * w.limit)

    def delay(self, buckets: tuple[str, ...] = (), weight: float = 1.0) -> tuple[float, str]:
        """How long a call in these buckets, weighing `weight`, must wait now, and which limit
        holds it (the estimate's simulation asks this on its own clock)."""
        now = self.clock()
        delay = max(0.0, self.paused_until - now)
        why = self.pause_reason if delay > 0 else ""
        for w in self.windows:
            d = w.wait_time(now)
            if d > delay:
                delay, why = d, f"{w.limit} requests per {w.period:g} s"
        for budget in self.budgets:
            d = budget.wait_time(now, weight)
            if d > delay:
                delay, why = d, f"{budget.limit:g} points per {_period(budget.period)}"
        for b in buckets:
            for w in self.buckets.get(b, []):
                d = w.wait_time(now)
                if d > delay:
                    delay, why = d, f"{b}: {w.limit} per {_period(w.period)}"
        return delay, why

    async def acquire(self, buckets: tuple[str, ...] = (), weight: float = 1.0) -> float:
        """Wait for a slot in every window and in the named buckets, and for `weight` points
        in every budget, then take them. The wait happens outside the lock, so a call waiting
        out a route cap (a comment in its hourly window) never holds up the account's other
        calls. A weight no budget can ever hold is refused at once rather than waited for."""
        for budget in self.budgets:
            if weight > budget.limit:
                raise ValueError(f"a call weighing {weight:g} points exceeds the budget of {budget.limit:g} points")
        while True:
            async with self._lock:
                delay, why = self.delay(buckets, weight)
                if delay <= 0:
                    return self.take(buckets, weight)
            if self.on_wait and delay >= 1.0:
                self.on_wait(delay, why)
            self.waited += delay
            await self.sleep(delay)

    def restamp(self, stamp: float, buckets: tuple[str, ...] = (), *, account: bool = True) -> None:
        """Count the call taken at `stamp` as made now, when its answer came: the server saw it
        somewhere in between, so a window that frees its slot from the answer's time never
        frees it before the server's does (a burst sent at once arrives over a while; freed
        from the send times, the whole window reopens at once and meets the server's still full).

        This is the tightest rule that is safe without the server's own clock: a call may still
        count on the server until its answer, so a slot freed from the send (or from the send
        plus a margin shorter than the round trip) can meet the server's window still full;
        against Tallyfy's comment cap that answered 10-15 % of the requests 429 for a 3 % shorter
        burst (benchmarks/comment_cap_pacing.py, RESULTS.md §8e). `account`: the account-wide windows too, not
        only the buckets' (a client that takes its route caps apart restamps those alone)."""
        now = self.clock()
        for w in [*(self.windows if account else ()), *(w for b in buckets for w in self.buckets.get(b, []))]:
            w.restamp(stamp, now)

    def take(self, buckets: tuple[str, ...] = (), weight: float = 1.0, *, counted_at: float | None = None) -> float:
        """Count one call now in every window and the named buckets' (at `counted_at`, when
        the estimate's simulation knows already when its answer comes: see `restamp`) and
        its weight in every budget; answer the time it was taken at."""
        now = self.clock()
        stamp = now if counted_at is None else counted_at
        for w in self.windows:
            w.sent.append(stamp)
        for b in buckets:
            for w in self.buckets.get(b, []):
                w.sent.append(stamp)
        for budget in self.budgets:
            budget.spend(now, weight)
        return now

    def learn(self, name: str, calls: float, seconds: float, how: str, bucket: str | None = None) -> bool:
        """The vendor told us a limit (a header, a 429's words, or 429s at the same count):
        the window of that bucket and period takes it, one is added when there is none, and
        it is kept in `learned` for the next estimate. Answers whether anything changed."""
        if calls <= 0 or seconds <= 0:
            return False
        known = self.learned.get(name)
        if known is not None and known.calls == calls and known.seconds == seconds:
            return False
        self.learned[name] = Learned(name, calls, seconds, how, bucket)
        windows = self.windows if bucket is None else self.buckets.setdefault(bucket, [])
        same = [w for w in windows if abs(w.period - seconds) < 1e-9]
        if same:
            for w in same:
                w.limit = int(calls)
        else:
            windows.append(Window(int(calls), seconds))
        return True

    def observe_remaining(self, remaining: int, reset_in: float, reason: str) -> None:
        """Headers say how many calls are left in the vendor's window: stop at zero."""
        if remaining <= 0 and reset_in > 0:
            self.pause(reset_in, reason)

    def observe_budget(self, remaining: float, reset_in: float) -> None:
        """The vendor says how many points are left (monday.com's `complexity` field, a
        cost header): every budget believes no more than that until the reset."""
        now = self.clock()
        for b in self.budgets:
            b.observe_remaining(now, remaining, reset_in)


def _period(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        n = int(seconds // 3600)
        return "hour" if n == 1 else f"{n} hours"
    if seconds >= 60 and seconds % 60 == 0:
        n = int(seconds // 60)
        return "minute" if n == 1 else f"{n} minutes"
    return f"{seconds:g} s"
