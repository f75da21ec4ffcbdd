"""The store's two tables that grow with the workspace (`mappings`, one per object written, and
`last_write`, one per target id), held on disk instead of in the heap (issue 19, item 4: at
the large sandbox's 40,000 mappings they took some 30 MB as Python objects).

Each table is a private SQLite database in the temporary folder (`sqlite3.connect("")`: SQLite
removes the file as it opens it, so not even a kill -9 leaves it behind) with a page cache of a
few MB. It is an index, not a record: the snapshot and the journal stay the store's durable
state, rebuilt into these tables at each open. SQLite rather than a dict of compact records: a
dict keeps at least the key, the value and its strings per object (~300 bytes each, however
packed), so it still grows with the workspace; a B-tree on disk answers a lookup by key in a
few microseconds, which a run spends once or twice per object, and reads in key order for the
snapshot without holding the table twice.

What a snapshot loaded at open (and what the journal's tail replays onto it) stays in a dict
as it was parsed, so a resume after a kill pays nothing more than before; the next snapshot
moves it to disk as it writes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Generic, TypeVar

from wizard.errors import StoreError
from wizard.journal import loads

V = TypeVar("V")
PAGE = 1000  # rows read at a time when a table is walked
CACHE_KIB = 512  # SQLite's page cache per table: 2 MB (its default) each held 1.9 MB more at 47,000 mappings


class DiskTable(MutableMapping[str, V], Generic[V]):
    """A str-keyed table: the entries loaded at open in `loaded` (a dict, as parsed), every
    later one on disk. Walked in the order the keys came (loaded ones first); changing it
    while walking it is safe (rows are read a page at a time, by rowid)."""

    def __init__(self, loaded: dict[str, V], encode: Callable[[str, V], str], decode: Callable[[str, str], V]) -> None:
        self.loaded = loaded
        self._encode = encode
        self._decode = decode
        self._on_disk = 0
        with _disk():
            self.db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}"):
                self.db.execute("PRAGMA " + pragma)
            self.db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT NOT NULL)")

    # -- reading -------------------------------------------------------------------------
    def __getitem__(self, key: str) -> V:
        if key in self.loaded:
            return self.loaded[key]
        row = self.db.execute("SELECT v FROM t WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return self._decode(key, row[0])

    def __contains__(self, key: object) -> bool:
        if key in self.loaded:
            return True
        return isinstance(key, str) and self.db.execute("SELECT 1 FROM t WHERE k = ?", (key,)).fetchone() is not None

    def __len__(self) -> int:
        return len(self.loaded) + self._on_disk

    def __iter__(self) -> Iterator[str]:
        yield from list(self.loaded)
        for key, _ in self.encoded():
            yield key

    def items(self) -> Iterator[tuple[str, V]]:  # type: ignore[override]
        for key in list(self.loaded):
            if key in self.loaded:
                yield key, self.loaded[key]
        for key, text in self.encoded():
            yield key, self._decode(key, text)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for _, value in self.items():
            yield value

    def encoded(self) -> Iterator[tuple[str, str]]:
        """The entries on disk as stored (key, JSON text), in the order their keys came."""
        last = 0
        while rows := self.db.execute("SELECT n, k, v FROM t WHERE n > ? ORDER BY n LIMIT ?", (last, PAGE)).fetchall():
            last = rows[-1][0]
            for _, key, text in rows:
                yield key, text

    # -- writing -------------------------------------------------------------------------
    def __setitem__(self, key: str, value: V) -> None:
        self.put(key, self._encode(key, value))

    def put(self, key: str, text: str) -> None:
        """Set `key` to an encoded value (a key on disk set again keeps its place, as in a dict)."""
        if self.loaded:
            self.loaded.pop(key, None)
        with _disk():
            if self.db.execute("INSERT OR IGNORE INTO t (k, v) VALUES (?, ?)", (key, text)).rowcount:
                self._on_disk += 1
            else:
                self.db.execute("UPDATE t SET v = ? WHERE k = ?", (text, key))

    def __delitem__(self, key: str) -> None:
        if key in self.loaded:
            del self.loaded[key]
            return
        with _disk():
            if self.db.execute("DELETE FROM t WHERE k = ?", (key,)).rowcount == 0:
                raise KeyError(key)
        self._on_disk -= 1

    def spill(self) -> None:
        """Move what was loaded at open to disk, in one transaction."""
        if not self.loaded:
            return
        # A key is in one place only (`put` takes it out of `loaded`), so these are all new rows.
        with _disk(), self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO t (k, v) VALUES (?, ?)", ((key, self._encode(key, v)) for key, v in self.loaded.items())
            )
        self._on_disk += len(self.loaded)
        self.loaded = {}

    def close(self) -> None:
        self.db.close()


# -- mappings: a document per source key ------------------------------------------------------
def encode_doc(key: str, doc: Mapping[str, Any]) -> str:
    """A mapping's fields as JSON, without its key (the table's key) and without a field that
    is not set; the standard library's encoder, as the snapshot's (NaN, big integers)."""
    return json.dumps({k: v for k, v in doc.items() if k != "key" and v is not None}, separators=(",", ":"))


def decode_doc(key: str, text: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"key": key}
    doc.update(loads(text))
    return doc


def snapshot_doc(key: str, text: str) -> str:
    """The snapshot's document for a stored mapping: its key put back first, nothing parsed."""
    head = '{"key":' + json.dumps(key)
    return head + "}" if text == "{}" else head + "," + text[1:]


# -- last_write: a timestamp per target id ----------------------------------------------------
def encode_str(key: str, value: str) -> str:
    return value


def decode_str(key: str, text: str) -> str:
    return text


@contextmanager
def temp_disk(what: str, kept: str = "") -> Iterator[None]:
    """A full temporary folder is one sentence, like a full migration folder: `what` could not
    be kept there, `kept` says where what matters still is."""
    try:
        yield
    except sqlite3.Error as e:
        raise StoreError(
            f"Could not keep {what} in the temporary folder ({e}); nothing was lost{kept}: free some space "
            f"there (or set TMPDIR) and run the same command again to resume."
        ) from None


def _disk() -> AbstractContextManager[None]:
    return temp_disk("the store's index", ", the journal holds every change")
