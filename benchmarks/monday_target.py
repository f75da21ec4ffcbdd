"""Issue 18's figures: how fast a migration into monday.com goes at the documented complexity
budget, against the most that budget allows, and how close the estimate comes to the run.

Two workloads, both sandboxes enforcing their documented limits (`--rate-limits documented`),
scaled by --rate-scale (monday.com's minute lasts 60 × S seconds, its budget unchanged):

- `--source table --rows N`: a staging CSV of N rows, one item each, no comments or files:
  the board's items alone, where the budget is what binds. New items go 25 to a request
  (aliased `create_item`s), each mutation 10,000 points (reference M5), so Pro's 10,000,000
  points a minute allow at most 1,000 items a minute over a long run; monday.com's minute is
  fixed from its first call, so N items need at least (⌈N × 10,000 / budget⌉ − 1) minutes.
- `--source trello`: a Trello sandbox (items, comments, files, labels): every kind at once.

Measured: `discover`, `estimate --json`, `run --yes`, then

- items and mutations a minute, in the vendor's minutes (wall ÷ S), against the budget's most;
- the estimate's error on the target's calls (its count against the sandbox's own) and on
  the duration (its seconds against the run's wall).

    .venv/bin/python benchmarks/monday_target.py --source table --rows 3000 --rate-scale 0.2
    .venv/bin/python benchmarks/monday_target.py [--scale small] [--rate-scale 1.0] [--repeat 1] [--tier free]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from math import ceil
from pathlib import Path

import httpx
import tomlkit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.monday.plans import PLANS
from adapters.monday.target_mapping import MUTATION_COST
from adapters.table.readers import sample_csv
from adapters.table.sandbox import HEADER, row
from benchmarks._common import Figure, cli, pick_median, repeat, report, serve


def _staging(folder: Path, rows: int, seed: int) -> None:
    """A CSV of `rows` rows as the plan's source."""
    rng = random.Random(seed)
    csv = folder.parent / "staging.csv"
    csv.write_text(sample_csv(HEADER, [row(rng, n + 1) for n in range(rows)]), encoding="utf-8")
    plan = folder / "plan.toml"
    doc = tomlkit.parse(plan.read_text())
    doc["source"]["base_url"] = csv.as_uri()  # type: ignore[index]
    plan.write_text(tomlkit.dumps(doc))


def _account_plan(folder: Path, tier: str) -> None:
    """The account's plan, as the consultant states it: the client and the estimate keep to its budget."""
    plan = folder / "plan.toml"
    doc = tomlkit.parse(plan.read_text())
    doc["target"]["rate_plan"] = tier  # type: ignore[index]
    plan.write_text(tomlkit.dumps(doc))


def one(source: str, rows: int, scale: str, seed: int, rate_scale: float, tier: str) -> dict:
    with (
        tempfile.TemporaryDirectory(prefix="mw-monday-") as tmp,
        serve(
            Path(tmp) / "mig",
            scale=scale,
            seed=seed,
            rate_limits="documented",
            rate_scale=rate_scale,
            systems=f"{source},monday",
        ) as s,
    ):
        folder = str(s.folder)
        if source == "table":
            _staging(s.folder, rows, seed)
        if tier != "pro":  # the account's plan: its budget (trial and free: 1,000,000 points a minute)
            httpx.post(s.urls["monday"] + "/_sandbox/budget", json={"tier": tier}, timeout=30)
        _account_plan(s.folder, tier)
        d = cli("discover", folder)
        assert d.returncode == 0, d.stdout[-2000:] + d.stderr[-2000:]
        est = json.loads(cli("estimate", folder, "--json").stdout)
        s.reset_stats()
        run = cli("run", folder, "--yes")
        if run.returncode != 0:
            raise RuntimeError(run.stderr[-2000:])
        by_route = s.stats("monday")["by_route"]
        calls = sum(n for by in by_route.values() for n in by.values())
        answered_429 = sum(by.get("429", 0) for by in by_route.values())
        export = httpx.get(s.urls["monday"] + "/_sandbox/export", timeout=120).json()
        items = sum(len(b["items"]) for b in export["made"])
        # every write request is one mutation but a board's aliased groups and columns (a handful)
        mutations = sum(n for route, by in by_route.items() if route.startswith("POST") for n in by.values())
        minutes = run.wall_s / rate_scale / 60  # in monday.com's own minutes
        est_calls = sum(est["target_calls"].values())
        budget = PLANS[tier].budget
        # the floor the budget sets: every full budget but the last waited out (monday.com's fixed minute)
        floor_minutes = max(0, ceil(items * MUTATION_COST / budget) - 1)
        return {
            "items": items,
            "mutation_requests": mutations,
            "budget_floor_vendor_minutes": floor_minutes,
            "wall_s": round(run.wall_s, 1),
            "vendor_minutes": round(minutes, 2),
            "items_per_min": round(items / minutes, 1),
            "mutations_per_min": round(mutations / minutes, 1),
            "requests": calls,
            "answered_429": answered_429,
            "est_calls": est_calls,
            "calls_off": round(abs(est_calls - calls) / calls, 4),
            "est_s": est["duration_s"],
            "duration_off": round(abs(est["duration_s"] - run.wall_s) / run.wall_s, 3),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="trello", choices=("trello", "table"))
    ap.add_argument("--rows", type=int, default=3000, help="--source table: the CSV's rows")
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate-scale", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tier", default="pro", choices=("pro", "enterprise", "free", "trial"))
    ap.add_argument("--quick", action="store_true", help="small scale, one run")
    a = ap.parse_args()
    if a.quick:
        a.scale, a.repeat, a.rate_scale = "small", 1, 0.01
    runs = repeat(a.repeat, lambda i: one(a.source, a.rows, a.scale, a.seed, a.rate_scale, a.tier))
    m = pick_median(runs, "items_per_min")
    steady = PLANS[a.tier].budget // MUTATION_COST  # items a minute over a long run
    floor = m["budget_floor_vendor_minutes"]
    most = m["items"] / floor if floor else None  # this run's items over the minutes the budget makes it wait
    report(
        [
            Figure(
                "monday_items_per_minute",
                m["items_per_min"],
                "items/min",
                f"≤ {most:,.0f} (the budget's most for {m['items']} items; {steady:,} over a long run)"
                if most
                else f"reported (the budget never binds for {m['items']} items; {steady:,} a minute over a long run)",
                m["items_per_min"] <= most * 1.02 if most else True,
                m,
            ),
            Figure(
                "monday_budget_utilisation",
                round(100 * m["items_per_min"] / most, 1) if most else 0.0,
                "%",
                "of the budget's most for this run",
                True,
            ),
            Figure("monday_estimate_calls_off", m["calls_off"] * 100, "%", "≤ 5 %", m["calls_off"] <= 0.05),
            Figure("monday_estimate_duration_off", m["duration_off"] * 100, "%", "≤ 20 %", m["duration_off"] <= 0.2),
        ],
        {"runs": runs},
    )


if __name__ == "__main__":
    main()
