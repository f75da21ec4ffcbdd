"""Calls (and complexity points) per 1,000 items to extract a whole monday.com account with
MondaySource, counted by the sandbox itself (/_sandbox/stats), next to the naive count.

    .venv/bin/python benchmarks/monday_calls.py            # medium, seed 1
    .venv/bin/python benchmarks/monday_calls.py --quick    # small
    .venv/bin/python benchmarks/monday_calls.py --archived # archived items too, and a sync's change feed

Naive = the default page and one query per item for what hangs on it: items_page at its
default limit of 25, then per item one query for its updates and one for its files, and per
file its download. Ours: the board, its groups, columns and first page of items (with values,
subitems and files) in one query sized to the board; further items 500 a page by cursor; the
updates of the whole board (and of its subitems board) 500 a page; per file its download.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# after the sys.path line above, so the script runs from anywhere
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.source import MondaySource
from adapters.monday.spec import SANDBOX_CREDENTIALS
from adapters.sandboxkit import SandboxServer
from wizard.model import Attachment, Comment, Item


async def extract(url: str, files: bool, archived: bool = False) -> dict[str, int]:
    src = MondaySource.connect(url + "/v2", dict(SANDBOX_CREDENTIALS), profile="sandbox", window_scale=0.001)
    counts = {"items": 0, "subitems": 0, "comments": 0, "files": 0, "downloads": 0, "feed": 0, "boards": 0}
    try:
        for c in await src.containers():
            if c.closed and not archived:
                continue
            counts["boards"] += 1
            async for o in src.extract(c.id, include_archived=archived):
                if isinstance(o, Item):
                    counts["subitems" if o.parent_key else "items"] += 1
                elif isinstance(o, Comment):
                    counts["comments"] += 1
                elif isinstance(o, Attachment):
                    counts["files"] += 1
                    if files:
                        try:
                            async for _ in src.open_attachment(o):
                                pass
                            counts["downloads"] += 1
                        except Exception:  # noqa: BLE001 - the one file the sandbox can never give is counted as tried
                            counts["downloads"] += 1
        counts["complexity"] = src.client.complexity
        if archived:  # a no-change sync's change feed: the baseline as a run ends, then one read per board
            before = src.calls
            for c in await src.containers():
                base = await src.changes_since(c.id, None)
                await src.changes_since(c.id, base.cursor if base else None)
            counts["feed"] = src.calls - before - 1  # the board listing is not the feed
    finally:
        await src.aclose()
    return counts


def run(scale: str, files: bool, archived: bool = False) -> tuple[dict[str, int], int]:
    sb = MondaySandbox(seed=1, scale=scale, window_scale=0.001)
    with SandboxServer(sb) as srv:
        counts = asyncio.run(extract(srv.url, files, archived))
        stats = httpx.get(srv.url + "/_sandbox/stats").json()
    # the sandbox counts a query as a GET of /v2 (it changes nothing), a mutation as a POST
    api = sum(n for route, by in stats["by_route"].items() if " /v2" in route for n in by.values())
    return counts, api


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--archived", action="store_true")
    args = ap.parse_args()
    scale = "small" if args.quick else "medium"
    counts, api = run(scale, files=False, archived=args.archived)
    if args.archived:
        api -= counts["feed"] + 1  # the change feed and its board listing are counted apart
    items = counts["items"]
    naive = math.ceil(items / 25) + 2 * items
    subs, comments, files = counts["subitems"], counts["comments"], counts["files"]
    print(f"{scale}: {items:,} items, {subs:,} subitems, {comments:,} comments, {files:,} files")
    per, naive_per = api * 1000 / items, naive * 1000 / items
    print(f"metadata: {api} calls, {per:.1f} per 1,000 items; naive {naive:,} ({naive_per:,.0f} per 1,000)")
    print(f"complexity: {counts['complexity']:,} points, {counts['complexity'] * 1000 / items:,.0f} per 1,000 items")
    print(f"files: +1 download each ({counts['files']:,}); the naive count adds the same")
    if args.archived:
        print(f"change feed: {counts['feed']} calls for {counts['boards']} boards (baseline and a no-change read each)")


if __name__ == "__main__":
    main()
