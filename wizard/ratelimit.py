"""A rate limiter per account: sliding windows seeded from the vendor's documented limits,
corrected by what the vendor's response headers say, and paused by 429s.

Windows are exact (a log of send times), so the limiter can run right up to a limit
without crossing it. Named buckets carry route-specific caps (Tallyfy comments: 120 per
hour per organization; Trello /members: 100 per 900 s).
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


class RateLimiter:
    def __init__(
        self,
        windows: list[tuple[int, float]],
        buckets: dict[str, list[tuple[int, float]]] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        self.windows = [Window(n, p) for n, p in windows]
        self.buckets = {name: [Window(n, p) for n, p in ws] for name, ws in (buckets or {}).items()}
        self.clock = clock
        self.on_wait = on_wait
        self.paused_until = 0.0
        self.pause_reason = ""
        self._lock = asyncio.Lock()
        self.waited = 0.0
        self.stop: asyncio.Event | None = None  # the run's stop request: set, it ends every wait

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

    def pause_bucket(self, bucket: str, seconds: float) -> None:
        """The vendor says a route cap is spent: fill its windows so we wait it out."""
        now = self.clock()
        for w in self.buckets.get(bucket, []):
            w.sent.clear()
            w.sent.extend([now + seconds - w.period] * w.limit)

    def _delay(self, buckets: tuple[str, ...]) -> tuple[float, str]:
        now = self.clock()
        delay, why = self.paused_until - now, self.pause_reason
        for w in self.windows:
            d = w.wait_time(now)
            if d > delay:
                delay, why = d, f"{w.limit} requests per {w.period:g} s"
        for b in buckets:
            for w in self.buckets.get(b, []):
                d = w.wait_time(now)
                if d > delay:
                    delay, why = d, f"{b}: {w.limit} per {_period(w.period)}"
        return delay, why

    async def acquire(self, buckets: tuple[str, ...] = ()) -> None:
        """Wait for a slot in every window and in the named buckets, then take it. The wait
        happens outside the lock, so a call waiting out a route cap (a comment in its hourly
        window) never holds up the account's other calls."""
        while True:
            async with self._lock:
                delay, why = self._delay(buckets)
                if delay <= 0:
                    now = self.clock()
                    for w in self.windows:
                        w.sent.append(now)
                    for b in buckets:
                        for w in self.buckets.get(b, []):
                            w.sent.append(now)
                    return
            if self.on_wait and delay >= 1.0:
                self.on_wait(delay, why)
            self.waited += delay
            await self.sleep(delay)

    def observe_remaining(self, remaining: int, reset_in: float, reason: str) -> None:
        """Headers say how many calls are left in the vendor's window: stop at zero."""
        if remaining <= 0 and reset_in > 0:
            self.pause(reset_in, reason)


def _period(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        n = int(seconds // 3600)
        return "hour" if n == 1 else f"{n} hours"
    if seconds >= 60 and seconds % 60 == 0:
        n = int(seconds // 60)
        return "minute" if n == 1 else f"{n} minutes"
    return f"{seconds:g} s"
