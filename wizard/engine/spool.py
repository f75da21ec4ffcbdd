"""Children (comments, files) gathered for their items until they can be written, kept on
disk rather than in memory: a source that yields a container's comments after its last item
(Trello's board-wide actions, every source that does not `follow_their_item`) would otherwise
have the run hold every comment of the container, text included, until it ends.

The spool is a private SQLite database in the temporary folder (`sqlite3.connect("")`): SQLite
removes its file as soon as it is opened and the connection closes it, so nothing of it is
left behind, even after a kill -9.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from pydantic import BaseModel

from wizard.store_tables import CACHE_KIB, temp_disk

Child = TypeVar("Child", bound=BaseModel)


class ChildSpool(Generic[Child]):
    """Children of one kind, by the item they hang on, in the order they came."""

    def __init__(self, model: type[Child]) -> None:
        self.model = model
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # SQLite's default, 2 MB, filled at a large board's comments
        self.db.execute("CREATE TABLE c (item TEXT NOT NULL, data TEXT NOT NULL)")
        self.db.execute("CREATE INDEX c_item ON c (item)")
        self.count = 0  # held now

    def put(self, item_key: str, child: Child) -> None:
        with _disk():
            self.db.execute("INSERT INTO c VALUES (?, ?)", (item_key, child.model_dump_json()))
        self.count += 1

    def items(self) -> list[str]:
        """The items that have children waiting, in the order their first child came."""
        rows = self.db.execute("SELECT item FROM c GROUP BY item ORDER BY MIN(rowid)").fetchall()
        return [r[0] for r in rows]

    def take(self, item_key: str) -> list[Child]:
        """An item's children, in the order they came, and forgotten here."""
        with _disk():
            rows = self.db.execute("SELECT data FROM c WHERE item = ? ORDER BY rowid", (item_key,)).fetchall()
            self.db.execute("DELETE FROM c WHERE item = ?", (item_key,))
        self.count -= len(rows)
        return [self.model.model_validate_json(r[0]) for r in rows]

    def close(self) -> None:
        self.db.close()


def _disk() -> AbstractContextManager[None]:
    return temp_disk("the comments and files waiting for their items")
