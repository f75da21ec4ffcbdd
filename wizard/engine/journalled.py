"""The journalled write every object goes through, and the run's tally.

`ensure()` makes sure a source object exists in the target exactly once: a mapped key is
done; an intent left without a result, or a write whose fate is unknown (a 5xx or a reset
after sending), is looked for in the target (by provenance marker) before it is written
again; a record the target refuses is quarantined with its reason and the run goes on.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from wizard.call_errors import AmbiguousWrite, ObjectUnavailable, RecordRejected
from wizard.events import EventSink, LogLine, ObjectMigrated, ObjectQuarantined, ObjectSkipped
from wizard.store import Store
from wizard.target import TargetAdapter
from wizard.tracing import object_span


@dataclass
class RunSummary:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    existing: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deleted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Items met in the target, by what the conflict rules did: overwritten, merged, skipped.
    resolved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    interrupted: bool = False
    elapsed_s: float = 0.0
    source_calls: int = 0
    target_calls: int = 0

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


class RunJournal:
    """The journalled write every object of a run goes through, and the run's tally: shared
    by the run's parts (the executor, its child writer and its conflict rules)."""

    def __init__(
        self,
        store: Store,
        target: TargetAdapter,
        sink: EventSink,
        summary: RunSummary,
        stop: asyncio.Event,
        resume: asyncio.Event | None,
    ) -> None:
        self.store = store
        self.target = target
        self.sink = sink
        self.summary = summary
        self.stop = stop
        self.resume = resume  # when cleared, the run waits (pause); None means never paused

    async def ensure(self, key: str, kind: str, action: str, **kw: Any) -> str | None:
        """Make sure `key` exists in the target exactly once (one trace span per object when
        traces are on, wizard/tracing.py)."""
        with object_span(kind, key, action) as span:
            target_id = await self._ensure(key, kind, action, **kw)
            span.done(target_id)
            return target_id

    async def _ensure(
        self,
        key: str,
        kind: str,
        action: str,
        *,
        create: Callable[[], Awaitable[str]],
        find: Callable[[], Awaitable[str | None]] | None,
        target_type: str,
        parent_id: str | None = None,
        hash: str | None = None,
        extra: dict[str, Any] | None = None,
        find_first: bool = False,
        item: str | None = None,
    ) -> str | None:
        """Make sure `key` exists in the target exactly once. Returns its target id, or None
        when it was quarantined."""
        mapped = self.store.target_of(key)
        if mapped:
            return str(mapped["target_id"])
        if (find_first or key in self.store.pending) and find is not None:
            found = await find()
            if found:
                # An intent without a result means this folder sent the create and was cut off
                # before the answer: it made it. Otherwise it was there already (another folder's,
                # or the client's) and is never this folder's to remove.
                ours = key in self.store.pending
                self.store.done(
                    key, kind, target_type, found, created=ours, parent_id=parent_id, hash=hash, extra=extra
                )
                self.count(kind, found, created=ours, key=key)
                return found
        tries = self.target.gate.tries  # the target client's own attempts, as for any call
        for attempt in range(tries):
            self.store.intent(key, kind, action, parent_id=parent_id)
            try:
                target_id = await create()
            except AmbiguousWrite as e:
                found = await find() if find is not None else None
                if found:
                    target_id = found
                elif attempt + 1 < tries:
                    self.sink.emit(LogLine("warning", f"{e.reason}; {key} is not in the target, sending again"))
                    continue
                else:
                    self.quarantine(key, kind, f"the target never confirmed it ({e.reason})", item)
                    return None
            except RecordRejected as e:
                self.quarantine(key, kind, f"{e.label or self.target.label} refused it ({e})", item)
                return None
            except ObjectUnavailable as e:
                self.quarantine(key, kind, str(e), item)
                return None
            self.store.done(
                key, kind, target_type, target_id, created=True, parent_id=parent_id, hash=hash, extra=extra
            )
            self.count(kind, target_id, created=True, key=key)
            return target_id
        return None  # pragma: no cover

    def count(self, kind: str, target_id: str, *, created: bool, key: str) -> None:
        (self.summary.created if created else self.summary.existing)[kind] += 1
        self.sink.emit(ObjectMigrated(kind, key, target_id, created))

    def quarantine(self, key: str, kind: str, reason: str, item: str | None = None) -> None:
        self.store.failed(key, kind, reason, quarantine=True, item=item)
        self.summary.failed[kind] += 1
        self.sink.emit(ObjectQuarantined(kind, key, reason))

    def skip(self, key: str, kind: str, reason: str) -> None:
        self.summary.skipped[kind] += 1
        self.sink.emit(ObjectSkipped(kind, key, reason))

    async def go_on(self) -> bool:
        """False when a stop was asked; waits while paused."""
        if self.resume is not None:
            await self.resume.wait()
        return not self.stop.is_set()
