"""Calls per 1,000 items (tasks and subtasks) to extract a whole ClickUp Workspace with
ClickUpSource, counted by the sandbox itself (/_sandbox/stats), next to the naive count.

    .venv/bin/python benchmarks/clickup_calls.py            # medium: 4 lists, 2,000 tasks
    .venv/bin/python benchmarks/clickup_calls.py --quick    # small

Naive = one call per object and per sub-collection: per list its record, its fields, its
Space's tags and its top-level tasks (100 a page, closed ones asked apart); per task Get Task
with its subtasks (include_subtasks), per subtask Get Task; per task its comments (25 a call);
per comment its thread; per file the download. Ours: subtasks and closed tasks in the same
pages (subtasks=true, include_closed=true) with everything the mapping reads; the hierarchy
and each Space's tags once; per task Get Task (only it gives attachments) and its comments;
a thread only for a comment whose reply_count says it has one; files as the naive count.
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
COMMENT_PAGE = 25


async def extract(url: str, files: bool) -> dict[str, int]:
    from adapters.clickup.source import ClickUpSource  # noqa: PLC0415 - after the sys.path line
    from adapters.clickup.spec import SANDBOX_CREDENTIALS  # noqa: PLC0415
    from wizard.model import Attachment, Comment, Item  # noqa: PLC0415

    # the client keeps ClickUp's limits in a shortened minute: this counts calls, not time
    src = ClickUpSource.connect(url + "/api", SANDBOX_CREDENTIALS, profile="sandbox", window_scale=0.001)
    counts = {"tasks": 0, "subtasks": 0, "comments": 0, "attachments": 0}
    try:
        for c in await src.containers():
            if c.closed:
                continue
            async for obj in src.extract(c.id):
                if isinstance(obj, Item):
                    counts["subtasks" if obj.parent_key else "tasks"] += 1
                elif isinstance(obj, Comment):
                    counts["comments"] += 1
                elif isinstance(obj, Attachment):
                    counts["attachments"] += 1
                    if files:
                        async for _ in src.open_attachment(obj):
                            pass
    finally:
        await src.aclose()
    return counts


def naive(export: dict[str, Any], comments: dict[str, int], files: bool) -> int:
    """`comments`: task id -> its top-level comments (replies are asked per comment)."""
    calls = 3  # me, the Workspaces, their Spaces
    for lst in export["lists"]:
        if lst["archived"]:
            continue
        tasks = [t for t in export["tasks"] if t["list"] == lst["id"] and not t["archived"]]
        tops = [t for t in tasks if not t["parent"]]
        calls += 3 + 2 * max(1, math.ceil(len(tops) / PAGE))  # list, fields, tags; open and closed pages
        for t in tasks:
            top = comments.get(t["id"], 0)
            calls += 1 + max(1, math.ceil((top + 1) / COMMENT_PAGE)) + top  # Get Task, comment pages, threads
            if files:
                calls += len(t["attachments"])
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="small Workspace")
    a = ap.parse_args()
    scale = "small" if a.quick else a.scale

    # lazy: the sandbox's web server (the [sandbox] extra), only once the arguments are read
    from adapters.clickup.sandbox import ClickUpSandbox  # noqa: PLC0415
    from adapters.sandboxkit import SandboxServer  # noqa: PLC0415

    figures = []
    for files in (False, True):
        sb = ClickUpSandbox(seed=a.seed, scale=scale, rate_limits="off")
        with SandboxServer(sb) as srv:
            counts = asyncio.run(extract(srv.url, files))
            by_route = dict(sb.stats.items())
        calls = sum(by_route.values())  # what the sandbox answered, not what we think we sent
        items = counts["tasks"] + counts["subtasks"]
        tops = {t.id: len(t.comments) for t in sb.state.tasks.values()}
        naive_calls = naive(sb.export(), tops, files)
        name = "clickup_calls_per_1000_items" + ("_with_files" if files else "")
        figures.append(
            Figure(
                name,
                round(calls / items * 1000, 1),
                "calls",
                f"(reported; naive {naive_calls / items * 1000:.0f})",
                True,
                {
                    "calls": calls,
                    "naive_calls": naive_calls,
                    "naive_per_1000_items": round(naive_calls / items * 1000, 1),
                    **counts,
                },
            )
        )
        print(f"scale={scale} files={files}: {counts}")
        print(f"  {calls} calls; naive {naive_calls} ({naive_calls / calls:.1f}x more)")
        print(f"  by route: {dict(sorted(by_route.items()))}")
    report(figures, {"scale": scale})


if __name__ == "__main__":
    main()
