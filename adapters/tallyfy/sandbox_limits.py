"""Tallyfy's two layers of rate limiting, as the sandbox applies them (reference A4, A8.9):

1. per user, a rolling window of `per_minute` requests per 60 s (docs: 600/min), answered
   with 429, `Retry-After` and `X-RateLimit-Remaining`;
2. per organization, hourly caps on actions that email outsiders: 120 comments and 30 guest
   invites per hour, answered with 429 and a message naming the cap.

`hour_seconds` and `minute_seconds` shrink the hour and the minute so a test can cross the
120-comment cap in seconds. Real Tallyfy sends `Retry-After` as whole seconds; with a scaled
hour (or minute) the sandbox sends a decimal string (e.g. "1.734") because rounding up to 1 s
would be most of a 2-second "hour".
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from adapters.tallyfy.sandbox_rules import ApiError

HOURLY_CAPS: dict[str, tuple[int, str]] = {
    "comments": (120, "Comment"),
    "guest_invites": (30, "Guest Invite"),
}


def retry_after_header(seconds: float, scaled: bool) -> str:
    return f"{max(seconds, 0.001):.3f}" if scaled else str(max(1, math.ceil(seconds)))


class SandboxLimits:
    def __init__(
        self,
        *,
        enabled: bool,
        per_minute: int,
        hour_seconds: float,
        minute_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.per_minute = per_minute
        self.minute_seconds = minute_seconds
        self.hour_seconds = hour_seconds
        self.scaled = hour_seconds != 3600.0
        self.clock = clock
        self._minute: dict[str, deque[float]] = {}
        self._hourly: dict[str, deque[float]] = {k: deque() for k in HOURLY_CAPS}

    def reset(self) -> None:
        self._minute.clear()
        for d in self._hourly.values():
            d.clear()

    def remaining(self, user: str) -> int:
        if not self.enabled:
            return self.per_minute
        now = self.clock()
        d = self._minute.setdefault(user, deque())
        while d and d[0] <= now - self.minute_seconds:
            d.popleft()
        return max(0, self.per_minute - len(d))

    def headers(self, user: str) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.per_minute), "X-RateLimit-Remaining": str(self.remaining(user))}

    def hit(self, user: str) -> None:
        """Count one request against the user's minute, or raise the 429 that refuses it."""
        if not self.enabled:
            return
        if self.remaining(user) <= 0:
            d = self._minute[user]
            wait = d[0] + self.minute_seconds - self.clock()
            raise ApiError(
                429,
                {"message": "Too Many Attempts.", "code": "RATE_LIMIT_EXCEEDED"},
                {"Retry-After": retry_after_header(wait, self.minute_seconds != 60.0), **self.headers(user)},
            )
        self._minute[user].append(self.clock())

    def check_hourly(self, cap: str) -> None:
        """Raise the organization's hourly-cap 429 if `cap` is spent; does not count."""
        if not self.enabled:
            return
        limit, label = HOURLY_CAPS[cap]
        d = self._hourly[cap]
        now = self.clock()
        while d and d[0] <= now - self.hour_seconds:
            d.popleft()
        if len(d) >= limit:
            wait = d[0] + self.hour_seconds - now
            minutes = max(1, math.ceil(wait / 60)) if not self.scaled else wait / 60
            raise ApiError(
                429,
                {
                    "message": f"You've reached the hourly limit for {label} ({limit} per hour per organization). "
                    f"Please try again in {minutes:g} minutes.",
                    "code": "RATE_LIMIT_EXCEEDED",
                },
                {"Retry-After": retry_after_header(wait, self.scaled)},
            )

    def count_hourly(self, cap: str) -> None:
        """A capped action succeeded: it uses one of the hour's slots."""
        if self.enabled:
            self._hourly[cap].append(self.clock())
