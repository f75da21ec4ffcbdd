"""The migration's store: TinyDB for the durable snapshot, the journal for every write.

TinyDB rewrites a whole table on each insert and its JSON storage rewrites the file in
place, so we use it the way it is cheap and safe: indexes keyed by source key (the two
that grow with the workspace on disk, wizard/store_tables.py), the TinyDB file a snapshot
written atomically (temp file, fsync, rename) in batches, and everything between two
snapshots replayed from the append-only journal on open. A kill -9 at any instant leaves a
store that loads.
"""

from __future__ import annotations

import itertools
import json
import operator
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from tinydb import TinyDB
from tinydb.storages import Storage

from wizard import folderlock, gc_hold
from wizard.errors import StoreError
from wizard.journal import Journal, loads, now_iso
from wizard.store_tables import DiskTable, decode_doc, decode_str, encode_doc, encode_str, snapshot_doc

SNAPSHOT_EVERY = 5000
# What a folder did to an object it maps: made it; found it there (someone else's, left as it
# was); wrote the source over it or into its empty fields (its prior values kept); left it
# as it was because a conflict said skip.
HOWS = ("created", "found", "overwritten", "merged", "skipped")
STATES = ("new", "discovered", "planned", "running", "interrupted", "finished", "rolled back")
# A snapshot is written this many documents at a time, so writing it never holds the whole
# store a second time as one JSON string.
SNAPSHOT_CHUNK = 500


class MappingRecord(Mapping[str, Any]):
    """One mapping (source key -> what the folder made of it), compact: a slot per field
    instead of a dict per mapping, its kind and type words held once for all. It reads like
    the dict it replaces (`get`, `[]`, `in`, `items`); a field that is not set is absent."""

    FIELDS = (
        "key",
        "seq",
        "at",
        "kind",
        "target_type",
        "target_id",
        "parent_id",
        "hash",
        "created",
        "how",
        "prior",
        "extra",
    )
    __slots__ = (*FIELDS, "rest")
    _known = frozenset(FIELDS)
    # A journal's `done` entry: its `ts` is the mapping's `at`, its `op` says nothing more.
    _known_in_entry = frozenset((*FIELDS, "ts", "op")) - {"at"}
    _values = operator.attrgetter(*FIELDS)

    def __init__(self, doc: Mapping[str, Any], *, entry: bool = False) -> None:
        """`doc`: a snapshot's document, or (`entry=True`) the journal's `done` entry itself,
        read with no dict in between: a resume replays up to 50,000 of them."""
        g, intern = doc.get, sys.intern
        self.key = doc["key"]
        self.seq = g("seq")
        self.at = g("ts" if entry else "at")
        # A handful of words shared by every mapping (a parsed snapshot has a copy of each per document).
        self.kind = intern(kind) if (kind := g("kind")) else None
        self.target_type = intern(tt) if (tt := g("target_type")) else None
        self.target_id = g("target_id")
        self.parent_id = g("parent_id")
        self.hash = g("hash")
        self.created = g("created")
        self.how = intern(how) if (how := g("how")) else None
        self.prior = g("prior")
        self.extra = g("extra")
        # A field a later version adds is kept as it came.
        known = self._known_in_entry if entry else self._known
        self.rest = None if doc.keys() <= known else {k: v for k, v in doc.items() if k not in known}

    def get(self, name: str, default: Any = None) -> Any:
        if name in self._known:
            value = getattr(self, name)
            return default if value is None else value
        rest = self.rest
        return rest.get(name, default) if rest else default

    def __getitem__(self, name: str) -> Any:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_json())

    def __len__(self) -> int:
        return len(self.to_json())

    def __repr__(self) -> str:
        return f"MappingRecord({self.to_json()!r})"

    def to_json(self) -> dict[str, Any]:
        out = {name: value for name, value in zip(self.FIELDS, self._values(self), strict=True) if value is not None}
        if self.rest:
            out.update({k: v for k, v in self.rest.items() if v is not None})
        return out


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces the file atomically: a crash leaves the old or the new file."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        try:
            data = loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise StoreError(f"The store {self.path} is damaged; restore it from {self.path}.bak.")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.write_tables({name: table.values() for name, table in data.items()})

    def write_tables(self, data: Mapping[str, Iterable[Mapping[str, Any] | str]]) -> None:
        """Each table's documents (or their JSON text), numbered from 1 as TinyDB numbers them. Written a chunk
        at a time (`json.dumps`, C-encoded, per chunk: `json.dump` would stream through the
        pure-Python encoder, 5x slower; one `json.dumps` of the whole store would hold it in
        memory a second time as a string)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
                f.write("{")
                for t, (name, docs) in enumerate(data.items()):
                    f.write(("," if t else "") + json.dumps(name) + ":{")
                    _write_numbered(f, docs)
                    f.write("}")
                f.write("}")
                f.flush()
                os.fsync(f.fileno())
            if self.path.exists():
                os.replace(self.path, self.path.with_name(self.path.name + ".bak"))
            os.replace(tmp, self.path)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise StoreError(
                f"Could not write the store {self.path} ({e.strerror}); nothing was lost, the journal "
                f"holds every change: free some space and run the same command again to resume."
            ) from None

    def close(self) -> None:
        pass


def _write_numbered(f: IO[str], docs: Iterable[Mapping[str, Any] | str]) -> None:
    """`"1":doc,"2":doc,...`, a chunk of documents at a time; a document larger than a chunk
    (`last_write`: one entry per target id, on disk) a chunk of its own entries at a time; a document
    given as its JSON text (the mappings, as they are held on disk) as it is."""
    chunk: dict[str, Any] = {}
    first = True

    def put(text: str) -> None:
        nonlocal first
        f.write(text if first else "," + text)
        first = False

    texts: list[str] = []
    for n, doc in enumerate(docs, 1):
        if isinstance(doc, str):
            texts.append(f'"{n}":{doc}')
            if len(texts) == SNAPSHOT_CHUNK:
                put(",".join(texts))
                texts.clear()
            continue
        if isinstance(doc, DiskTable) or len(doc) > SNAPSHOT_CHUNK:
            if chunk:
                put(_inner(chunk))
                chunk.clear()
            put(f'"{n}":')
            f.write("{")
            _write_entries(f, doc)
            f.write("}")
            continue
        chunk[str(n)] = doc.to_json() if isinstance(doc, MappingRecord) else doc
        if len(chunk) == SNAPSHOT_CHUNK:
            put(_inner(chunk))
            chunk.clear()
    if texts:
        put(",".join(texts))
    if chunk:
        put(_inner(chunk))


def _write_entries(f: IO[str], doc: Mapping[str, Any]) -> None:
    items = iter(doc.items())
    sep = ""
    while part := dict(itertools.islice(items, SNAPSHOT_CHUNK)):
        f.write(sep + _inner(part))
        sep = ","


def _inner(part: Mapping[str, Any]) -> str:
    """A JSON object's members, without its braces."""
    return json.dumps(part, separators=(",", ":"))[1:-1]


def _entry_doc(e: Mapping[str, Any]) -> dict[str, Any]:
    """A journal's `done` entry as the mapping it records: its `ts` is the mapping's `at`."""
    doc = {"seq": e.get("seq"), "at": e.get("ts")}
    doc.update((k, v) for k, v in e.items() if k not in _ENTRY_ONLY)
    return doc


_ENTRY_ONLY = frozenset(("seq", "ts", "op", "key"))


def _encode_mapping(key: str, m: Mapping[str, Any]) -> str:
    return encode_doc(key, m.to_json() if isinstance(m, MappingRecord) else m)


class Store:
    """One per migration folder: `state/store.json` and `state/journal.jsonl`.

    A writable store holds the folder's lock (wizard/folderlock.py) from open to close, so a
    folder never has two writers. A read-only one (`readonly=True`) takes no lock and writes
    nothing: it reads the last snapshot and the journal's whole lines after it, a consistent
    view even while another process writes."""

    def __init__(self, folder: Path, *, readonly: bool = False, command: str = "open the store") -> None:
        self.folder = Path(folder)
        self.dir = self.folder / "state"
        self.readonly = readonly
        self._locked = False
        if not readonly:
            try:
                self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"Cannot create {self.dir} ({e.strerror}).") from None
            folderlock.acquire(self.folder, command)
            self._locked = True
        try:
            # The load's few hundred thousand containers live on and form no cycle: the collector
            # would walk them for nothing (about 15 % of a resume's CPU at 100,000 mappings).
            with gc_hold.held():
                self._open()
        except BaseException:
            self._unlock()
            raise

    def _open(self) -> None:
        self.db = TinyDB(str(self.dir / "store.json"), storage=AtomicJSONStorage)
        self._tables = (
            self.db.storage.read() or {}
        )  # read once, before the journal: it says how far the journal was checked
        meta = list(self._tables.get("meta", {}).values())
        checked = (meta[0].get("journal_offset", 0), meta[0].get("journal_seq", 0)) if meta else (0, 0)
        self.journal = Journal(self.dir / "journal.jsonl", checked, readonly=self.readonly)
        # Source key -> what the folder made of it (a Mapping per key), on disk (wizard/store_tables.py).
        self.mappings: DiskTable[Mapping[str, Any]] = DiskTable({}, _encode_mapping, decode_doc)
        self.pending: dict[str, dict[str, Any]] = {}  # key -> intent without result
        self.quarantine: dict[str, dict[str, Any]] = {}
        self.conflicts: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, Any] = {}
        self.inventory: dict[str, Any] = {}
        # Per target id, when we last wrote to it or to a child of it: an edit after that is someone else's.
        self.last_write: DiskTable[str] = DiskTable({}, encode_str, decode_str)
        self._since_snapshot = 0
        self._loading = True
        self._load()
        self._loading = False

    # -- loading -----------------------------------------------------------------------
    def _load(self) -> None:
        # One read of the snapshot: TinyDB's table API would parse the file once per table.
        tables, self._tables = self._tables, {}

        def docs(name: str) -> list[dict[str, Any]]:
            return list(tables.get(name, {}).values())

        # The snapshot's documents as parsed (a resume loads fast); the next snapshot moves
        # them to disk as it writes them.
        self.mappings.loaded = {d["key"]: d for d in docs("mappings")}
        self.quarantine = {d["key"]: d for d in docs("quarantine")}
        self.conflicts = {d["id"]: d for d in docs("conflicts")}
        self.pending = {d["key"]: d for d in docs("pending")}
        lw = docs("last_write")
        self.last_write.loaded = lw[0] if lw else {}
        meta, inv = docs("meta"), docs("inventory")
        self.meta = meta[0] if meta else {"state": "new", "journal_seq": 0}
        self.inventory = inv[0] if inv else {}
        seq, offset = self.meta.get("journal_seq", 0), self.meta.get("journal_offset", 0)
        for entry in self.journal.entries(after=seq, offset=offset):
            self._apply(entry)

    def _apply(self, e: dict[str, Any]) -> None:
        op = e["op"]
        if op == "meta":
            self.meta.update(e.get("values", {}))
            return
        if op == "conflict":
            self.conflicts[e["conflict"]["id"]] = e["conflict"]
            return
        key = e.get("key")
        if not isinstance(key, str):
            return  # every other entry is about one object, named by its source key
        if op == "intent":
            self.pending[key] = e
        elif op == "done":
            self.pending.pop(key, None)
            if self._loading:  # a resume's replay stays in memory until the next snapshot, as fast as it was
                self.mappings.loaded[key] = MappingRecord(e, entry=True)
            else:
                self.mappings.put(key, encode_doc(key, _entry_doc(e)))
            for tid in (e.get("target_id"), e.get("parent_id")):
                if tid:
                    if self._loading:
                        self.last_write.loaded[tid] = e["ts"]
                    else:
                        self.last_write.put(tid, e["ts"])
            self.quarantine.pop(key, None)
        elif op == "failed":
            self.pending.pop(key, None)
            if e.get("quarantine"):
                self.quarantine[key] = {
                    "key": key,
                    "reason": e.get("reason"),
                    "kind": e.get("kind"),
                    "ts": e["ts"],
                    **({"item": e["item"]} if e.get("item") else {}),
                }
        elif op == "undone":
            self.mappings.pop(key, None)
            self.pending.pop(key, None)

    # -- writing -----------------------------------------------------------------------
    def _log(self, op: str, **fields: Any) -> int:
        if self.readonly:
            raise StoreError(f"The store in {self.folder} was opened read-only; nothing can be written to it.")
        entry_seq = self.journal.append(op, **fields)
        self._apply({"seq": entry_seq, "ts": now_iso(), "op": op, **fields})
        self._since_snapshot += 1
        # Snapshot cost grows with the store, so space snapshots out as it grows: linear overall.
        if self._since_snapshot >= max(SNAPSHOT_EVERY, len(self.mappings) // 2):
            self.snapshot()
        return entry_seq

    def intent(self, key: str, kind: str, action: str, **detail: Any) -> int:
        return self._log("intent", key=key, kind=kind, action=action, **detail)

    def done(
        self,
        key: str,
        kind: str,
        target_type: str,
        target_id: str,
        *,
        created: bool = True,
        parent_id: str | None = None,
        hash: str | None = None,
        extra: dict[str, Any] | None = None,
        how: str | None = None,
        prior: dict[str, Any] | None = None,
    ) -> int:
        """`created` is True only when this folder created the object; rollback removes only
        those. `how` says what this folder did to it (HOWS; entries older than the field say
        only `created`), and `prior` keeps the target's values an overwrite or a merge
        replaced, so rollback can put them back."""
        fields: dict[str, Any] = {"kind": kind, "target_type": target_type, "target_id": target_id, "created": created}
        if how is not None and how != ("created" if created else "found"):
            fields["how"] = how
        for name, value in (("parent_id", parent_id), ("hash", hash), ("extra", extra), ("prior", prior)):
            if value:
                fields[name] = value
        return self._log("done", key=key, **fields)

    def failed(self, key: str, kind: str, reason: str, *, quarantine: bool = True, item: str | None = None) -> int:
        """`item`: the item (card) the object hangs on, so verify can say which card lacks it."""
        return self._log(
            "failed", key=key, kind=kind, reason=reason, quarantine=quarantine, **({"item": item} if item else {})
        )

    def undone(self, key: str, target_type: str, target_id: str, how: str) -> int:
        return self._log("undone", key=key, target_type=target_type, target_id=target_id, how=how)

    def set_meta(self, **values: Any) -> None:
        self._log("meta", values=values)

    def record_conflict(self, conflict: dict[str, Any]) -> None:
        self._log("conflict", conflict=conflict)

    def set_inventory(self, inventory: dict[str, Any]) -> None:
        self.inventory = inventory
        self.snapshot()

    def snapshot(self) -> None:
        """Write every table atomically and note how far into the journal it reaches."""
        if self.readonly:
            return  # a reader never writes; the writer's own snapshots are the folder's
        self.journal.sync()
        self.meta["journal_seq"] = self.journal.seq
        self.meta["journal_offset"] = self.journal.offset
        self.meta["updated_at"] = now_iso()
        # The tables themselves, not copies: nothing changes them while the snapshot is written.
        self.mappings.spill()
        self.last_write.spill()
        tables: dict[str, Iterable[Mapping[str, Any] | str]] = {
            "mappings": (snapshot_doc(key, text) for key, text in self.mappings.encoded()),
            "quarantine": self.quarantine.values(),
            "conflicts": self.conflicts.values(),
            "pending": self.pending.values(),
            "last_write": [self.last_write] if self.last_write else [],
            "meta": [self.meta],
            "inventory": [self.inventory] if self.inventory else [],
        }
        storage = self.db.storage
        assert isinstance(storage, AtomicJSONStorage)
        storage.write_tables(tables)
        self.db.clear_cache()
        self._since_snapshot = 0

    # -- reading -----------------------------------------------------------------------
    def target_of(self, key: str) -> Mapping[str, Any] | None:
        return self.mappings.get(key)

    @staticmethod
    def how(mapping: Mapping[str, Any]) -> str:
        """What this folder did to a mapped object: one of HOWS."""
        how = mapping.get("how")
        return str(how) if how else ("created" if mapping.get("created") else "found")

    @property
    def state(self) -> str:
        return str(self.meta.get("state", "new"))

    def copy_to(self, folder: Path) -> None:
        """A consistent copy of this store's files in `folder`/state (for a dry run): the
        snapshot first, then the journal's whole lines, which reach at least as far."""
        dest = Path(folder) / "state"
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in ("store.json", "journal.jsonl"):
            try:
                data = (self.dir / name).read_bytes()
            except FileNotFoundError:
                continue
            if name == "journal.jsonl":
                data = data[: data.rfind(b"\n") + 1]
            (dest / name).write_bytes(data)

    def close(self) -> None:
        try:
            if not self.readonly:
                self.snapshot()
                self.journal.close()
            self.db.close()
        finally:
            # The tables stay readable after a close, as the dicts they replace did (a screen
            # may show a closed store's mappings); SQLite closes them with the Store.
            self._unlock()

    def _unlock(self) -> None:
        if self._locked:
            self._locked = False
            folderlock.release(self.folder)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
