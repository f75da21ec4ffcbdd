"""Issue 18's figures: how fast a migration into monday.com goes at the documented complexity
budget, against the most that budget allows, and how close the estimate comes to the run.

A medium Trello sandbox into the monday.com sandbox, both enforcing their documented limits
(`--rate-limits documented`), scaled by --rate-scale (monday.com's minute lasts 60 × S
seconds, its 10,000,000 points a minute unchanged). The run spends 10,000 points a mutation
(reference M5), so the budget allows at most 1,000 mutations a minute; items, comments and
files all are mutations. Measured: `discover`, `estimate --json`, `run --yes`, then

- mutations (and items) per minute, in the vendor's minutes (wall ÷ S), against the 1,000
  mutations a minute the budget allows;
- the estimate's error on the target's calls (its count against the sandbox's own) and on
  the duration (its seconds against the run's wall).

    .venv/bin/python benchmarks/monday_target.py [--scale medium] [--rate-scale 0.2] [--repeat 1] [--tier free]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.monday.target_mapping import BUDGET, MUTATION_COST
from benchmarks._common import Figure, cli, pick_median, repeat, report, serve


def one(scale: str, seed: int, rate_scale: float, tier: str) -> dict:
    with (
        tempfile.TemporaryDirectory(prefix="mw-monday-") as tmp,
        serve(
            Path(tmp) / "mig",
            scale=scale,
            seed=seed,
            rate_limits="documented",
            rate_scale=rate_scale,
            systems="trello,monday",
        ) as s,
    ):
        folder = str(s.folder)
        if tier != "pro":  # the account's plan: its budget (trial and free: 1,000,000 points a minute)
            httpx.post(s.urls["monday"] + "/_sandbox/budget", json={"tier": tier}, timeout=30)
        assert cli("discover", folder).returncode == 0
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
        return {
            "items": items,
            "mutation_requests": mutations,
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
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate-scale", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tier", default="pro", choices=("pro", "enterprise", "free", "trial"))
    ap.add_argument("--quick", action="store_true", help="small scale, one run")
    a = ap.parse_args()
    if a.quick:
        a.scale, a.repeat, a.rate_scale = "small", 1, 0.01
    runs = repeat(a.repeat, lambda i: one(a.scale, a.seed, a.rate_scale, a.tier))
    m = pick_median(runs, "mutations_per_min")
    most = (BUDGET if a.tier in ("pro", "enterprise") else BUDGET // 10) // MUTATION_COST
    report(
        [
            Figure(
                "monday_mutations_per_minute",
                m["mutations_per_min"],
                "mutations/min",
                f"≤ {most} (the budget's most)",
                m["mutations_per_min"] <= most * 1.02,
                m,
            ),
            Figure("monday_items_per_minute", m["items_per_min"], "items/min", "reported", True),
            Figure("monday_estimate_calls_off", m["calls_off"] * 100, "%", "≤ 5 %", m["calls_off"] <= 0.05),
            Figure("monday_estimate_duration_off", m["duration_off"] * 100, "%", "≤ 20 %", m["duration_off"] <= 0.2),
        ],
        {"runs": runs},
    )


if __name__ == "__main__":
    main()
