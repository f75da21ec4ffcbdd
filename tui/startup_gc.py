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

`Hold` is wizard/gc_hold.py's, which a store's load uses too."""

from __future__ import annotations

from wizard.gc_hold import Hold

_imports = Hold()
_imports.start()


def loaded() -> None:
    """Called by tui/app.py after its last import: what the imports made is frozen, the collector on."""
    _imports.end(freeze=True)
