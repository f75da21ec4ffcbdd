"""A browsable index of discovered items (`state/items.jsonl`): one short line per item, so
the mapping screen can page and filter 100,000 items without holding them as widgets, and
without asking the source again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

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
    """Reads the index once into compact tuples (100k items: a few MB) and serves pages."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "state" / "items.jsonl"
        self.rows: list[tuple[str, str, str, str, bool]] = []  # ItemRow's fields, as the writer wrote them
        if self.path.exists():
            with open(self.path, encoding="utf-8") as f:
                self.rows = [_row(json.loads(line)) for line in f]

    def __len__(self) -> int:
        return len(self.rows)

    def query(self, text: str = "", offset: int = 0, limit: int = 100) -> tuple[int, list[ItemRow]]:
        """(total matching, one page of rows). Matching is case-insensitive on name, list and board."""
        rows = self.rows
        if text:
            needle = text.lower()
            rows = [r for r in rows if needle in r[1].lower() or needle in r[3].lower() or needle in r[2].lower()]
        return len(rows), [ItemRow(*r) for r in rows[offset : offset + limit]]
