"""The engine's event sink for the TUI: fold events into the model, post at most ~10
`EngineProgressed` messages a second. The engine runs in an async worker on the app's
own loop, so `emit` is called on that loop and may schedule a timer directly."""

from __future__ import annotations

import asyncio
from typing import Any

from tui.messages import EngineProgressed
from tui.model import EngineModel
from wizard.events import Event, RunFinished

FLUSH_INTERVAL_S = 0.1


class TuiSink:
    def __init__(self, app: Any, model: EngineModel) -> None:
        self.app = app
        self.model = model
        self.posted = 0
        self._pending: asyncio.TimerHandle | None = None

    def emit(self, event: Event) -> None:
        self.model.apply(event)
        if isinstance(event, RunFinished):
            self.flush()
        elif self._pending is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called from a thread: post right away (post_message is thread-safe)
                self.flush()
                return
            self._pending = loop.call_later(FLUSH_INTERVAL_S, self.flush)

    def flush(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self.posted += 1
        self.app.post_message(EngineProgressed())
