"""A staging table's sync at scale: a CSV of 10,000 rows into the Tallyfy sandbox with the real
CLI, then 100 rows changed and 10 added in the file; the sync must write exactly those 110
items (created + updated), found by their row hash, while reading the whole table again.

    .venv/bin/python benchmarks/table_sync.py                 # 10,000 rows
    .venv/bin/python benchmarks/table_sync.py --rows 1000     # quicker
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import tomlkit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# after the sys.path line above, so the script runs from anywhere
from adapters.table.readers import sample_csv
from adapters.table.sandbox import HEADER, row
from benchmarks._common import Figure, cli, report, serve


def writes(stats: dict) -> Counter[str]:
    return Counter({r: sum(by.values()) for r, by in stats["by_route"].items() if not r.startswith(("GET", "HEAD"))})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--changed", type=int, default=100)
    ap.add_argument("--added", type=int, default=10)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mw-table-sync-"))
    rng = random.Random(1)
    rows = [row(rng, n + 1) for n in range(args.rows)]
    csv = work / "staging.csv"
    csv.write_text(sample_csv(HEADER, rows), encoding="utf-8")
    with serve(work / "mig", scale="small", systems="table,tallyfy", rate_limits="off", rate_scale=0.001) as served:
        plan = work / "mig" / "plan.toml"
        doc = tomlkit.parse(plan.read_text())
        doc["source"]["base_url"] = csv.as_uri()  # type: ignore[index]
        plan.write_text(tomlkit.dumps(doc))
        first = cli("run", str(work / "mig"), "--yes")
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
        for r in rows[:: max(1, args.rows // args.changed)][: args.changed]:
            r[1] += " (changed)"
        rows += [row(rng, args.rows + n + 1) for n in range(args.added)]
        csv.write_text(sample_csv(HEADER, rows), encoding="utf-8")
        served.reset_stats()
        synced = cli("sync", str(work / "mig"))
        assert synced.returncode == 0, synced.stdout[-2000:] + synced.stderr[-2000:]
        m = re.search(r"created (\d+), updated (\d+), deleted (\d+)", " ".join(synced.stdout.split()))
        assert m, synced.stdout
        created, updated, deleted = map(int, m.groups())
        target_writes = writes(served.stats("tallyfy"))
    want = args.changed + args.added
    report(
        [
            Figure(
                "items written by the sync",
                created + updated,
                "items",
                f"= {want} ({args.changed} changed + {args.added} added)",
                (created, updated, deleted) == (args.added, args.changed, 0),
                {"created": created, "updated": updated, "deleted": deleted, "target_writes": dict(target_writes)},
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
        {"rows": args.rows},
    )


if __name__ == "__main__":
    main()
