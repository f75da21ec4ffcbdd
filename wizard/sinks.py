"""Event sinks for the headless side: a JSON-lines log file (personal data masked) and a
rich progress display for the terminal."""

from __future__ import annotations

import atexit
import dataclasses
import json
import re
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from wizard.events import (
    CircuitOpened,
    Event,
    LogLine,
    ObjectMigrated,
    ObjectQuarantined,
    ObjectsDiscovered,
    ObjectSkipped,
    PhaseFinished,
    PhaseStarted,
    RateLimited,
    RequestRetried,
)
from wizard.journal import now_iso

if TYPE_CHECKING:
    from rich.progress import TaskID
from wizard.redact import redact
from wizard.secrets import mask_email
from wizard.textsafe import visible


class JsonLogSink:
    """logs/run.jsonl: every event but the per-object ones at debug volume. Events carry
    keys and ids, never names, emails or comment text, so nothing personal reaches the log."""

    FLUSH_EVERY_S = 0.5  # one write per event cost a syscall per object; the journal, not the log, is the record

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "logs" / "run.jsonl"
        self._fh: IO[str] | None = None
        self._broken = False
        self._flushed = time.monotonic()
        atexit.register(self.close)

    def _open(self) -> IO[str] | None:
        """Opened at the first event, so opening a folder to read it writes nothing."""
        if self._fh is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")
            except OSError:
                self._broken = True
        return self._fh

    def emit(self, event: Event) -> None:
        fh = self._open()
        if fh is None:
            return
        fields = {k: _mask(v) for k, v in dataclasses.asdict(event).items()}
        try:
            fh.write(json.dumps({"ts": now_iso(), "event": type(event).__name__, **fields}, default=str) + "\n")
            if time.monotonic() - self._flushed >= self.FLUSH_EVERY_S:
                fh.flush()
                self._flushed = time.monotonic()
        except OSError:
            self._fh, self._broken = None, True  # a full disk must not stop the run for its log; the journal counts

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass
            self._fh = None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _mask(value: object) -> object:
    """Reasons and log lines can quote vendor data: any secret in them is redacted, any
    email masked."""
    if isinstance(value, str):
        value = redact(value)
        if "@" in value:
            return _EMAIL.sub(lambda m: mask_email(m.group(0)), value)
    return value


class RichSink:
    """Progress bars per phase, and one line per notable event."""

    def __init__(self, console: Console | None = None) -> None:
        # lazy: the headless run's bars only; the TUI, which imports this module, draws its own
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=self.console,
            transient=False,
            disable=not self.console.is_terminal,
        )
        self.tasks: dict[str, TaskID] = {}
        self.counts: dict[str, int] = {}
        self._last_wait = 0.0

    def __enter__(self) -> RichSink:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _task(self, phase: str, total: int | None = None) -> TaskID:
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(phase, total=total, note="")
        elif total is not None:
            self.progress.update(self.tasks[phase], total=total)
        return self.tasks[phase]

    def emit(self, event: Event) -> None:
        if isinstance(event, PhaseStarted):
            self._task(event.phase, event.total)
        elif isinstance(event, PhaseFinished):
            tid = self._task(event.phase)
            task = self.progress.tasks[tid]
            self.progress.update(tid, total=task.completed or 1, completed=task.completed or 1)
        elif isinstance(event, ObjectsDiscovered):
            self.counts[event.kind] = event.count
            note = ", ".join(f"{v} {k}s" for k, v in self.counts.items())
            self.progress.update(self._task("discover"), note=note)
        elif isinstance(event, ObjectMigrated):
            phase = {"item": "items", "comment": "comments", "attachment": "attachments"}.get(event.kind)
            if phase:
                self.progress.advance(self._task(phase))
        elif isinstance(event, ObjectQuarantined):
            self._say(("quarantined", "yellow"), f" {event.kind} {event.key}: {event.reason}")
        elif isinstance(event, ObjectSkipped):
            phase = {"item": "items", "comment": "comments", "attachment": "attachments"}.get(event.kind)
            if phase:
                self.progress.advance(self._task(phase))
        elif isinstance(event, RateLimited):
            now = time.time()
            if now - self._last_wait > 5:
                self._last_wait = now
                until = time.strftime("%H:%M:%S", time.localtime(event.until_epoch))
                self._say((f"waiting for {event.system} rate limit until {until}", "cyan"), f" ({event.reason})")
        elif isinstance(event, RequestRetried) and event.attempt >= 3:
            self._say((f"retrying {event.system} (attempt {event.attempt}): {event.reason}", "dim"))
        elif isinstance(event, CircuitOpened):
            self._say((f"{event.system} keeps failing ({event.reason}); stopping", "red"))
        elif isinstance(event, LogLine) and event.level in ("warning", "error"):
            self._say((event.text, "yellow"))

    def _say(self, *parts: str | tuple[str, str]) -> None:
        """One line of (text, style) parts: vendor text in them is shown, never read as markup."""
        line = Text()
        for part in parts:
            text, style = part if isinstance(part, tuple) else (part, "")
            line.append(visible(text, limit=2000), style)
        self.console.print(line)
