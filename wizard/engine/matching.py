"""Which process in the target belongs to which card: by provenance marker first, then (when
the plan asks) by name, among the processes that carry no marker. A process goes to one card
at most: a second card with the same name gets its own process, and the report says so."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BY_MARKER = "already in the target (provenance marker)"
BY_NAME = "a process with the same name is already in the template"


def name_key(name: Any) -> str:
    return " ".join(str(name or "").split()).lower()


@dataclass
class Match:
    run: dict | None
    how: str = ""
    clash: str | None = None  # the card that already holds the only same-named process


class RunMatcher:
    def __init__(
        self,
        runs: list[dict],
        marker_of: Callable[[dict], str | None],
        claimed: dict[str, str],
        named: dict[str, str] | None = None,
    ) -> None:
        """`claimed`: process id -> the card key it went to (shared across templates and
        refreshes, and seeded from the store, so a later run never hands it out again).
        `named`: name -> the card that took a process by that name (shared likewise: once
        the process carries that card's marker, a fresh read no longer lists it by name)."""
        self.by_marker: dict[str, dict] = {}
        self.by_name: dict[str, list[dict]] = defaultdict(list)
        for r in runs:
            if ref := marker_of(r):
                self.by_marker.setdefault(ref, r)
            else:
                self.by_name[name_key(r.get("name"))].append(r)
        self.claimed = claimed
        self.named = {} if named is None else named

    def match(self, key: str, name: str, *, by_name: bool) -> Match:
        run = self.by_marker.get(key)
        if run is not None:
            self.claimed[str(run["id"])] = key
            return Match(run, BY_MARKER)
        if not by_name:
            return Match(None)
        candidates = self.by_name.get(name_key(name), [])
        for r in candidates:
            if self.claimed.setdefault(str(r["id"]), key) == key:  # no await in between: one card wins
                self.named.setdefault(name_key(name), key)
                return Match(r, BY_NAME)
        other = self.claimed[str(candidates[0]["id"])] if candidates else self.named.get(name_key(name))
        return Match(None, clash=other if other != key else None)
