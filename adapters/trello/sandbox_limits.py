"""Trello's documented rate limits, as the sandbox enforces them.

Per token 100 requests per 10 s, per key 300 per 10 s, `/1/members/{id}` 100 per 900 s per
token (nested routes such as `/members/me/boards` do not count), and the key lock-out: more
than 200 429s for a key within a window answer 429 for the rest of that window. Windows are
fixed intervals starting at the first request after the previous one ended; `window_scale`
shrinks them for benchmarks and tests (the headers report the scaled interval).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

TOKEN_LIMIT, KEY_LIMIT, MEMBERS_LIMIT = 100, 300, 100
WINDOW_S, MEMBERS_WINDOW_S = 10.0, 900.0
LOCKOUT_AFTER = 200
OFF_MAX = 1_000_000  # what the headers advertise when limits are off (benchmarks)


@dataclass
class FixedWindow:
    limit: int
    period: float
    start: float = -1e18
    count: int = 0
    rejected: int = 0

    def roll(self, now: float) -> None:
        if now >= self.start + self.period:
            self.start, self.count, self.rejected = now, 0, 0

    def remaining(self) -> int:
        return max(0, self.limit - self.count)


class TrelloRateLimits:
    def __init__(
        self, mode: str = "documented", window_scale: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if mode not in ("documented", "off"):
            raise ValueError("rate_limits must be 'documented' or 'off'")
        self.enabled = mode == "documented"
        self.scale = window_scale
        self.clock = clock
        self.tokens: dict[str, FixedWindow] = {}
        self.keys: dict[str, FixedWindow] = {}
        self.members: dict[str, FixedWindow] = {}

    def _window(self, table: dict[str, FixedWindow], who: str, limit: int, period: float) -> FixedWindow:
        w = table.get(who)
        if w is None:
            w = table[who] = FixedWindow(limit, period * self.scale)
        w.roll(self.clock())
        return w

    def admit(self, key: str, token: str, *, cost: int = 1, members_route: bool = False) -> str | None:
        """Count a request; None if it may proceed, else Trello's 429 error code."""
        if not self.enabled:
            return None
        kw = self._window(self.keys, key, KEY_LIMIT, WINDOW_S)
        tw = self._window(self.tokens, token, TOKEN_LIMIT, WINDOW_S)
        mw = self._window(self.members, token, MEMBERS_LIMIT, MEMBERS_WINDOW_S) if members_route else None
        error: str | None = None
        if kw.rejected > LOCKOUT_AFTER or kw.count + cost > kw.limit:
            error = "API_KEY_LIMIT_EXCEEDED"
        elif tw.count + cost > tw.limit:
            error = "API_TOKEN_LIMIT_EXCEEDED"
        elif mw is not None and mw.count + cost > mw.limit:
            error = "MEMBER_LIMIT_EXCEEDED"
        if error:
            kw.rejected += 1
            return error
        kw.count += cost
        tw.count += cost
        if mw is not None:
            mw.count += cost
        return None

    def headers(self, key: str, token: str, *, exhausted: bool = False) -> dict[str, str]:
        """The x-rate-limit-* headers Trello puts on every response."""
        if not self.enabled:
            tok = key_ = (OFF_MAX, OFF_MAX - 1, WINDOW_S * self.scale)
        else:
            tw = self._window(self.tokens, token, TOKEN_LIMIT, WINDOW_S)
            kw = self._window(self.keys, key, KEY_LIMIT, WINDOW_S)
            tok = (tw.limit, 0 if exhausted else tw.remaining(), tw.period)
            key_ = (kw.limit, kw.remaining(), kw.period)
        return {
            "x-rate-limit-api-token-interval-ms": str(int(tok[2] * 1000)),
            "x-rate-limit-api-token-max": str(tok[0]),
            "x-rate-limit-api-token-remaining": str(tok[1]),
            "x-rate-limit-api-key-interval-ms": str(int(key_[2] * 1000)),
            "x-rate-limit-api-key-max": str(key_[0]),
            "x-rate-limit-api-key-remaining": str(key_[1]),
        }
