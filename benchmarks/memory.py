"""Figure 5: peak RSS of a `migration-wizard run` process migrating the small, medium and
large sandbox workspaces (large: 10,000 cards, 30,000 comments, 2,000 attachments). The
sandboxes run in another process (`sandbox serve --rate-limits off`), so only the engine's
memory is counted: the child's own ru_maxrss from wait4 (the same figure as VmHWM).

    .venv/bin/python benchmarks/memory.py                  # small, medium, large, 3 repeats each
    .venv/bin/python benchmarks/memory.py --tracemalloc    # one run per scale: what the heap holds at its peak
    .venv/bin/python benchmarks/memory.py --quick          # small, once

    .venv/bin/python benchmarks/memory.py --scales one-board   # issue 19's single board of 10,000 cards

Targets: under 300 MB (issue 6); large at most 30 MB above small, and the single board of
10,000 cards and 30,000 comments under 150 MB (issue 19).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Figure, cli, discover, report, run_child, serve

TRACE_RUNNER = """
import sys, threading, time, tracemalloc
out = sys.argv[1]
sys.argv = ["migration-wizard"] + sys.argv[2:]
tracemalloc.start(1)
AT_PEAK = []
done = threading.Event()

def watch():
    # The heap is listed when it is at its highest so far (polled), so the listing shows what
    # the run holds at its peak, not what is left once the buffers are gone.
    best = 0
    while not done.wait(0.2):
        cur, _ = tracemalloc.get_traced_memory()
        if cur > best * 1.03 and cur > 4e6:
            snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, "<frozen importlib*")])
            top = snap.statistics("lineno")[:25]
            lines = [f"{st.size / 1e6:8.2f} MB {st.count:8d} blocks  {st.traceback[0]}" for st in top]
            lines.append("by file:")
            for st in snap.statistics("filename")[:12]:
                lines.append(f"{st.size / 1e6:8.2f} MB {st.count:8d} blocks  {st.traceback[0].filename}")
            del snap
            best = cur
            AT_PEAK[:] = [f"listed at {cur / 1e6:.1f} MB traced (the highest the poll saw)", *lines]

threading.Thread(target=watch, daemon=True).start()
from tui.entry import main
try:
    main()
except SystemExit:
    pass
finally:
    done.set()
    _, peak = tracemalloc.get_traced_memory()
    with open(out, "w") as f:
        f.write(f"traced peak {peak / 1e6:.1f} MB; " + "\\n".join(AT_PEAK) + "\\n")
"""


# Issue 19's single board: the large workspace's 10,000 cards, 30,000 comments and 2,000 files
# on one Trello board (the sandbox's large scale, its board count set to 1 in its own process).
ONE_BOARD = "one-board"
ONE_BOARD_SANDBOX = [
    sys.executable,
    "-c",
    "import adapters.trello.sandbox_state as s; s.SCALES['large']['boards'] = 1; from tui.entry import main; main()",
]


def one(scale: str, seed: int, workdir: Path, trace: bool = False) -> dict:
    folder = workdir / f"mig-{scale}"
    shutil.rmtree(folder, ignore_errors=True)
    served = ("large", ONE_BOARD_SANDBOX) if scale == ONE_BOARD else (scale, None)
    with serve(folder, scale=served[0], seed=seed, rate_limits="off", rate_scale=1e-6, command=served[1]) as s:
        discover(folder)  # in a process of its own: the peak measured is the run's
        if trace:
            runner, out = workdir / "trace_runner.py", workdir / f"trace-{scale}.txt"
            runner.write_text(TRACE_RUNNER)
            r = run_child([sys.executable, str(runner), str(out), "run", str(folder), "--yes"], timeout=7200)
        else:
            r = cli("run", str(folder), "--yes", timeout=7200)
        del s
    if r.returncode != 0:
        raise SystemExit(f"the {scale} run failed ({r.returncode}): {r.stderr[-2000:]}")
    m = re.search(r"Created (\d+)", r.stdout)
    res = {
        "scale": scale,
        "created": int(m.group(1)) if m else 0,
        "peak_rss_mb": round(r.maxrss_mb, 1),
        "wall_s": round(r.wall_s, 1),
    }
    if trace:
        res["tracemalloc"] = (workdir / f"trace-{scale}.txt").read_text()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="small,medium,large", help=f"any of small, medium, large, {ONE_BOARD}")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--tracemalloc", action="store_true", help="one traced run per scale (slower): top allocations")
    a = ap.parse_args()
    scales, repeat = (["small"], 1) if a.quick else ([s.strip() for s in a.scales.split(",")], a.repeat)
    workdir = Path(tempfile.mkdtemp(prefix="mw-mem-"))
    per_scale: dict[str, list[dict]] = {}
    try:
        for scale in scales:
            for i in range(1 if a.tracemalloc else repeat):
                r = one(scale, a.seed, workdir, trace=a.tracemalloc)
                print(
                    f"  {scale} run {i + 1}: peak RSS {r['peak_rss_mb']} MB, {r['created']} created in {r['wall_s']} s",
                    file=sys.stderr,
                    flush=True,
                )
                if a.tracemalloc:
                    print(f"--- {scale}: {r['tracemalloc']}", flush=True)
                per_scale.setdefault(scale, []).append(r)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    med = {s: statistics.median(r["peak_rss_mb"] for r in runs) for s, runs in per_scale.items()}
    figures = [
        Figure(
            f"peak_rss_{s}",
            v,
            "MB",
            "< 300 MB",
            v < 300,
            {"created": per_scale[s][0]["created"], "wall_s": statistics.median(r["wall_s"] for r in per_scale[s])},
        )
        for s, v in med.items()
        if s != ONE_BOARD
    ]
    if ONE_BOARD in med:
        v = med.pop(ONE_BOARD)
        figures.append(
            Figure(
                "peak_rss_one_board",
                v,
                "MB",
                "< 150 MB (issue 19: one board of 10,000 cards and 30,000 comments)",
                v < 150,
                {"created": per_scale[ONE_BOARD][0]["created"]},
            )
        )
    if len(med) > 1:
        growth = round(max(med.values()) - min(med.values()), 1)
        figures.append(
            Figure(
                "peak_rss_growth_small_to_largest",
                growth,
                "MB",
                "<= 30 MB (issue 19: large <= small + 30 MB)",
                growth <= 30,
            )
        )
    report(figures, {"runs": per_scale})


if __name__ == "__main__":
    main()
