"""The cyclic garbage collector, held off while the app starts.

Importing Textual, pydantic and the wizard makes about 90,000 objects (gc.get_count with the
collector off), and composing the first screen thousands more, that live as long as the app and
form no garbage cycle; the collector would walk them again and again on the way to the first
frame (issue 19: the mapping screen's first page of 100,000 items < 1 s cold). `pause()` holds
it off until its resume turns it back on.

- tui/app.py pauses it while its modules load (this module is its first import), then freezes
  what they made (`gc.freeze`: never walked again, so later full collections are cheaper too).
- The app pauses it again from its mount to its first frame, and does not freeze: a process may
  run many apps (the tests do), and garbage frozen with a closed app's objects would never go.

The same reasoning as wizard/store.py's `_no_cyclic_gc`."""

from __future__ import annotations

import gc
from collections.abc import Callable


def pause(*, freeze: bool = False) -> Callable[[], None]:
    """The collector off until the returned function is called (once; a second call does nothing),
    which freezes what is tracked by then if `freeze`."""
    was_enabled = gc.isenabled()
    gc.disable()
    done = False

    def resume() -> None:
        nonlocal done
        if done:
            return
        done = True
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()

    return resume


loaded = pause(freeze=True)  # called by tui/app.py after its last import
