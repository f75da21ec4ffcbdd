"""The cyclic garbage collector held off between two points: a store's load (wizard/store.py),
the TUI's start and its moves between steps (tui/startup_gc.py). Each makes many objects that live
on and form no garbage cycle, which the collector would walk again and again for nothing."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


class Hold:
    """The collector off from `start()` to `end()`. A start while held changes nothing, and an end
    while not held does nothing, so two moves in a row share one hold and nothing turns it on
    that was off before the first start."""

    def __init__(self) -> None:
        self._was_enabled: bool | None = None  # None: not holding

    @property
    def holding(self) -> bool:
        return self._was_enabled is not None

    def start(self) -> None:
        if self._was_enabled is None:
            self._was_enabled = gc.isenabled()
            gc.disable()

    def end(self, *, freeze: bool = False) -> None:
        """Back on, if it was on at the start; `freeze` first keeps what is tracked by now out of
        every later collection."""
        if self._was_enabled is None:
            return
        if freeze:
            gc.freeze()
        if self._was_enabled:
            gc.enable()
        self._was_enabled = None


@contextlib.contextmanager
def held() -> Iterator[None]:
    """The collector off inside the block, as it was after it."""
    hold = Hold()
    hold.start()
    try:
        yield
    finally:
        hold.end()
