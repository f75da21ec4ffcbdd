"""Issue 19's comment strategies on the large workspace (10,000 cards, 30,000 comments,
2,000 files): the estimate of each strategy under Tallyfy's documented limits, real time.

The large Trello sandbox is discovered (its own limits scaled by --rate-scale, which only
shortens the discovery), then the plan is set back to real time (rate_window_scale 1) and
`estimate --json` gives `comment_strategies`. The estimate is computed, not timed: the same
inventory always gives the same figures, so one run is the median of any number.

Figures: digest against the cap's floor (items with comments ÷ 120 an hour, within 5 %),
field within 2 h; each and recent are reported. The same four for the issue's own workspace
(10,000 cards all holding comments, 30,000 comments, 2,000 files: `issue_workspace_*`), from
its inventory, as tests/unit/test_comment_strategies.py builds it.

`--one-board` discovers issue 19's single board instead (the large sandbox's 10,000 cards,
30,000 comments and 2,000 files on one board, as memory.py serves it) with archived cards
included, so the estimate counts every card and comment of it.

    .venv/bin/python benchmarks/comment_strategies.py [--scale large] [--seed 1] [--one-board] [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, Figure, discovered, estimate_at, items_with_comments, report
from benchmarks.memory import ONE_BOARD_SANDBOX
from wizard.engine.estimate import estimate as estimate_of

sys.path.insert(0, str(ROOT / "tests" / "unit"))
# tests/unit joins sys.path just above: the workspace is the inventory its test builds.
from test_comment_strategies import plan as test_plan
from test_comment_strategies import ten_thousand_cards

COMMENTS_PER_HOUR = 120  # Tallyfy's hourly comment cap, per organization (reference A4)


def estimate(scale: str, seed: int, rate_scale: float, one_board: bool = False) -> tuple[dict, dict]:
    """(the estimate at real time, the inventory); `one_board`: every card of the board, archived
    ones too (10,000 cards, 30,000 comments)."""
    command = ONE_BOARD_SANDBOX if one_board else None
    with discovered(
        "mw-strategies-", scale=scale, seed=seed, rate_scale=rate_scale, command=command, include_archived=one_board
    ) as (s, inventory):
        return estimate_at(s.folder, 1.0), inventory


def strategy_figures(prefix: str, strategies: list[dict], with_comments: int) -> list[Figure]:
    """Each strategy's duration; digest against the cap's floor, field against 2 h."""
    by = {c["name"]: c for c in strategies}
    floor_s = with_comments / COMMENTS_PER_HOUR * 3600
    off = abs(by["digest"]["duration_s"] - floor_s) / floor_s if floor_s else 0.0
    day = 86_400.0
    return [
        Figure(f"{prefix}each_days", round(by["each"]["duration_s"] / day, 2), "days", "(reported)", True, by["each"]),
        Figure(
            f"{prefix}digest_days",
            round(by["digest"]["duration_s"] / day, 2),
            "days",
            f"within 5 % of the cap's floor, {floor_s / day:.2f} days ({with_comments:,} items with comments)",
            off <= 0.05,
            {**by["digest"], "floor_s": round(floor_s), "off": round(off, 4)},
        ),
        Figure(
            f"{prefix}field_hours",
            round(by["field"]["duration_s"] / 3600, 2),
            "h",
            "≤ 2 h",
            by["field"]["duration_s"] <= 7200,
            by["field"],
        ),
        Figure(
            f"{prefix}recent_days", round(by["recent"]["duration_s"] / day, 2), "days", "(reported)", True, by["recent"]
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="large")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate-scale", type=float, default=0.001, help="shortens the discovery only")
    ap.add_argument("--one-board", action="store_true", help="issue 19's single board of 10,000 cards (large)")
    ap.add_argument("--quick", action="store_true", help="small scale")
    a = ap.parse_args()
    if a.quick:
        a.scale, a.one_board = "small", False
    elif a.one_board:
        a.scale = "large"
    est, inv = estimate(a.scale, a.seed, a.rate_scale, a.one_board)
    prefix = "one_board_" if a.one_board else ""
    figures = strategy_figures(prefix, est["comment_strategies"], items_with_comments(inv))
    # The issue's own workspace, every card holding comments, estimated in process from its inventory
    # (the same one tests/unit/test_comment_strategies.py holds): no sandbox has that shape.
    literal = ten_thousand_cards()
    literal_est = estimate_of(test_plan(comments="each"), literal)
    literal_with = sum(n for k, n in literal.containers[0].comments_per_item.items() if k)
    figures += strategy_figures(
        "issue_workspace_", [c.model_dump() for c in literal_est.comment_strategies], literal_with
    )
    report(
        figures,
        {
            "scale": a.scale,
            "seed": a.seed,
            "one_board": a.one_board,
            "counts": [c.get("counts") for c in inv.get("containers", [])],
            "estimate_duration_s": est["duration_s"],
            "limits": est.get("limits"),
        },
    )


if __name__ == "__main__":
    main()
