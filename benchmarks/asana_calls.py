"""Calls per 1,000 tasks to extract a whole Asana workspace with AsanaSource, counted by the
sandbox itself (/_sandbox/stats), next to the naive count.

    .venv/bin/python benchmarks/asana_calls.py            # medium: 3 projects, 2,000 tasks
    .venv/bin/python benchmarks/asana_calls.py --quick    # small

Naive = one call per object and per sub-collection: per project the project, its sections,
its task list (100 a page); per task (and per subtask, all the way down) the task itself,
its stories, its attachments and, when it has any, its subtasks; per uploaded file its
record (for a fresh download_url) and the download. Ours: tasks 100 a page with everything
the mapping reads (opt_fields); subtasks, stories and attachments 10 lists a call through
POST /batch; files as the naive count (Asana has no way around a fresh URL per file).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Figure, report

PAGE = 100


async def extract(url: str, files: bool) -> dict[str, int]:
    """What the extraction yields, and `batch_actions`: the lists its batches carried."""
    from adapters.asana.source import AsanaSource  # noqa: PLC0415 - after the sys.path line
    from adapters.asana.spec import SANDBOX_CREDENTIALS  # noqa: PLC0415
    from wizard.model import Attachment, Comment, Item  # noqa: PLC0415

    # the client keeps Asana's limits in a shortened minute: this counts calls, not time
    src = AsanaSource.connect(url + "/api/1.0", SANDBOX_CREDENTIALS, profile="sandbox", window_scale=0.001)
    counts = {"tasks": 0, "subtasks": 0, "comments": 0, "attachments": 0, "uploads": 0}
    try:
        for c in await src.containers():
            async for obj in src.extract(c.id):
                if isinstance(obj, Item):
                    counts["subtasks" if obj.parent_key else "tasks"] += 1
                elif isinstance(obj, Comment):
                    counts["comments"] += 1
                elif isinstance(obj, Attachment):
                    counts["attachments"] += 1
                    if obj.is_upload:
                        counts["uploads"] += 1
                        if files:
                            async for _ in src.open_attachment(obj):
                                pass
    finally:
        await src.aclose()
    counts["batch_actions"] = src.client.batch_actions
    return counts


def naive(export: dict[str, Any], files: bool) -> int:
    live = {p["gid"] for p in export["projects"] if not p["archived"]}
    calls = 2 + 2 * len(export["templates"]) // PAGE + 1  # me, projects, templates
    for p in export["projects"]:
        calls += 2 + max(1, math.ceil(len(p["tasks"]) / PAGE))
    hosts = {a["gid"]: a["host"] for a in export["attachments"]}
    for t in export["tasks"]:
        if t["project"] not in live:
            continue
        stories = len(t["comments"]) + t["system_stories"]
        calls += 1 + max(1, math.ceil(stories / PAGE)) + 1 + (1 if t["subtasks"] else 0)
        if files:
            calls += 2 * sum(hosts[a] == "asana" for a in t["attachments"])
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="small workspace")
    a = ap.parse_args()
    scale = "small" if a.quick else a.scale

    # lazy: the sandbox's web server (the [sandbox] extra), only once the arguments are read
    from adapters.asana.sandbox import AsanaSandbox  # noqa: PLC0415
    from adapters.sandboxkit import SandboxServer  # noqa: PLC0415

    figures = []
    for files in (False, True):
        sb = AsanaSandbox(seed=a.seed, scale=scale, rate_limits="off")
        with SandboxServer(sb) as srv:
            counts = asyncio.run(extract(srv.url, files))
            by_route = dict(sb.stats.items())
        calls = sum(by_route.values())  # what the sandbox answered, not what we think we sent
        batch = sum(v for k, v in by_route.items() if k.startswith("POST /api/1.0/batch"))
        tasks = counts["tasks"]
        units = calls - batch + counts["batch_actions"]  # what Asana's per-minute limit counts
        naive_calls = naive(sb.export(), files)
        name = "asana_calls_per_1000_tasks" + ("_with_files" if files else "")
        figures.append(
            Figure(
                name,
                round(calls / tasks * 1000, 1),
                "calls",
                f"(reported; naive {naive_calls / tasks * 1000:.0f})",
                True,
                {
                    "calls": calls,
                    "batch_calls": batch,
                    "rate_limit_units": units,
                    "rate_limit_units_per_1000_tasks": round(units / tasks * 1000, 1),
                    "naive_calls": naive_calls,
                    "naive_per_1000_tasks": round(naive_calls / tasks * 1000, 1),
                    **counts,
                },
            )
        )
        print(f"scale={scale} files={files}: {counts}")
        print(f"  {calls} calls ({batch} of them batches); naive {naive_calls} ({naive_calls / calls:.1f}x more)")
        print(f"  against the per-minute limit (a batch counts its actions): {units}")
        print(f"  by route: {dict(sorted(by_route.items()))}")
    report(figures, {"scale": scale})


if __name__ == "__main__":
    main()
