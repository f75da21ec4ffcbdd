"""Calls per 1,000 runs to extract a whole Process Street organization with
ProcessStreetSource, counted by the sandbox itself (/_sandbox/stats), next to the naive count.

    .venv/bin/python benchmarks/processstreet_calls.py            # medium: 3 workflows, 2,000 runs
    .venv/bin/python benchmarks/processstreet_calls.py --quick    # small

Naive = one call per object and per sub-collection, 20 records a page: per workflow the
workflow, its task templates, its form fields and each choice field's options, its run list;
per run its tasks, its form-field values, its assignees, its approvals, its comments and its
attachments (by `workflowRunId`); per task of a run its assignees; per file its download.
Ours: comments and attachments one listing per workflow (by `workflowId`), task assignees one
listing per person per workflow (`/tasks?assigneeEmail=`), approvals only for runs whose
approval task was acted on; files as the naive count (one download each).
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

PAGE = 20


async def extract(url: str, files: bool) -> dict[str, int]:
    from adapters.processstreet.source import ProcessStreetSource  # noqa: PLC0415 - after the sys.path line
    from adapters.processstreet.spec import SANDBOX_CREDENTIALS  # noqa: PLC0415
    from wizard.model import Attachment, Comment, Item  # noqa: PLC0415

    # the client keeps its assumed limit in a shortened minute: this counts calls, not time
    src = ProcessStreetSource.connect(
        url + "/api/v1.1", dict(SANDBOX_CREDENTIALS), profile="sandbox", window_scale=0.001
    )
    counts = {"runs": 0, "comments": 0, "attachments": 0}
    try:
        for c in await src.containers():
            async for obj in src.extract(c.id):
                if isinstance(obj, Item):
                    counts["runs"] += 1
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


def pages(n: int) -> int:
    return max(1, math.ceil(n / PAGE))


def naive(st: Any, files: bool) -> int:
    calls = 1 + pages(len(st.workflows)) + pages(len(st.users))  # testAuth, workflows, users
    for wf in st.workflows.values():
        live = [st.runs[r] for r in wf.runs if st.runs[r].status in ("Active", "Completed")]
        choices = sum(f["fieldType"] in ("Select", "MultiChoice", "MultiSelect") for f in wf.fields)
        calls += 1 + pages(len(wf.published.tasks)) + pages(len(wf.fields)) + choices
        calls += pages(len([r for r in wf.runs if st.runs[r].status != "Deleted"]))
        for r in live:
            calls += pages(len(r.tasks)) + pages(len(r.values)) + 1 + 1  # tasks, values, assignees, approvals
            calls += pages(len(r.comments)) + pages(len(r.attachments)) + len(r.tasks)  # + each task's assignees
            if files:
                calls += len(r.attachments) + len(r.files)
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="small organization")
    a = ap.parse_args()
    scale = "small" if a.quick else a.scale

    # lazy: the sandbox's web server (the [sandbox] extra), only once the arguments are read
    from adapters.processstreet.sandbox import ProcessStreetSandbox  # noqa: PLC0415
    from adapters.sandboxkit import SandboxServer  # noqa: PLC0415

    figures = []
    for files in (False, True):
        sb = ProcessStreetSandbox(seed=a.seed, scale=scale, rate_limits="off")
        with SandboxServer(sb) as srv:
            counts = asyncio.run(extract(srv.url, files))
            by_route = dict(sb.stats.items())
        calls = sum(by_route.values())  # what the sandbox answered, not what we think we sent
        runs = counts["runs"]
        naive_calls = naive(sb.state, files)
        name = "processstreet_calls_per_1000_runs" + ("_with_files" if files else "")
        figures.append(
            Figure(
                name,
                round(calls / runs * 1000, 1),
                "calls",
                f"(reported; naive {naive_calls / runs * 1000:.0f})",
                True,
                {
                    "calls": calls,
                    "naive_calls": naive_calls,
                    "naive_per_1000_runs": round(naive_calls / runs * 1000, 1),
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
