"""ClickUp's documented rate limits, as the sandbox enforces them (reference §3.4): per token,
by the plan of the Workspace, 100 requests a minute (Free Forever, Unlimited, Business), 1,000
(Business Plus), 10,000 (Enterprise). Every answer carries `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (a Unix timestamp); a request over the limit
gets a 429 with the same headers and no Retry-After. `window_scale` shrinks the minute for
benchmarks and tests (the reset is then a timestamp with milliseconds)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

PER_MINUTE = {"free": 100, "unlimited": 100, "business": 100, "business_plus": 1_000, "enterprise": 10_000}
WINDOW_S = 60.0


class ClickUpRateLimits:
    def __init__(
        self,
        mode: str = "documented",
        plan: str = "business",
        window_scale: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if mode not in ("documented", "off"):
            raise ValueError("rate_limits must be 'documented' or 'off'")
        if plan not in PER_MINUTE:
            raise ValueError(f"plan must be one of {', '.join(PER_MINUTE)}")
        self.enabled = mode == "documented"
        self.plan = plan
        self.period = WINDOW_S * window_scale
        self.clock = clock
        self.window: dict[str, tuple[float, int]] = {}  # token -> (window start, requests in it)
        self.rejected = 0

    @property
    def limit(self) -> int:
        return PER_MINUTE[self.plan]

    def admit(self, token: str) -> tuple[bool, dict[str, str]]:
        """Count one request (a refused one counts too): whether it may proceed, and the
        headers its answer carries."""
        now = self.clock()
        start, used = self.window.get(token, (now, 0))
        if now >= start + self.period:
            start, used = now, 0
        used += 1
        self.window[token] = (start, used)
        ok = not self.enabled or used <= self.limit
        if not ok:
            self.rejected += 1
        return ok, self.headers(token)

    def headers(self, token: str) -> dict[str, str]:
        start, used = self.window.get(token, (self.clock(), 0))
        reset = start + self.period
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - used)),
            "X-RateLimit-Reset": str(math.ceil(reset)) if self.period >= WINDOW_S else f"{reset:.3f}",
        }
