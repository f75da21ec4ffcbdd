"""The cyclic garbage collector, held off while the app's modules load (imported first by
tui/app.py, which calls `loaded()` after its last import).

Importing Textual, pydantic and the wizard makes about 90,000 objects that live as long as the
process and form no garbage cycle; the collector would walk them again and again on the way to
the first frame (issue 19: the first page of the mapping screen < 1 s cold). Once they are loaded
they are frozen (`gc.freeze`: never walked again, so later full collections are cheaper too) and
the collector runs as before. The same reasoning as wizard/store.py's `_no_cyclic_gc`."""

from __future__ import annotations

import gc

_was_enabled = gc.isenabled()
gc.disable()


def loaded() -> None:
    """The modules are in: keep their objects out of every later collection, collector back on."""
    gc.freeze()
    if _was_enabled:
        gc.enable()
