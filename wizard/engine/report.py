"""The report, in Markdown, JSON and CSV: what was created, found existing, skipped, failed,
and what was dropped or changed and why. It names objects by source key and target id;
it holds no secret and no personal data beyond the names the consultant maps."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wizard.comment_digest import DIGEST_SUFFIX
from wizard.engine.discover import loss_rules
from wizard.engine.verify import kind_name
from wizard.journal import now_iso
from wizard.model import Template
from wizard.plan import Plan, atomic_write_text
from wizard.redact import redact_any
from wizard.store import Store
from wizard.textsafe import csv_cell, md
from wizard.words import Words, words

KINDS = ("template", "tag", "item", "comment", "attachment")


def losses_for(plan: Plan, inventory: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Every lossy conversion the plan makes of the discovered containers, once each, as the
    target's loss rules name them."""
    rules = loss_rules(plan)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    if rules is None:
        return out
    for c in (inventory or {}).get("containers", []):
        tpl = Template.model_validate(c["template"]) if c.get("template") else Template(key=c["key"], name=c["name"])
        for loss in rules.mapping_losses(tpl):
            if loss[0] not in seen:
                seen.add(loss[0])
                out.append(loss)
    return out


def ledger_of(inventory: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every change the mapping makes to one object, and every record the plan leaves out,
    with the object and the reason (recorded by discovery, before the run)."""
    out: list[dict[str, Any]] = []
    for c in (inventory or {}).get("containers", []):
        out += c.get("ledger", [])
        out += [
            {"key": x["key"], "kind": x["kind"], "what": "left out", "why": x["reason"], "dropped": 1}
            for x in c.get("left_out", [])
        ]
    return out


def quality_of(inventory: dict[str, Any] | None) -> list[dict[str, str]]:
    """Every failure of the plan's data-quality rules that discovery found, critical first."""
    found = [q for c in (inventory or {}).get("containers", []) for q in c.get("quality", [])]
    return sorted(found, key=lambda q: (q.get("severity") != "critical", q.get("rule", ""), q.get("key", "")))


def quality_markdown(failures: list[dict[str, str]]) -> list[str]:
    critical = sum(1 for q in failures if q.get("severity") == "critical")
    out = [
        "",
        f"## Data quality: {critical} critical (quarantined), {len(failures) - critical} warning(s) (migrated)",
        "",
        "| rule | severity | item | why |",
        "| --- | --- | --- | --- |",
    ]
    for q in failures:
        item = f"{md(q.get('key'))} {md(q.get('name'))}"
        out.append(f"| {md(q.get('rule'))} | {md(q.get('severity'))} | {item} | {md(q.get('detail'))} |")
    return out


STRATEGY_WORDS = {
    "each": "comments one by one",
    "digest": "comments as a digest",
    "field": "comments in a history field",
    "recent": "comments as a digest but the last {n}, one by one",
}


def comment_strategies(plan: Plan, store: Store) -> list[dict[str, str]]:
    """The comment strategy each container the runs wrote used, read from what the store
    says was written (an item's history records its strategy; a comment posted on its own,
    on an item without one, was `each`), so a plan changed since says so instead of being
    taken for what happened. A container with no comment written yet says the plan's."""
    used = _strategies_written(store)
    said = {s: w.format(n=plan.mapping.recent_comments) for s, w in STRATEGY_WORDS.items()}
    out = []
    for key, m in sorted(store.mappings.items()):
        if m.get("kind") != "template":
            continue
        planned: str = plan.mapping.comment_strategy(key, key.split(":", 2)[-1])
        own = planned != plan.mapping.comments
        setting = f"[mapping] comments_by_container = {planned}" if own else f"[mapping] comments = {planned}"
        counts = used.get(str(m.get("target_id")))
        if not counts:
            name, what, why = planned, said[planned], setting
        else:
            name = counts.most_common(1)[0][0]
            many = len(counts) > 1
            what = "; ".join(f"{said[s]} on {n:,} item(s)" for s, n in counts.most_common()) if many else said[name]
            why = "as written" if set(counts) == {planned} else f"as written; the plan now says {planned}"
        out.append({"container": key, "strategy": name, "what": what, "why": why})
    return out


def _strategies_written(store: Store) -> dict[str, Counter[str]]:
    """Per container (its target id), how many items' comments went by each strategy."""
    container_of: dict[str, str] = {}  # item target id -> its container's target id
    history: dict[str, str] = {}  # item target id -> the strategy its history was written by
    posted: set[str] = set()  # item target ids with a comment posted on its own
    for key, m in store.mappings.items():
        kind, target_id, parent = m.get("kind"), str(m.get("target_id")), m.get("parent_id")
        if kind == "item" and parent:
            container_of[target_id] = str(parent)
        elif kind == "settle" and key.endswith(DIGEST_SUFFIX):
            history[target_id] = str((m.get("extra") or {}).get("strategy") or "digest")
        elif kind == "comment" and m.get("target_type") == "comment" and parent:
            posted.add(str(parent))
    out: dict[str, Counter[str]] = {}
    each = dict.fromkeys(posted - set(history), "each")
    for item_id, strategy in {**history, **each}.items():
        if item_id in container_of:
            out.setdefault(container_of[item_id], Counter())[strategy] += 1
    return out


def build_report(
    plan: Plan, store: Store, *, verify: dict[str, Any] | None = None, losses: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    created: Counter[str] = Counter()
    existing: Counter[str] = Counter()
    for m in store.mappings.values():
        kind = m.get("kind", "")
        if kind in KINDS:
            (created if m.get("created") else existing)[kind] += 1
    failed = Counter(q.get("kind", "") for q in store.quarantine.values())
    skipped = store.meta.get("last_run", {}).get("skipped", {})
    inv = store.inventory or {}
    totals: Counter[str] = Counter()
    for c in inv.get("containers", []):
        totals.update(c.get("counts", {}))
    people = store.meta.get("people", {})
    return {
        "generated_at": now_iso(),
        "migration": plan.name,
        "source": plan.source.system,
        "target": plan.target.system,
        "state": store.state,
        "per_type": {
            k: {
                "in_source": totals.get(k, 0),
                "created": created[k],
                "already_there": existing[k],
                "skipped": skipped.get(k, 0),
                "failed": failed[k],
            }
            for k in KINDS
        },
        "quarantined": sorted(store.quarantine.values(), key=lambda q: q["key"]),
        "dropped_or_changed": [{"what": w, "why": y} for w, y in (losses or [])],
        "ledger": ledger_of(inv),
        "comment_strategies": comment_strategies(plan, store),
        "quality": quality_of(inv),
        "per_kind": (verify or {}).get("balance") or {},
        "shortfalls": (verify or {}).get("shortfalls") or [],
        "people": sorted(people.values(), key=lambda p: p.get("name", "")),
        "open_conflicts": [c for c in store.conflicts.values() if not c.get("decision")],
        **conflict_record(plan, store),
        "verify": verify,
    }


# -- conflicts: what was met in the target and what became of it ----------------------------
def conflict_record(plan: Plan, store: Store) -> dict[str, Any]:
    """Items met in the target, by what this folder did to them; every conflict with how it
    was resolved and by whom; source items that shared a name with another (each got its own
    item in the target)."""
    met: Counter[str] = Counter(Store.how(m) for m in store.mappings.values() if m.get("kind") == "item")
    rows = []
    for c in sorted(store.conflicts.values(), key=lambda c: c["id"]):
        m = store.target_of(c["id"])
        decision = c.get("decision")
        rows.append(
            {
                "id": c["id"],
                "kind": c.get("kind", "item"),
                "reason": c.get("reason", ""),
                "source_name": (c.get("source") or {}).get("name", ""),
                "target_name": (c.get("target") or {}).get("name", ""),
                "target_id": c.get("target_id", ""),
                "changed": c.get("changed", []),
                "decision": decision or f"plan: {plan.conflicts.strategy_for(c.get('kind', 'item'))}",
                "by": c.get("decided_by") or "the plan's default",
                "how": c.get("decided_how") or "plan default",
                "resolution": Store.how(m)
                if m
                else (
                    "waiting for a decision"
                    if not decision and plan.conflicts.strategy_for(c.get("kind", "item")) == "manual"
                    else "not applied yet"
                ),
            }
        )
    return {
        "met_in_target": {h: met[h] for h in ("found", "overwritten", "merged", "skipped")},
        "conflicts": rows,
        "name_clashes": list(store.meta.get("name_clashes", [])),
    }


def conflict_csv_rows(report: dict[str, Any]) -> list[list[str]]:
    """report.csv's rows for conflicts: status 'conflict: <resolution>', the decision and who made it."""
    return [
        [
            c["id"],
            c["kind"],
            f"conflict: {c['resolution']}",
            "run" if c["kind"] == "item" else "template",
            c["target_id"],
            f"{c['reason']}; decision {c['decision']} by {c['by']} ({c['how']})",
        ]
        for c in report.get("conflicts", [])
    ]


def conflict_markdown(r: dict[str, Any], w: Words) -> list[str]:
    out: list[str] = []
    src, tgt = w.source.item, w.target.item
    met = r.get("met_in_target") or {}
    if any(met.values()):
        out += [
            "",
            f"## {tgt[1].capitalize()} already in the target",
            "",
            ", ".join(f"{h} {n}" for h, n in met.items()) + ".",
        ]
    if r.get("conflicts"):
        out += [
            "",
            f"## Conflicts: {len(r['conflicts'])}",
            "",
            f"| {src[0]} | source | target | decision | by | how | result |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        out += [
            f"| {md(c['id'])} | {md(c['source_name'])} | {md(c['target_name'])} | {md(c['decision'])} "
            f"| {md(c['by'])} | {md(c['how'])} | {md(c['resolution'])} |"
            for c in r["conflicts"]
        ]
    if r.get("name_clashes"):
        out += [
            "",
            f"## {src[1].capitalize()} with the same name as another",
            "",
            f"A {tgt[0]} is matched to one {src[0]} at most; each of these got its own {tgt[0]}.",
            "",
        ]
        out += [
            f"- {md(c['key'])} ({md(c.get('name', ''))}): same name as {md(c['other'])}, which has the existing "
            f"{tgt[0]}; given its own {tgt[0]}"
            for c in r["name_clashes"]
        ]
    return out


def to_markdown(r: dict[str, Any]) -> str:
    w = words(r["source"], r["target"])
    out = [
        f"# Migration report: {md(r['migration'])}",
        "",
        f"{r['source']} → {r['target']}, state **{r['state']}**, generated {r['generated_at']}.",
        "",
        "| type | in source | created | already there | skipped (last run) | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k, v in r["per_type"].items():
        out.append(
            f"| {k} | {v['in_source']} | {v['created']} | {v['already_there']} | {v['skipped']} | {v['failed']} |"
        )
    if r.get("comment_strategies"):
        out += ["", "## Comments, by container", ""]
        out += [f"- {md(x['container'])}: {md(x['what'])} ({md(x['why'])})" for x in r["comment_strategies"]]
    if r.get("per_kind"):
        out += [
            "",
            "## Source against target, per kind",
            "",
            "What the source states of itself, against what verify read back from the target.",
            "",
            "| kind | source | migrated | dropped, with a reason | missing |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for k, b in r["per_kind"].items():
            out.append(
                f"| {kind_name(k, w.source)} | {b['source']} | {b['migrated']} | {b['dropped']} | {b['missing']} |"
            )
        reasons = [
            (kind_name(k, w.source), why, n) for k, b in r["per_kind"].items() for why, n in b["reasons"].items()
        ]
        if reasons:
            out += ["", "Dropped, and why:", ""] + [f"- {n} {kind}: {md(why)}" for kind, why, n in reasons]
    if r.get("shortfalls"):
        out += ["", f"## Shortfalls: {len(r['shortfalls'])} item(s) with less in the target than the source states", ""]
        out += [f"- {md(line)}" for line in r["shortfalls"]]
    if r.get("ledger"):
        out += ["", f"## Changed or left out on the way: {len(r['ledger'])} record(s)", ""]
        out += [f"- {md(x['key'])} {md(x['what'])}: {md(x['why'])}" for x in r["ledger"]]
    if r.get("quality"):
        out += quality_markdown(r["quality"])
    if r["quarantined"]:
        out += ["", "## Quarantined (not migrated, with the reason)", ""]
        out += [f"- {md(q['key'])} ({md(q.get('kind'))}): {md(q.get('reason'))}" for q in r["quarantined"]]
    if r["dropped_or_changed"]:
        out += ["", "## Dropped or changed, and why", ""]
        out += [f"- **{md(d['what'])}**: {md(d['why'])}" for d in r["dropped_or_changed"]]
    if r["people"]:
        out += ["", "## People", "", "| person | decision | why |", "| --- | --- | --- |"]
        out += [
            f"| {md(p.get('name'))} | {md(p.get('action'))}"
            f"{' → ' + md(p.get('user_name') or p['user_id']) if p.get('user_id') else ''} "
            f"| {md(p.get('reason'))} |"
            for p in r["people"]
        ]
    if r["open_conflicts"]:
        out += [
            "",
            f"## Conflicts waiting for a decision: {len(r['open_conflicts'])}",
            "",
            "Decide them with `migration-wizard conflicts DIR`.",
        ]
    out += conflict_markdown(r, w)
    if r.get("verify"):
        out += [
            "",
            "## Verify (read back from the target)",
            "",
            "| type | expected | found | missing | duplicated |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for k, v in r["verify"]["kinds"].items():
            out.append(f"| {k} | {v['expected']} | {v['found']} | {len(v['missing'])} | {len(v['duplicated'])} |")
    return "\n".join(out) + "\n"


def to_csv(store: Store, extra_rows: Sequence[list[str]] = ()) -> str:
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf))
    w.writerow(["source_key", "kind", "status", "target_type", "target_id", "reason"])
    for key, m in sorted(store.mappings.items()):
        if m.get("kind") in KINDS:
            w.writerow(
                [
                    key,
                    m.get("kind"),
                    "created" if m.get("created") else "already there",
                    m.get("target_type"),
                    m.get("target_id"),
                    "",
                ]
            )
    for key, q in sorted(store.quarantine.items()):
        w.writerow([key, q.get("kind"), "failed", "", "", q.get("reason")])
    for row in extra_rows:
        w.writerow(row)
    return buf.getvalue()


class _SafeWriter:
    """A csv writer whose every cell is defused (controls visible, no formula)."""

    def __init__(self, writer: Any) -> None:
        self._w = writer

    def writerow(self, row: list[Any]) -> None:
        self._w.writerow([csv_cell(v) for v in row])


def write_reports(folder: Path, report: dict[str, Any], store: Store) -> list[Path]:
    out = Path(folder) / "reports"
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.md", out / "report.json", out / "report.csv"]
    atomic_write_text(paths[0], to_markdown(report))
    atomic_write_text(paths[1], json.dumps(redact_any(report), indent=2, default=str) + "\n")
    atomic_write_text(paths[2], to_csv(store, conflict_csv_rows(report)))
    return paths
