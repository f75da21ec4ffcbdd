"""The one gate every target write passes, whatever the target.

A target adapter never sends a write itself: it hands the gate the call (method, path, what
it does, the source key it is for), the coroutine that sends it, and what a dry run answers
in its place. So, for every target and with no dry-run branch in any adapter:

- a real run sends the write; when the adapter also says how to find the write's result
  (`find`), a write whose fate is unknown (a 5xx or a reset after sending) is looked for
  before it is sent again, so it lands exactly once;
- a dry run records an `Action` and answers with a placeholder id (`dry-000001`), and the
  reads of what only the dry run "created" are answered by the adapter's `fake` and still
  counted, because the real run will make them. So the dry run's action list is the real
  run's calls, in order, and the estimate counts the same calls.

The engine's own intent journal (`wizard/engine/journalled.py`) sits above the gate: it
writes the intent before asking the adapter and the result after, and reconciles an intent
left without a result by the provenance marker the adapter finds.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from wizard.call_errors import AmbiguousWrite
from wizard.errors import SystemUnavailable
from wizard.target import Action

T = TypeVar("T")

PLACEHOLDER = "dry-"
# A call's attempts at the plan's default `limits.max_retries` (6) plus the first.
DEFAULT_TRIES = 7


class WriteGate:
    def __init__(
        self, label: str, calls: Callable[[], int], *, tries: int = DEFAULT_TRIES, dry_run: bool = False
    ) -> None:
        """`label`: the target's name, for messages. `calls`: the target client's own call
        count, what a real run reports. `tries`: how often a write whose fate stays unknown is
        sent, each time after looking for it; the target passes its client's own attempts
        (`max_retries + 1`), so an unconfirmed write is as persistent as any other call."""
        self.label = label
        self.tries = tries
        self.dry_run = dry_run
        self.actions: list[Action] = []
        self._client_calls = calls
        self._ids = itertools.count(1)

    @property
    def calls(self) -> int:
        """Calls made so far (in a dry run: the calls the real run would make)."""
        return len(self.actions) if self.dry_run else self._client_calls()

    @staticmethod
    def is_placeholder(target_id: object) -> bool:
        """True for an id only a dry run made up: nothing in the target has it."""
        return str(target_id).startswith(PLACEHOLDER)

    async def write(
        self,
        method: str,
        path: str,
        what: str,
        key: str,
        send: Callable[[], Awaitable[T]],
        fake: Callable[[str], T],
        *,
        find: Callable[[], Awaitable[T | None]] | None = None,
    ) -> T:
        """One write. In a dry run: recorded, and answered by `fake(placeholder id)`. With
        `find`: a write the target never confirmed is looked for before it is sent again."""
        if self.dry_run:
            self.actions.append(Action(method, path, what, key))
            return fake(f"{PLACEHOLDER}{next(self._ids):06d}")
        if find is None:
            return await send()
        return await self._reconciled(what, send, find)

    async def read(
        self,
        path: str,
        what: str,
        key: str,
        send: Callable[[], Awaitable[T]],
        fake: Callable[[], T] | None = None,
    ) -> T:
        """One read. In a dry run it is counted; a read of something the dry run only
        pretended to create is answered by `fake` instead of sent."""
        if self.dry_run:
            self.actions.append(Action("GET", path, what, key))
            if fake is not None:
                return fake()
        return await send()

    def mark(self) -> int:
        """Where the action list stands now: hand it to `annotate` later."""
        return len(self.actions)

    def annotate(self, since: int, key: str, note: str) -> None:
        """Append `note` to each action for `key` recorded since `mark()` returned `since`
        (a dry run names, on each write, the decision it depends on)."""
        for i in range(since, len(self.actions)):
            if self.actions[i].key == key:
                self.actions[i] = replace(self.actions[i], what=self.actions[i].what + note)

    async def _reconciled(
        self, what: str, send: Callable[[], Awaitable[T]], find: Callable[[], Awaitable[T | None]]
    ) -> T:
        reason = ""
        for _ in range(self.tries):
            try:
                return await send()
            except AmbiguousWrite as e:
                reason = e.reason
                found = await find()
                if found is not None:
                    return found
        raise SystemUnavailable(
            f"{self.label} never confirmed that it did {what} ({reason}); everything done so far is "
            f"kept: run the same command again to resume."
        )
