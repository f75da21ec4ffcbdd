"""The cyclic garbage collector, held off while the app starts and while it moves to a step.

Importing Textual, pydantic and the wizard makes about 90,000 objects (gc.get_count with the
collector off), and composing a screen thousands more, that live as long as the app (or the
screen) and form no garbage cycle; the collector would walk them again and again on the way to
the frame (issue 19: the mapping screen's first page of 100,000 items < 1 s cold; moving to it
< 0.1 s, where collections took 10-19 ms of about 0.11 s). `Hold` keeps it off between two points.

- tui/app.py holds it while its modules load (this module is its first import), then freezes
  what they made (`gc.freeze`: never walked again, so later full collections are cheaper too).
- The app holds it again from its mount to its first frame, and from a move to a step to that
  screen's first frame, without freezing: a process may run many apps (the tests do), and garbage
  frozen with a closed app's objects would never go. Closing the app ends a hold.

The same reasoning as wizard/store.py's `_no_cyclic_gc`."""

from __future__ import annotations

import gc


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


_imports = Hold()
_imports.start()


def loaded() -> None:
    """Called by tui/app.py after its last import: what the imports made is frozen, the collector on."""
    _imports.end(freeze=True)
