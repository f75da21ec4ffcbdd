"""Asana's documented rate limits, as the sandbox enforces them.

Per token: 150 requests a minute on a free domain, 1,500 on a paid one (rejected requests
count too); 50 GETs and 15 writes in flight at once; and the cost limit: each request's
graph-traversal cost (here: the objects it returns) is deducted after the answer is built,
so the request that crosses zero still succeeds and the next ones get a 429 until the budget
refills. Asana publishes no number for it and sends no warning before it: no header tells a
client how much is left. Every 429 carries `Retry-After` in seconds. `window_scale`
shrinks the minute for benchmarks and tests (Retry-After is then fractional).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

PER_MINUTE = {"free": 150, "paid": 1_500}
WINDOW_S = 60.0
CONCURRENT_READS, CONCURRENT_WRITES = 50, 15
COST_BUDGET = {"free": 6_000, "paid": 60_000}  # objects per minute: unpublished, so ours


class AsanaRateLimits:
    def __init__(
        self,
        mode: str = "documented",
        tier: str = "paid",
        window_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in ("documented", "off"):
            raise ValueError("rate_limits must be 'documented' or 'off'")
        if tier not in PER_MINUTE:
            raise ValueError("tier must be 'free' or 'paid'")
        self.enabled = mode == "documented"
        self.tier = tier
        self.period = WINDOW_S * window_scale
        self.clock = clock
        self.sent: dict[str, deque[float]] = {}
        self.in_flight: dict[tuple[str, bool], int] = {}
        self.cost: dict[str, tuple[float, float]] = {}  # token -> (budget left, when it last refilled)
        self.rejected = 0

    @property
    def per_minute(self) -> int:
        return PER_MINUTE[self.tier]

    def _budget(self, token: str, now: float) -> float:
        left, since = self.cost.get(token, (COST_BUDGET[self.tier], now))
        full = COST_BUDGET[self.tier]
        left = min(full, left + (now - since) * full / self.period)
        self.cost[token] = (left, now)
        return left

    def admit(self, token: str, *, write: bool = False, weight: int = 1) -> float | None:
        """Count a request (a batch counts as its actions); None if it may proceed, else the
        seconds to put in Retry-After."""
        if not self.enabled:
            return None
        now = self.clock()
        window = self.sent.setdefault(token, deque())
        while window and window[0] <= now - self.period:
            window.popleft()
        for _ in range(weight):
            window.append(now)  # rejected requests count as well
        if len(window) > self.per_minute:
            self.rejected += 1
            return self._retry_in(window[len(window) - self.per_minute - 1] + self.period - now)
        if self._budget(token, now) <= 0:
            self.rejected += 1
            full = COST_BUDGET[self.tier]
            return self._retry_in(-self.cost[token][0] * self.period / full + self.period / 60)
        cap = CONCURRENT_WRITES if write else CONCURRENT_READS
        if self.in_flight.get((token, write), 0) + 1 > cap:
            self.rejected += 1
            return self._retry_in(self.period / 60)  # long enough for the requests in flight to finish
        self.in_flight[(token, write)] = self.in_flight.get((token, write), 0) + 1
        return None

    def done(self, token: str, *, write: bool = False, cost: int = 1) -> None:
        """The answer is built: release the slot and deduct its cost (may go below zero)."""
        if not self.enabled:
            return
        key = (token, write)
        self.in_flight[key] = max(0, self.in_flight.get(key, 0) - 1)
        left = self._budget(token, self.clock())
        self.cost[token] = (left - max(1, cost), self.clock())

    def drain(self, token: str) -> None:
        """Spend the token's cost budget (a very expensive query happened elsewhere): the next
        request gets the cost-based 429 with no warning before it."""
        self.cost[token] = (-COST_BUDGET[self.tier] * 0.05, self.clock())

    def _retry_in(self, seconds: float) -> float:
        seconds = max(seconds, 0.001)
        return float(math.ceil(seconds)) if self.period >= WINDOW_S else round(seconds, 3)
