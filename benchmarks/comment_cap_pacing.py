"""Tallyfy's hourly comment cap, paced by the client alone: how close a burst of comments comes
to the cap's minimum, and how many 429s it draws, with each comment's slot counted from its
answer (what the client does, `RateLimiter.restamp`) or from its send (the alternative that
frees slots a round trip sooner).

The Tallyfy sandbox serves on loopback with its hour shortened to --hour-seconds (and its minute
in proportion); --comments comments are posted to one task through the real TallyfyClient in
--lanes concurrent lanes, as the executor's comment slots do. The minimum is the cap's windows
after the first: (ceil(comments / 120) - 1) x the hour. `--stamp send` turns the restamp off.

    .venv/bin/python benchmarks/comment_cap_pacing.py                 # both ways, 840 comments, 3 runs each
    .venv/bin/python benchmarks/comment_cap_pacing.py --stamp send --repeat 1
    .venv/bin/python benchmarks/comment_cap_pacing.py --quick                 # a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.sandboxkit import SandboxServer
from adapters.tallyfy.client import TallyfyClient
from adapters.tallyfy.sandbox import TallyfySandbox
from benchmarks._common import Figure, report
from wizard.secrets import SANDBOX_CREDENTIALS

PER_HOUR = 120


async def one(hour_s: float, comments: int, lanes: int, stamp: str) -> dict[str, Any]:
    minute_s = 60.0 * hour_s / 3600.0
    sb = TallyfySandbox(seed=1, hour_seconds=hour_s, minute_seconds=minute_s)
    srv = SandboxServer(sb).start()
    try:
        token = SANDBOX_CREDENTIALS["tallyfy"]["token"]
        async with TallyfyClient(
            srv.url + "/api", token, sb.org_id, hour_seconds=hour_s, minute_seconds=minute_s
        ) as client:
            if stamp == "send":
                client.limiter.restamp = lambda *a, **kw: None  # type: ignore[method-assign]
            task = (await client.run_tasks((await client.list_runs())[0]["id"]))[0]["id"]
            sb.stats.clear()
            left = list(range(comments))

            async def lane() -> None:
                while left:
                    await client.comment(task, f"comment {left.pop()}")

            t0 = time.monotonic()
            await asyncio.gather(*(lane() for _ in range(lanes)))
            wall = time.monotonic() - t0
            n429 = sum(n for k, n in sb.stats.items() if k.endswith(" 429"))
            answered = sum(sb.stats.values())
    finally:
        srv.stop()
    minimum = (math.ceil(comments / PER_HOUR) - 1) * hour_s
    return {
        "wall_s": round(wall, 2),
        "minimum_s": round(minimum, 2),
        "ratio": round(wall / minimum, 3),
        "answered_429": n429,
        "pct_429": round(100 * n429 / answered, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hour-seconds", type=float, default=2.17, help="rate_utilisation's default hour")
    ap.add_argument("--comments", type=int, default=840)
    ap.add_argument("--lanes", type=int, default=4, help="the plan's default concurrency")
    ap.add_argument("--stamp", choices=("answer", "send", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one window past the first, a 0.5-s hour, one run")
    a = ap.parse_args()
    if a.quick:
        a.comments, a.hour_seconds, a.repeat, a.stamp = 240, 0.5, 1, "answer"
    figures, runs = [], {}
    for stamp in ("answer", "send") if a.stamp == "both" else (a.stamp,):
        rs = []
        for i in range(a.repeat):
            r = asyncio.run(one(a.hour_seconds, a.comments, a.lanes, stamp))
            print(f"  {stamp} run {i + 1}/{a.repeat}: {r}", file=sys.stderr, flush=True)
            rs.append(r)
        runs[stamp] = rs
        ratio = statistics.median(r["ratio"] for r in rs)
        worst = max(r["pct_429"] for r in rs)
        figures.append(
            Figure(
                f"comment_cap_stamp_at_{stamp}",
                ratio,
                "x the minimum",
                "<= 1.05 x, no 429 in any run",
                ratio <= 1.05 and worst == 0,
                {"worst_pct_429": worst, "answered_429": [r["answered_429"] for r in rs]},
            )
        )
    report(figures, {"hour_s": a.hour_seconds, "comments": a.comments, "lanes": a.lanes, "runs": runs})


if __name__ == "__main__":
    main()
