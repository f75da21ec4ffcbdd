"""A browsable index of discovered items (`state/items.jsonl`): one short line per item, so
the mapping screen can page and filter 100,000 items without holding them as widgets, and
without asking the source again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from wizard.journal import loads
from wizard.model import Item


@dataclass(frozen=True)
class ItemRow:
    key: str
    name: str
    container: str
    stage: str
    closed: bool
    comments: int = 0
    attachments: int = 0


class ItemIndexWriter:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "state" / "items.jsonl"
        self.tmp = self.path.with_suffix(".jsonl.tmp")
        self._fh: IO[str] = open(self.tmp, "w", encoding="utf-8")

    def add(self, item: Item, container: str, stage: str) -> None:
        self._fh.write(
            json.dumps([item.key, item.name[:200], container, stage, item.closed], ensure_ascii=False) + "\n"
        )

    def close(self) -> None:
        self._fh.close()
        self.tmp.replace(self.path)


def _row(fields: list[Any]) -> tuple[str, str, str, str, bool]:
    key, name, container, stage, closed = fields
    return str(key), str(name), str(container), str(stage), bool(closed)


class ItemIndex:
    """The index as its bytes, each line parsed only when it is shown: opening 100,000 items is
    one read and one count of its lines, and a page among the first `HEAD` lines is cut from the
    front of those bytes, so the mapping screen's first page comes without splitting the rest.
    The lines are split, once, for a page further on; the whole index is parsed, in one call,
    only when a filter or a lookup by key needs every row."""

    HEAD = 1_000  # pages that start before this line are cut from the front of the bytes

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "state" / "items.jsonl"
        self.data = self.path.read_bytes() if self.path.exists() else b""
        self._count = self.data.count(b"\n") + (not self.data.endswith(b"\n") if self.data else 0)
        self._lines: list[bytes] | None = None
        self._rows: list[tuple[str, str, str, str, bool]] | None = None

    @property
    def lines(self) -> list[bytes]:
        """Every line of the index (split on first use)."""
        if self._lines is None:
            self._lines = self.data.splitlines()
        return self._lines

    @property
    def rows(self) -> list[tuple[str, str, str, str, bool]]:
        """ItemRow's fields of every item, as the writer wrote them (parsed on first use)."""
        if self._rows is None:
            self._rows = [_row(r) for r in loads(b"[" + b",".join(self.lines) + b"]")] if self._count else []
        return self._rows

    def __len__(self) -> int:
        return self._count

    def _page_lines(self, offset: int, limit: int) -> list[bytes]:
        end = offset + limit
        if self._lines is None and end <= self.HEAD:
            return self.data.split(b"\n", end)[offset:end]  # the first `end` lines, and the rest unsplit
        return self.lines[offset:end]

    def query(self, text: str = "", offset: int = 0, limit: int = 100) -> tuple[int, list[ItemRow]]:
        """(total matching, one page of rows). Matching is case-insensitive on name, list and board."""
        if not text:
            page = [line for line in self._page_lines(offset, limit) if line]
            return self._count, [ItemRow(*_row(loads(line))) for line in page]
        needle = text.lower()
        rows = [r for r in self.rows if needle in r[1].lower() or needle in r[3].lower() or needle in r[2].lower()]
        return len(rows), [ItemRow(*r) for r in rows[offset : offset + limit]]
