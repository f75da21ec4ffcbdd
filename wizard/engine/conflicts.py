"""Conflicts: an object already in the target (found by provenance marker, or by name when
the plan asks), or changed on both sides since the last run. Each gets a strategy:

- skip: the target stays as it is;
- overwrite: the source's version replaces the target's;
- merge: the target keeps its values; the source fills what is empty and adds what is missing;
- newer: whichever side changed last wins (overwrite or skip);
- manual: queued in the store until the consultant decides (TUI or `conflicts` command);
  the next run applies the decision without asking again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wizard.journal import now_iso
from wizard.store import Store

STRATEGIES = ("skip", "overwrite", "merge", "newer", "manual")


def _epoch(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def resolve(strategy: str, source_updated: Any, target_updated: Any) -> str:
    """What to do: 'skip', 'overwrite', 'merge' or 'queue'."""
    if strategy == "newer":
        return "overwrite" if _epoch(source_updated) > _epoch(target_updated) else "skip"
    if strategy == "manual":
        return "queue"
    return strategy


def decision_for(store: Store, key: str) -> str | None:
    c = store.conflicts.get(key)
    return c.get("decision") if c else None


def queue(store: Store, key: str, kind: str, target_id: str, reason: str, source: dict[str, Any],
          target: dict[str, Any]) -> None:
    if key in store.conflicts and store.conflicts[key].get("decision") is None:
        return
    changed = sorted(k for k in set(source) | set(target) if k not in ("updated",) and source.get(k) != target.get(k))
    store.record_conflict({"id": key, "kind": kind, "target_id": target_id, "reason": reason, "source": source,
                           "target": target, "changed": changed, "decision": None, "queued_at": now_iso()})


def decide(store: Store, key: str, decision: str) -> None:
    if decision not in STRATEGIES or decision == "manual":
        raise ValueError(f"a decision is one of skip, overwrite, merge, newer (not {decision!r})")
    c = dict(store.conflicts[key])
    c["decision"], c["decided_at"] = decision, now_iso()
    store.record_conflict(c)


def matching(store: Store, text: str = "", *, open_only: bool = True) -> list[dict[str, Any]]:
    needle = text.lower()
    out = []
    for c in store.conflicts.values():
        if open_only and c.get("decision"):
            continue
        hay = " ".join([c["id"], str(c.get("source", {}).get("name", "")), str(c.get("target", {}).get("name", "")),
                        c.get("reason", "")]).lower()
        if needle in hay:
            out.append(c)
    return sorted(out, key=lambda c: c["id"])
