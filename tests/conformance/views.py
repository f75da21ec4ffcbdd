"""What the conformance suite reads from any sandbox, in the sandbox contract's words only.

A source sandbox's `GET /_sandbox/export` holds `"manifest"`: one entry per object,
`{"ref": "<system>:<kind>:<id>", "kind": ..., "archived": bool}`, from its own state.
A target sandbox's export lists every object it holds as a JSON object with an `"id"`, the
`"source_ref"` our provenance marker left on it (null where none), and whichever of
`"deleted"`, `"archived"`, `"preexisting"` apply; what the target holds as a line of text (a
link) is listed as an object with its `"source_ref"` and no id. `/_sandbox/stats` counts requests by route.
Nothing here names a vendor's objects: a new adapter's sandbox is read the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# The manifest kinds that become objects of their own in a target, each with its source_ref.
CARRIED = ("container", "item", "subitem", "comment", "attachment")


def manifest(export: dict[str, Any], system: str) -> list[dict[str, Any]]:
    if "manifest" in export:
        return list(export["manifest"])
    raise AssertionError(f"the {system} sandbox's /_sandbox/export has no 'manifest' (the source sandbox contract)")


def wanted(entries: list[dict[str, Any]], *, include_archived: bool = False, kinds=CARRIED) -> Counter[str]:
    """The refs a migration must bring, once each."""
    return Counter(e["ref"] for e in entries if e["kind"] in kinds and (include_archived or not e["archived"]))


def _objects(node: Any, key: str = "id") -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if key in node:
            yield node
        for v in node.values():
            yield from _objects(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _objects(v, key)


def _live(obj: dict[str, Any]) -> bool:
    return not (obj.get("deleted") or obj.get("archived") or obj.get("preexisting") or obj.get("status") == "deleted")


def held(export: dict[str, Any]) -> Counter[str]:
    """How many live objects in a target carry each source_ref (an object listed twice in the
    export, as a run's comments are under its tasks too, counts once)."""
    seen: dict[tuple[str, str], None] = {}
    for obj in _objects(export, "source_ref"):
        ref = obj["source_ref"]
        if ref and _live(obj):  # what has no id of its own (a link written as a line) is itself
            seen[(str(obj["id"]) if "id" in obj else f"#{id(obj)}", ref)] = None
            for held_ref in obj.get("held_refs") or []:  # the comments a digest holds
                seen[(str(obj["id"]), held_ref)] = None
    return Counter(ref for _, ref in seen)


def live_state(export: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Every object a target holds, by id, with what says whether it is live: rollback must
    bring this back exactly."""
    return {str(o["id"]): (o.get("status"), bool(o.get("archived")), bool(o.get("deleted"))) for o in _objects(export)}


def writes(stats: dict[str, Any]) -> Counter[str]:
    """Requests that change something, by route (a read is a GET)."""
    return Counter(
        {route: sum(by.values()) for route, by in stats["by_route"].items() if not route.startswith(("GET", "HEAD"))}
    )


def calls(stats: dict[str, Any]) -> int:
    return sum(sum(by.values()) for by in stats["by_route"].values())


@dataclass
class Tally:
    """What arrived, by kind: each wanted ref held exactly once, and nothing else of theirs."""

    checked: int = 0
    duplicates: int = 0
    lost: int = 0
    unexpected: int = 0
    per_kind: dict[str, dict[str, int]] = field(default_factory=dict)


def tally(entries: list[dict[str, Any]], target_export: dict[str, Any], *, include_archived: bool = False) -> Tally:
    got = held(target_export)
    t = Tally()
    kind_of = {e["ref"]: e["kind"] for e in entries}
    want = wanted(entries, include_archived=include_archived)
    for kind in CARRIED:
        w = Counter({r: n for r, n in want.items() if kind_of[r] == kind})
        g = Counter({r: got[r] for r in got if kind_of.get(r) == kind})
        dup = sum(max(0, g[r] - 1) for r in g)
        lost = sum(1 for r in w if not g[r])
        extra = sum(1 for r in g if r not in w)
        t.per_kind[kind] = {
            "expected": sum(w.values()),
            "found": sum(g.values()),
            "duplicates": dup,
            "lost": lost,
            "unexpected": extra,
        }
        t.checked += sum(w.values())
        t.duplicates += dup
        t.lost += lost
        t.unexpected += extra
    return t
