"""What the mapping screen's Losses and Quality tabs say about one container, read from the
inventory discovery wrote. Apart from the report so that the mapping screen's first frame does
not load what the report needs (verification and the discovery engine; issue 19's cold start)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from wizard.words import nouns


def container_losses(inventory: dict[str, Any] | None, container_key: str | None, limit: int = 20) -> list[str]:
    """The mapping screen's Losses tab, object by object, for one container: how many
    records the plan leaves out and why, then the ledger's lines (the first `limit`)."""
    w = nouns("source", (inventory or {}).get("source_system", ""))
    c = next((c for c in (inventory or {}).get("containers", []) if c.get("key") == container_key), None)
    if c is None:
        return [f"Objects that change on the way are listed here once the {w.container[0]} is discovered."]
    out: list[str] = []
    left = Counter(x["reason"] for x in c.get("left_out", []))
    out += [f"{w.items(n)} left out: {why}" for why, n in left.items()]
    stages = sorted((c.get("template") or {}).get("stages", []), key=lambda st: st.get("position", 0))
    by_stage = c.get("items_by_stage_index", [])
    archived = [(st, n) for st, n in zip(stages, by_stage[: len(stages)], strict=False) if st.get("closed") and n]
    if archived:
        names = ", ".join(f"'{st.get('name', '')}'" for st, _ in archived)
        kept = sum(n for _, n in archived)
        out.append(f"{w.items(kept)} in archived stages are migrated (include_archived = true), into {names}")
    ledger = c.get("ledger", [])
    out.append(f"{len(ledger)} object(s) change on the way" + (":" if ledger else "."))
    out += [f"  {x['key']} {x['what']}: {x['why']}" for x in ledger[:limit]]
    if len(ledger) > limit:
        out.append(f"  … and {len(ledger) - limit} more, all listed in the report")
    return out


def container_quality(
    inventory: dict[str, Any] | None, container_key: str | None, rules: int, limit: int = 20
) -> list[str]:
    """The mapping screen's Quality tab for one container: per rule, how many items fail it and
    what becomes of them, then the first `limit` of them with why."""
    if not rules:
        return ["The plan has no data-quality rules: add [[quality]] rules to plan.toml to check items before the run."]
    w = nouns("source", (inventory or {}).get("source_system", ""))
    found = [
        q
        for c in (inventory or {}).get("containers", [])
        if c.get("key") == container_key
        for q in c.get("quality", [])
    ]
    if not found:
        return [f"Every {w.item[0]} here passes the plan's {rules} data-quality rule{'s' if rules != 1 else ''}."]
    critical = sum(1 for q in found if q.get("severity") == "critical")
    head = (
        f"{w.items(critical)} failing a critical rule will be quarantined (not written); "
        f"{len(found) - critical} warning(s) name {w.item[1]} that are written, and the report lists them."
    )
    out = [head]
    by_rule: dict[tuple[str, str], list[dict[str, str]]] = {}
    for q in sorted(found, key=lambda q: (q.get("severity") != "critical", q.get("rule", ""))):
        by_rule.setdefault((q.get("rule", ""), q.get("severity", "")), []).append(q)
    for (rule, severity), failures in by_rule.items():
        mark = "✗" if severity == "critical" else "⚠"
        out += ["", f"{mark} {rule} ({severity}): {w.items(len(failures))}"]
        out += [f"   {q.get('name') or q.get('key')}: {q.get('detail')}" for q in failures[:limit]]
        if len(failures) > limit:
            out.append(f"   … and {len(failures) - limit} more (the report lists every one)")
    return out
