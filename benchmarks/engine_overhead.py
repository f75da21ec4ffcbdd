"""Figure 3: engine overhead. Objects (cards + comments + attachments) migrated per second
end to end, through the real HTTP stack on loopback, with the vendors' limits off and no
added latency, so only our own code (and httpx) bounds the run. Both sandboxes run in a
separate process (`sandbox serve`), so the engine has a core of its own; the engine is the
real CLI (`migration-wizard run DIR --yes`) in a child process whose CPU time comes from
wait4's rusage.

    .venv/bin/python benchmarks/engine_overhead.py      # medium (1,888 cards, 5,663 comments, 384 files), 3 repeats
    .venv/bin/python benchmarks/engine_overhead.py --profile  # one run under cProfile (CPU time): where the CPU goes
    .venv/bin/python benchmarks/engine_overhead.py --quick    # small, once

`--rate-scale 1e-6` shrinks the client's own windows too (Tallyfy's 120 comments per hour
becomes 120 per 3.6 ms), so no limiter of ours binds either.

Target (issue 6): at least 1,000 objects/s on one core.
"""

from __future__ import annotations

import argparse
import collections
import pstats
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks._common import ROOT, Figure, cli, discover, report, requests_by_status, run_child, serve

PROFILE_RUNNER = """
import cProfile, sys, time
out = sys.argv[1]
sys.argv = ["migration-wizard"] + sys.argv[2:]
from tui.entry import main
# CPU time, not wall time: a wall-clock profiler charges a function for the time the process
# waits in it (a socket send blocked on the peer, the event loop idle in epoll).
prof = cProfile.Profile(time.process_time)
try:
    prof.enable()
    main()
except SystemExit:
    pass
finally:
    prof.disable()
    prof.dump_stats(out)
"""


def objects_of(served) -> int:
    """Cards, comments and attachments the run must write, from the Trello sandbox's export."""

    export = httpx.get(f"{served.urls['trello']}/_sandbox/export", timeout=120).json()
    n = 0
    for b in export["boards"]:
        open_cards = {c["id"] for c in b["cards"] if not c["closed"]}
        n += len(open_cards)
        n += sum(1 for c in b["comments"] if c["card_id"] in open_cards)
        n += sum(1 for x in b["attachments"] if x["card_id"] in open_cards)
    return n


def one(scale: str, seed: int, workdir: Path, profile: Path | None = None) -> dict:
    folder = workdir / f"mig-{scale}"
    shutil.rmtree(folder, ignore_errors=True)
    with serve(folder, scale=scale, seed=seed, rate_limits="off", rate_scale=1e-6) as s:
        objects = objects_of(s)
        discover(folder)  # before the measured run, whose calls and CPU are the engine's alone
        s.reset_stats()
        sandbox_cpu0 = s.cpu_s()
        if profile:
            runner = workdir / "profile_runner.py"
            runner.write_text(PROFILE_RUNNER)
            r = run_child([sys.executable, str(runner), str(profile), "run", str(folder), "--yes"])
        else:
            r = cli("run", str(folder), "--yes")
        sandbox_cpu = s.cpu_s() - sandbox_cpu0
        if r.returncode != 0:
            raise SystemExit(f"the run failed ({r.returncode}): {r.stderr[-2000:]}")
        trello, tallyfy = s.stats("trello"), s.stats("tallyfy")
        calls = sum(requests_by_status(trello).values()) + sum(requests_by_status(tallyfy).values())
        by_route = {
            f"{system} {route}": sum(sts.values())
            for system, st in (("trello", trello), ("tallyfy", tallyfy))
            for route, sts in st["by_route"].items()
        }
    m = re.search(r"Created (\d+)", r.stdout)
    created = int(m.group(1)) if m else 0
    return {
        "objects": objects,
        "created": created,
        "calls": calls,
        "wall_s": round(r.wall_s, 2),
        "objects_per_s": round(objects / r.wall_s, 1),
        "calls_per_s": round(calls / r.wall_s, 1),
        "engine_cpu_s": round(r.cpu_s, 2),
        "engine_cpu_ms_per_call": round(r.cpu_s / calls * 1000, 3),
        "objects_per_engine_cpu_s": round(objects / r.cpu_s, 1),
        "sandbox_cpu_s": round(sandbox_cpu, 2),
        "engine_peak_rss_mb": round(r.maxrss_mb, 1),
        "calls_by_route": dict(sorted(by_route.items(), key=lambda kv: -kv[1])),
    }


def _ours(filename: str) -> bool:
    """A file of this checkout's own packages (wherever the checkout is)."""
    try:
        rel = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return False
    return rel.parts[0] in ("wizard", "adapters", "tui")


def where_time_goes(path: Path, top: int = 25) -> dict[str, float]:
    """Own time by package: ours (wizard/, adapters/) against httpx, httpcore, h11, anyio, asyncio..."""
    st = pstats.Stats(str(path))
    agg: collections.Counter[str] = collections.Counter()
    for (f, _, fn), (_, _, tt, _, _) in st.stats.items():  # type: ignore[attr-defined]
        if "/site-packages/" in f:
            key = f.split("/site-packages/")[1].split("/")[0]
        elif _ours(f):
            key = "ours:" + "/".join(Path(f).parts[-2:])
        elif f.startswith(("~", "<")):
            key = "builtin:" + (fn if "socket" in fn or "epoll" in fn else fn.split(" of ")[0])[:60]
        else:
            key = "stdlib:" + Path(f).name
        agg[key] += tt
    total = sum(agg.values())
    groups: collections.Counter[str] = collections.Counter()
    for k, v in agg.items():
        if k.startswith("ours:"):
            groups["ours (wizard/, adapters/)"] += v
        elif k.split(":")[0] in ("httpx", "httpcore", "h11", "anyio"):
            groups["http stack (httpx, httpcore, h11, anyio)"] += v
        elif "socket" in k or "epoll" in k or "selector" in k:
            groups["socket syscalls and selector"] += v
        elif k.startswith("stdlib:") and k[7:] in ("base_events.py", "events.py", "tasks.py", "locks.py", "queues.py"):
            groups["asyncio"] += v
        elif "json" in k or k in ("stdlib:encoder.py", "stdlib:decoder.py", "stdlib:scanner.py"):
            groups["json"] += v
        else:
            groups["other (stdlib, pydantic, tenacity, rich...)"] += v
    print(f"\nprofile ({total:.1f} s of own CPU time under cProfile, which inflates per-call costs):")
    for k, v in groups.most_common():
        print(f"  {v / total * 100:5.1f}%  {k}")
    print("  top entries:")
    for k, v in agg.most_common(top):
        print(f"    {v / total * 100:5.1f}%  {k}")
    return {k: round(v / total * 100, 1) for k, v in groups.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--profile", action="store_true", help="one run under cProfile; prints where the time goes")
    a = ap.parse_args()
    scale, repeat = ("small", 1) if a.quick else (a.scale, a.repeat)
    workdir = Path(tempfile.mkdtemp(prefix="mw-engine-"))
    try:
        if a.profile:
            prof = workdir / "run.prof"
            r = one(scale, a.seed, workdir, profile=prof)
            print(f"  under cProfile: {r}", file=sys.stderr)
            shares = where_time_goes(prof)
            shutil.copy(prof, Path(tempfile.gettempdir()) / "mw-engine-overhead.prof")
            print(f"  (the profile is kept in {Path(tempfile.gettempdir()) / 'mw-engine-overhead.prof'})")
            report([], {"profile_shares_pct": shares, "run": r})
            return
        runs = []
        for i in range(repeat):
            r = one(scale, a.seed, workdir)
            print(
                f"  run {i + 1}/{repeat}: " + str({k: v for k, v in r.items() if k != "calls_by_route"}),
                file=sys.stderr,
                flush=True,
            )
            runs.append(r)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "calls_by_route"}
    figures = [
        Figure(
            "engine_objects_per_s",
            med["objects_per_s"],
            "objects/s",
            ">= 1,000 objects/s on one core",
            med["objects_per_s"] >= 1000,
            {"scale": scale, **{k: med[k] for k in med if k != "objects_per_s"}},
        ),
        Figure("engine_calls_per_s", med["calls_per_s"], "calls/s", "(reported)", True),
        Figure("engine_cpu_ms_per_call", med["engine_cpu_ms_per_call"], "ms CPU", "(reported)", True),
    ]
    print(f"calls by route ({runs[0]['objects']} objects, {runs[0]['calls']} calls):")
    for route, n in list(runs[0]["calls_by_route"].items())[:14]:
        print(f"  {n:7d}  {n / runs[0]['objects']:.2f}/object  {route}")
    report(figures, {"runs": runs})


if __name__ == "__main__":
    main()
