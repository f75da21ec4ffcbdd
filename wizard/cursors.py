"""Incremental cursors kept by the framework: where each stream of each container last
read up to (a change feed's newest action, a modified-since time), stored with the run
through the store's journal, so an adapter never keeps its own bookkeeping in the store.

A cursor the source declares ordered (`SourceAdapter.cursor_ordered`: Trello's action ids,
ISO times) never moves back: a second read never goes behind the first one's state. An
opaque token (a sync token) is replaced as the vendor hands out the next one.
"""

from __future__ import annotations

from typing import Any, Protocol

META_KEY = "cursors"
CHANGES = "changes"  # the stream of the vendor's change feed, the one sync reads


class MetaStore(Protocol):
    meta: dict[str, Any]

    def set_meta(self, **values: Any) -> None: ...


class Cursors:
    def __init__(self, store: MetaStore) -> None:
        self.store = store

    def _all(self) -> dict[str, dict[str, str]]:
        raw = self.store.meta.get(META_KEY) or {}
        if any(isinstance(v, str) for v in raw.values()):
            return {CHANGES: {k: v for k, v in raw.items() if isinstance(v, str)}}  # a folder from before streams
        return {stream: dict(parts) for stream, parts in raw.items() if isinstance(parts, dict)}

    def get(self, stream: str, partition: str) -> str | None:
        """Where `stream` of `partition` (a container) last read up to; None: never read."""
        return self._all().get(stream, {}).get(partition)

    def advance(self, stream: str, partition: str, value: str | None, *, ordered: bool) -> bool:
        """Record that `stream` of `partition` has read up to `value`. An ordered cursor that
        would move back is kept where it is. True when the stored cursor changed."""
        if not value:
            return False
        everything = self._all()
        current = everything.get(stream, {}).get(partition)
        if current == value or (ordered and current is not None and value < current):
            return False
        everything.setdefault(stream, {})[partition] = value
        self.store.set_meta(**{META_KEY: everything})
        return True
