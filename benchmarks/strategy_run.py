"""Issue 19, item 6, measured: a comment strategy's whole run on the large workspace (10,000
cards, 30,000 comments, 2,000 files) into Tallyfy, in compressed time.

`comment_strategies.py` gives the estimate at real time; this runs the migration. Both
sandboxes enforce the vendors' documented limits with every window shortened by --rate-scale
(Tallyfy's minute of 600 requests lasts 60 × S seconds, its hour of 120 comments 3,600 × S);
the run is `discover`, the plan's comment strategy set, `estimate --json` at that scale and at
real time, then `run --yes`. The wall time divided by S is the run's length in real time, printed
next to the estimate and the target (field ≤ 2 h; digest within 5 % of the cap's floor, the items
with comments ÷ 120 an hour). Dividing by S is honest only while the limits, not the engine, bound
the run: `engine_bound` says whether the run took longer than its own estimate at the run's scale
by more than 10 %, and the estimate at that scale is printed beside the wall.

    .venv/bin/python benchmarks/strategy_run.py                                # field, S = 0.1 (about 7 minutes)
    .venv/bin/python benchmarks/strategy_run.py --strategy digest --rate-scale 0.001
    .venv/bin/python benchmarks/strategy_run.py --quick                        # small, field, a few seconds
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import (
    Figure,
    cli,
    discovered,
    estimate_at,
    items_with_comments,
    repeat,
    report,
    requests_by_status,
)
from wizard.plan import load_plan, save_plan

COMMENTS_PER_HOUR = 120  # Tallyfy's hourly comment cap, per organization (reference A4)
FIELD_TARGET_S = 2 * 3600.0


def one(scale: str, seed: int, rate_scale: float, strategy: str) -> dict[str, Any]:
    with discovered("mw-strategy-run-", scale=scale, seed=seed, rate_scale=rate_scale) as (s, inventory):
        folder = s.folder
        plan = load_plan(folder / "plan.toml")
        plan.mapping.comments = strategy  # type: ignore[assignment]
        save_plan(folder / "plan.toml", plan)
        real = estimate_at(folder, 1.0)
        scaled = estimate_at(folder, rate_scale)  # the plan is left at the run's scale
        s.reset_stats()
        run = cli("run", str(folder), "--yes", timeout=4 * 3600)
        if run.returncode != 0:
            raise RuntimeError(run.stderr[-2000:])
        statuses = {name: requests_by_status(s.stats(name)) for name in ("trello", "tallyfy")}
    answered = sum(n for st in statuses.values() for n in st.values())
    n429 = sum(st.get("429", 0) for st in statuses.values())
    return {
        "wall_s": round(run.wall_s, 1),
        "cpu_s": round(run.cpu_s, 1),
        "est_scaled_s": scaled["duration_s"],
        "est_real_s": real["duration_s"],
        "real_h": round(run.wall_s / rate_scale / 3600, 3),
        "est_real_h": round(real["duration_s"] / 3600, 3),
        "engine_bound": run.wall_s > 1.10 * scaled["duration_s"],
        "calls_estimated": sum(real["source_calls"].values()) + sum(real["target_calls"].values()),
        "calls_answered": answered,
        "answered_429": n429,
        "items_with_comments": items_with_comments(inventory),
        "load1": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--strategy", default="field", choices=("field", "digest"))
    ap.add_argument("--rate-scale", type=float, default=0.1, help="every vendor window shortened by this factor")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="small scale, one run")
    a = ap.parse_args()
    if a.quick:
        a.scale, a.repeat = "small", 1
    runs = repeat(a.repeat, lambda i: one(a.scale, a.seed, a.rate_scale, a.strategy))
    real_h = statistics.median(r["real_h"] for r in runs)
    est_h = runs[0]["est_real_h"]
    m = sorted(runs, key=lambda r: r["real_h"])[(len(runs) - 1) // 2]
    details = {k: m[k] for k in ("wall_s", "est_scaled_s", "engine_bound", "answered_429", "calls_answered")}
    if a.strategy == "field":
        figure = Figure(
            "field_run_real_hours",
            real_h,
            "h",
            f"≤ 2 h (estimate {est_h:g} h)",
            real_h * 3600 <= FIELD_TARGET_S,
            {**details, "estimate_h": est_h},
        )
    else:
        floor_h = m["items_with_comments"] / COMMENTS_PER_HOUR
        off = abs(real_h - floor_h) / floor_h if floor_h else 0.0
        figure = Figure(
            "digest_run_real_days",
            round(real_h / 24, 3),
            "days",
            f"within 5 % of the cap's floor, {floor_h / 24:.2f} days (estimate {est_h / 24:.2f} days)",
            off <= 0.05,
            {
                **details,
                "estimate_days": round(est_h / 24, 3),
                "floor_days": round(floor_h / 24, 3),
                "off": round(off, 4),
            },
        )
    report(
        [figure], {"scale": a.scale, "seed": a.seed, "strategy": a.strategy, "rate_scale": a.rate_scale, "runs": runs}
    )


if __name__ == "__main__":
    main()
