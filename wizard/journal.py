"""The write-ahead journal: an append-only JSON-lines file.

Every write to a target is journalled as `intent` before the call and `done` (or `failed`)
after it; rollback appends `undone`. Each line goes to the file in one unbuffered write, so a
kill -9 loses nothing already written, and a write that fails (a full disk) is cut back off
the file, so no torn line and no half-sent buffer is left to reach the file later; `sync()` fsyncs, and the store calls it at checkpoints and at
least every `SYNC_EVERY` entries, so an OS crash loses at most that tail, which resume
reconciles against the target by provenance marker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wizard.errors import StoreError

SYNC_EVERY = 256


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Journal:
    def __init__(self, path: Path, checked: tuple[int, int] = (0, 0)) -> None:
        """`checked` = (offset, seq): the journal up to `offset` was fsynced and recorded by a
        snapshot, its last entry being `seq`; only what follows is read to find a torn tail."""
        self.path = path
        self.seq = 0
        self._unsynced = 0
        self._repair_tail(*checked)
        try:
            self._fh = open(path, "ab", buffering=0)
            self._size = os.fstat(self._fh.fileno()).st_size
        except OSError as e:
            raise StoreError(f"Cannot open the journal {path} ({e.strerror}).") from None

    def _repair_tail(self, offset: int = 0, seq: int = 0) -> None:
        """A kill mid-append can leave a torn last line; cut it so the file stays valid.
        Lines before a snapshot's offset are not parsed again (at 200,000 entries that
        parse was most of a resume's load time)."""
        if not self.path.exists():
            return
        good = 0
        last_seq = 0
        with open(self.path, "rb") as f:
            if 0 < offset <= self.path.stat().st_size:
                f.seek(offset - 1)
                if f.read(1) == b"\n":  # the offset ends a line, as a snapshot's does
                    good, last_seq = offset, seq
                else:
                    f.seek(0)
            for line in f:
                if not line.endswith(b"\n"):
                    break
                try:
                    last_seq = json.loads(line)["seq"]
                except (ValueError, KeyError, TypeError):
                    break
                good += len(line)
        if good != self.path.stat().st_size:
            with open(self.path, "r+b") as f:
                f.truncate(good)
        self.seq = last_seq

    def append(self, op: str, **fields: Any) -> int:
        self.seq += 1
        entry = {"seq": self.seq, "ts": now_iso(), "op": op, **fields}
        data = (json.dumps(entry, separators=(",", ":"), default=str) + "\n").encode("utf-8")
        try:
            written = 0
            while written < len(data):
                written += self._fh.write(data[written:]) or 0
        except OSError as e:
            self.seq -= 1
            try:
                os.ftruncate(self._fh.fileno(), self._size)  # no torn line left behind
            except OSError:
                pass
            raise StoreError(f"Could not write the journal {self.path} ({e.strerror}); the run stopped and can be resumed.") from None
        self._size += len(data)
        self._unsynced += 1
        if self._unsynced >= SYNC_EVERY:
            self.sync()
        return self.seq

    def sync(self) -> None:
        if self._unsynced:
            try:
                os.fsync(self._fh.fileno())
            except OSError as e:
                raise StoreError(f"Could not sync the journal {self.path} ({e.strerror}).") from None
            self._unsynced = 0

    @property
    def offset(self) -> int:
        """Bytes written so far: a snapshot records it so a load replays only the tail."""
        return self._size

    def entries(self, after: int = 0, offset: int = 0) -> Iterator[dict[str, Any]]:
        with open(self.path, "rb") as f:
            if offset and offset <= self.path.stat().st_size:
                f.seek(offset)
            for line in f:
                entry = json.loads(line)
                if entry["seq"] > after:
                    yield entry

    def close(self) -> None:
        if not self._fh.closed:
            self.sync()
            self._fh.close()
