"""A log's tail whose long lines wrap at its width, and wrap again when the width changes: no
line runs off the right edge behind a horizontal scrollbar (at 80 columns most did)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog


class TailLog(RichLog):
    DEFAULT_CSS = "TailLog { overflow-x: hidden; }"

    def __init__(self, max_lines: int, *, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, wrap=True, min_width=1, markup=False, highlight=False, id=id)
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._width = 0

    def write_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self._lines.append(line)
            self.write(Text(line))

    def on_resize(self, event: Resize) -> None:
        """RichLog wraps a line once, as it is written: a new width writes the kept lines again
        (the first width is RichLog's own to take)."""
        was, self._width = self._width, event.size.width
        if was and self._width != was:
            self.clear()
            for line in self._lines:
                self.write(Text(line))
