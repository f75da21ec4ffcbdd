"""The write-ahead journal: an append-only JSON-lines file.

Every write to a target is journalled as `intent` before the call and `done` (or `failed`)
after it; rollback appends `undone`. Each line goes to the file in one unbuffered write, so a
kill -9 loses nothing already written, and a write that fails (a full disk) is cut back off
the file, so no torn line and no half-sent buffer is left to reach the file later; `sync()`
fsyncs, and the store calls it at checkpoints and at least every `SYNC_EVERY` entries, so an
OS crash loses at most that tail, which resume reconciles against the target by provenance
marker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from wizard.errors import StoreError

SYNC_EVERY = 256


def loads(data: bytes | str) -> Any:
    """One JSON document, parsed by orjson (a resume parses a snapshot of 100,000 mappings and
    up to 50,000 journal lines: 2-3x faster than the standard library), or by the standard
    library where orjson is stricter than the `json.dumps` that wrote it (NaN, lone surrogates,
    integers past 64 bits)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Journal:
    def __init__(self, path: Path, checked: tuple[int, int] = (0, 0), *, readonly: bool = False) -> None:
        """`checked` = (offset, seq): the journal up to `offset` was fsynced and recorded by a
        snapshot, its last entry being `seq`; only what follows is read to find a torn tail.
        A read-only journal cuts nothing and writes nothing: it is read up to its last whole
        line, which is a consistent view even while another process appends to it."""
        self.path = path
        self.readonly = readonly
        self.seq = 0
        self._unsynced = 0
        self._fh: IO[bytes] | None = None
        # What `_check` parsed (where it began, the entries), handed once to `entries()`: a
        # resume parses the journal's tail once, not once to check it and again to replay it.
        self._tail: tuple[int, list[dict[str, Any]]] | None = None
        self._size = self._check(*checked)
        if readonly:
            return
        try:
            if self.path.exists() and self.path.stat().st_size != self._size:
                with open(self.path, "r+b") as f:
                    f.truncate(self._size)  # the torn last line, and only it
            self._fh = open(path, "ab", buffering=0)
            os.chmod(path, 0o600)
        except OSError as e:
            raise StoreError(f"Cannot open the journal {path} ({e.strerror}).") from None

    def _check(self, offset: int = 0, seq: int = 0) -> int:
        """Read the journal after `offset` (lines before a snapshot's offset are not parsed
        again: at 200,000 entries that parse was most of a resume's load time); returns where
        its whole, valid lines end and sets `seq` to the last one's.

        A kill mid-append can leave a torn last line: it is left out (and cut by a writer).
        A damaged line with lines after it is not a torn tail: cutting there would silently
        drop everything recorded after it, so it stops the command with one sentence."""
        if not self.path.exists():
            return 0
        good, last_seq = 0, 0
        parsed: list[dict[str, Any]] = []
        with open(self.path, "rb") as f:
            if 0 < offset <= self.path.stat().st_size:
                f.seek(offset - 1)
                if f.read(1) == b"\n":  # the offset ends a line, as a snapshot's does
                    good, last_seq = offset, seq
                else:
                    f.seek(0)
            start = good
            for line in f:
                if not line.endswith(b"\n"):
                    break  # torn last line
                try:
                    entry = loads(line)
                    entry_seq = entry["seq"]
                    ok = isinstance(entry_seq, int) and entry_seq > last_seq
                except (ValueError, KeyError, TypeError):
                    ok = False
                if not ok:
                    if f.read(1):
                        raise self._damaged(good)
                    break  # a bad last line is a torn tail too
                parsed.append(entry)
                last_seq = entry_seq
                good += len(line)
        self.seq = last_seq
        self._tail = (start, parsed)
        return good

    def _damaged(self, at: int) -> StoreError:
        with open(self.path, "rb") as f:
            number = f.read(at).count(b"\n") + 1
        return StoreError(
            f"Line {number} of the journal {self.path} is damaged and later lines hold more of the migration, so "
            f"nothing was read past it: keep a copy of the file, delete that one line, and run the command again "
            f"(a resume finds by provenance marker whatever that line recorded)."
        )

    def append(self, op: str, **fields: Any) -> int:
        if self._fh is None:
            raise StoreError(f"The journal {self.path} was opened read-only; nothing can be written to it.")
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
            raise StoreError(
                f"Could not write the journal {self.path} ({e.strerror}); the run stopped and can be resumed."
            ) from None
        self._size += len(data)
        self._unsynced += 1
        if self._unsynced >= SYNC_EVERY:
            self.sync()
        return self.seq

    def sync(self) -> None:
        if self._unsynced and self._fh is not None:
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
        """The checked entries after `after`, up to where the journal was found whole (a
        writer in another process may be appending beyond it)."""
        if not self.path.exists():
            return
        tail, self._tail = self._tail, None
        if tail is not None and tail[0] == (offset if offset and offset <= self._size else 0):
            yield from (entry for entry in tail[1] if entry["seq"] > after)
            return
        pos, end = 0, self._size
        with open(self.path, "rb") as f:
            if offset and offset <= end:
                pos = f.seek(offset)
            for line in f:
                pos += len(line)
                if pos > end:
                    break
                entry = loads(line)
                if entry["seq"] > after:
                    yield entry

    def close(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self.sync()
            self._fh.close()
