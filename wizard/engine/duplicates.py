"""Duplicates in the source: identical items (same content, whatever the id) and
near-duplicates (the same name once case, spacing and punctuation are set aside)."""

from __future__ import annotations

import re
from collections import defaultdict

from wizard.model import Item

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def fingerprint(item: Item) -> str:
    """Same name, description, list, fields, checklists and labels: the same card."""
    clone = item.model_copy(update={"key": "x:item:x", "position": 0, "updated_at": None, "url": None})
    return clone.content_hash()


def name_key(item: Item) -> str:
    return _PUNCT.sub(" ", item.name.casefold()).strip()


class DuplicateFinder:
    def __init__(self) -> None:
        self.exact: dict[str, list[str]] = defaultdict(list)
        self.by_name: dict[str, list[str]] = defaultdict(list)

    def add(self, item: Item) -> None:
        self.exact[fingerprint(item)].append(item.key)
        if name_key(item):
            self.by_name[name_key(item)].append(item.key)

    def groups(self) -> tuple[list[list[str]], list[list[str]]]:
        """(identical groups, near-duplicate groups that are not identical)."""
        identical = [keys for keys in self.exact.values() if len(keys) > 1]
        same = {frozenset(g) for g in identical}
        near = [keys for keys in self.by_name.values() if len(keys) > 1 and frozenset(keys) not in same]
        return identical, near
