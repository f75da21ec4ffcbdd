"""A staging table's sync at scale: a CSV of 10,000 rows into the Tallyfy (or monday.com)
sandbox with the real CLI, then 100 rows changed and 10 added in the file; the sync must write
exactly those 110 items (created + updated), found by their row hash, while reading the whole
table again. With `--rule`, a critical data-quality rule of the plan: each row failing it is
quarantined with the rule's name, and every other row is exactly one item (by its source_ref
in the target sandbox's export); the changed rows are taken among those that pass.

    .venv/bin/python benchmarks/table_sync.py                 # 10,000 rows into Tallyfy
    .venv/bin/python benchmarks/table_sync.py --rows 1000     # quicker
    .venv/bin/python benchmarks/table_sync.py --target monday --rule "amount < 999.5"   # issue 18's done-when
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import tomlkit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# after the sys.path line above, so the script runs from anywhere
from adapters.table.readers import sample_csv
from adapters.table.sandbox import HEADER, row
from benchmarks._common import Figure, Served, cli, discover, report, serve

RULE = "amount under the cap"  # the critical rule's name, when --rule gives its expression


def writes(stats: dict) -> Counter[str]:
    return Counter({r: sum(by.values()) for r, by in stats["by_route"].items() if not r.startswith(("GET", "HEAD"))})


def rows_held(served: Served, target: str) -> Counter[str]:
    """How many live objects of the target's export carry each row's source_ref."""
    seen: dict[tuple[str, str], None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("source_ref")
            if ref and str(ref).startswith("table:row:") and not (node.get("deleted") or node.get("archived")):
                seen[(str(node.get("id")), str(ref))] = None
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(httpx.get(f"{served.urls[target]}/_sandbox/export", timeout=600).json())
    return Counter(ref for _, ref in seen)


def fails(r: list[str], expression: str) -> bool:
    """Whether the row fails the rule (`amount < X` only: what this script's --rule takes)."""
    m = re.fullmatch(r"\s*amount\s*<\s*([0-9.]+)\s*", expression)
    assert m, "--rule takes 'amount < X'"
    return not float(r[3]) < float(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--changed", type=int, default=100)
    ap.add_argument("--added", type=int, default=10)
    ap.add_argument("--target", choices=("tallyfy", "monday"), default="tallyfy")
    ap.add_argument("--rule", default="", help="a critical rule's expression, 'amount < X'")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mw-table-sync-"))
    rng = random.Random(1)
    rows = [row(rng, n + 1) for n in range(args.rows)]
    csv = work / "staging.csv"
    csv.write_text(sample_csv(HEADER, rows), encoding="utf-8")
    failing = {f"table:row:staging/{r[0]}" for r in rows if args.rule and fails(r, args.rule)}
    systems = f"table,{args.target}"
    with serve(work / "mig", scale="small", systems=systems, rate_limits="off", rate_scale=0.001) as served:
        plan = work / "mig" / "plan.toml"
        doc = tomlkit.parse(plan.read_text())
        doc["source"]["base_url"] = csv.as_uri()  # type: ignore[index]
        if args.rule:
            doc["quality"] = [{"name": RULE, "expression": args.rule, "severity": "critical"}]
        plan.write_text(tomlkit.dumps(doc))
        discover(work / "mig")  # the first run's figure is the run's alone
        first = cli("run", str(work / "mig"), "--yes")
        # a run that quarantined rows is not a whole success: exit 1
        assert first.returncode == (1 if failing else 0), first.stdout[-2000:] + first.stderr[-2000:]
        held = rows_held(served, args.target)
        every_row = set(held) == {f"table:row:staging/{r[0]}" for r in rows} - failing and max(held.values()) == 1
        assert cli("report", str(work / "mig")).returncode == 0
        quarantined = json.loads((work / "mig" / "reports" / "report.json").read_text())["quarantined"]
        named = {q["key"] for q in quarantined if RULE in q["reason"]}
        passing = [r for r in rows if f"table:row:staging/{r[0]}" not in failing]
        for r in passing[:: max(1, len(passing) // args.changed)][: args.changed]:
            r[1] += " (changed)"
        rows += [row(rng, args.rows + n + 1) for n in range(args.added)]
        csv.write_text(sample_csv(HEADER, rows), encoding="utf-8")
        served.reset_stats()
        synced = cli("sync", str(work / "mig"))
        # the failing rows are read again and quarantined again: exit 1
        assert synced.returncode == (1 if failing else 0), synced.stdout[-2000:] + synced.stderr[-2000:]
        m = re.search(r"created (\d+), updated (\d+), deleted (\d+)", " ".join(synced.stdout.split()))
        assert m, synced.stdout
        created, updated, deleted = map(int, m.groups())
        target_writes = writes(served.stats(args.target))
        after = rows_held(served, args.target)
    new_failing = {f"table:row:staging/{r[0]}" for r in rows[args.rows :] if args.rule and fails(r, args.rule)}
    want = args.changed + args.added - len(new_failing)
    report(
        [
            Figure(
                "items written by the sync",
                created + updated,
                "items",
                f"= {want} ({args.changed} changed + {args.added - len(new_failing)} of {args.added} added passing)",
                (created, updated, deleted) == (args.added - len(new_failing), args.changed, 0),
                {"created": created, "updated": updated, "deleted": deleted, "target_writes": dict(target_writes)},
            ),
            Figure(
                "rows held once after the first run",
                sum(held.values()),
                "items",
                f"every row but the {len(failing)} failing the critical rule, once each",
                every_row,
                {"rows": args.rows, "failing": len(failing)},
            ),
            Figure(
                "rows quarantined with the rule's name",
                len(named),
                "rows",
                f"= {len(failing)}",
                named == failing,
                {"rule": RULE, "expression": args.rule},
            ),
            Figure(
                "rows held once after the sync",
                sum(after.values()),
                "items",
                f"{args.rows + args.added - len(failing) - len(new_failing)}, once each",
                sum(after.values()) == args.rows + args.added - len(failing) - len(new_failing)
                and max(after.values()) == 1,
            ),
            Figure("first run", round(first.wall_s, 1), "s", f"{args.rows:,} rows", True, {"cpu_s": first.cpu_s}),
            Figure(
                "sync",
                round(synced.wall_s, 1),
                "s",
                f"reads all {args.rows + args.added:,} rows, writes {want}",
                True,
                {"cpu_s": synced.cpu_s, "maxrss_mb": synced.maxrss_mb},
            ),
        ],
        {"rows": args.rows, "target": args.target},
    )


if __name__ == "__main__":
    main()
