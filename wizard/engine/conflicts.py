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


def plain(value: Any) -> str:
    """A value as the consultant reads it, on either side: option objects by their text,
    lists joined, whitespace folded. Used to compare as well as to show."""
    if isinstance(value, dict):
        value = value.get("text") or value.get("name") or value.get("title") or value.get("filename") or ""
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    if value is None or value is False:
        return ""
    return " ".join(str(value).split())


def differences(source: dict[str, Any], target: dict[str, Any]) -> list[str]:
    """Every field that differs between the two sides, on the keys both sides show; kick-off
    and custom fields one by one ("field: Budget")."""
    out = []
    for k in sorted(set(source) & set(target)):
        if k in ("updated", "fields"):
            continue
        if plain(source[k]) != plain(target[k]):
            out.append(k)
    if "fields" in source and "fields" in target:
        s, t = source["fields"] or {}, target["fields"] or {}
        out += [f"field: {f}" for f in sorted(set(s) | set(t)) if plain(s.get(f)) != plain(t.get(f))]
    return out


def queue(
    store: Store,
    key: str,
    kind: str,
    target_id: str,
    reason: str,
    source: dict[str, Any],
    target: dict[str, Any],
    *,
    refresh: bool = False,
) -> None:
    """Record a conflict. One already recorded keeps its decision; its two sides are read
    again only when `refresh` (the pre-flight scan), so a fuller record is never replaced
    by a thinner one."""
    old = store.conflicts.get(key)
    if old is not None and not refresh:
        return
    record = {
        "id": key,
        "kind": kind,
        "target_id": target_id,
        "reason": reason,
        "source": source,
        "target": target,
        "changed": differences(source, target),
        "decision": None,
        "queued_at": now_iso(),
    }
    if old is not None:
        record.update({k: old[k] for k in ("decision", "decided_at", "decided_by", "queued_at") if k in old})
    store.record_conflict(record)


def tally(store: Store, plan: Any) -> dict[str, int]:
    """Conflicts still to apply, by what the run will do with each: its decision, or the
    plan's strategy, or 'undecided' (waits, writes nothing)."""
    out: dict[str, int] = {}
    for c in store.conflicts.values():
        mapped = store.target_of(c["id"])
        if mapped and store.how(mapped) != "skipped":
            continue
        what = c.get("decision") or plan.conflicts.strategy_for(c.get("kind", "item"))
        what = "undecided" if what == "manual" else what
        out[what] = out.get(what, 0) + 1
    return out


def tally_text(counts: dict[str, int]) -> str:
    """One sentence for the estimate: how the conflicts the scan found change the writes."""
    total = sum(counts.values())
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    return (
        f"{total} conflict(s) found before the run ({parts}): an overwrite or a merge is one update instead of a "
        f"new process; a skip or an undecided one writes nothing."
    )
