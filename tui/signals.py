"""The signals that end a terminal program end the app through its `exit`, as its quit key does,
so a run in progress stops at a safe point first: SIGTERM (a supervisor, `kill`), SIGHUP (the
terminal closed) and SIGINT (`kill -INT`; Ctrl-C in the app is a key, not this signal). Left to
Python and asyncio, the first two end the process where it stands and the third cancels the
run at once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


def exit_on_signals(leave: Callable[[], None]) -> Callable[[], None]:
    """Each of SIGNALS calls `leave` from the running loop until the returned undo is called,
    which puts back the handlers there were before. A signal the loop cannot take (not the main
    thread, or not on this platform) keeps its handler."""
    loop = asyncio.get_running_loop()
    before: dict[int, object] = {}
    for sig in SIGNALS:
        previous = signal.getsignal(sig)
        try:
            loop.add_signal_handler(sig, leave)
        except (ValueError, RuntimeError, NotImplementedError):
            continue
        before[sig] = previous

    def undo() -> None:
        for sig, previous in before.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)  # type: ignore[arg-type]

    return undo
