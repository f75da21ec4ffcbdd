"""Which item in the target belongs to which source item: by provenance marker first, then
(when the plan asks) by name, among the target's items that carry no marker. A target item
goes to one source item at most: a second one with the same name gets its own, and the
report says so."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from wizard.target import TargetItem

BY_MARKER = "already in the target (provenance marker)"
BY_NAME = "an item with the same name is already in the container"


def name_key(name: object) -> str:
    return " ".join(str(name or "").split()).lower()


@dataclass
class Match:
    item: TargetItem | None
    how: str = ""
    clash: str | None = None  # the source item that already holds the only same-named one


class ItemMatcher:
    def __init__(
        self,
        items: list[TargetItem],
        claimed: dict[str, str],
        named: dict[str, str] | None = None,
    ) -> None:
        """`claimed`: target item id -> the source key it went to (shared across containers
        and refreshes, and seeded from the store, so a later run never hands it out again).
        `named`: name -> the source item that took a target item by that name (shared
        likewise: once it carries that item's marker, a fresh read no longer lists it by name)."""
        self.by_marker: dict[str, TargetItem] = {}
        self.by_name: dict[str, list[TargetItem]] = defaultdict(list)
        for it in items:
            if it.marker:
                self.by_marker.setdefault(it.marker, it)
            else:
                self.by_name[name_key(it.name)].append(it)
        self.claimed = claimed
        self.named = {} if named is None else named

    def match(self, key: str, name: str, *, by_name: bool) -> Match:
        found = self.by_marker.get(key)
        if found is not None:
            self.claimed[found.id] = key
            return Match(found, BY_MARKER)
        if not by_name:
            return Match(None)
        candidates = self.by_name.get(name_key(name), [])
        for it in candidates:
            if self.claimed.setdefault(it.id, key) == key:  # no await in between: one item wins
                self.named.setdefault(name_key(name), key)
                return Match(it, BY_NAME)
        other = self.claimed[candidates[0].id] if candidates else self.named.get(name_key(name))
        return Match(None, clash=other if other != key else None)
