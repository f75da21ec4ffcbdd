"""Calls per 1,000 cards to extract a whole Pipefy organization with PipefySource, counted by
the sandbox itself (/_sandbox/stats), next to the naive count, and the complexity of the
largest query against Pipefy's cap of 50,000.

    .venv/bin/python benchmarks/pipefy_calls.py            # medium, seed 1
    .venv/bin/python benchmarks/pipefy_calls.py --quick    # small

Naive = one pass per phase and one query per card for what hangs on it: each phase's
`cards(first: 50)` pages, then per card a `card(id)` query for its values, comments, files
and phase history, and per file its download. Ours: the pipe (phases, fields, start form,
labels, members) in one query; the pipe's cards through `allCards`, 50 a page (Pipefy's most)
with everything nested; per file its download (a fresh URL only when it has expired).
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
from adapters.pipefy.sandbox import COMPLEXITY_CAP, PipefySandbox
from adapters.pipefy.source import PipefySource
from adapters.pipefy.spec import SANDBOX_CREDENTIALS
from adapters.sandboxkit import SandboxServer
from wizard.model import Attachment, Comment, Item


async def extract(url: str) -> dict[str, int]:
    src = PipefySource.connect(url + "/graphql", dict(SANDBOX_CREDENTIALS), profile="sandbox", window_scale=0.001)
    counts = {"cards": 0, "comments": 0, "files": 0}
    try:
        for c in await src.containers():
            async for o in src.extract(c.id):
                if isinstance(o, Item):
                    counts["cards"] += 1
                elif isinstance(o, Comment):
                    counts["comments"] += 1
                elif isinstance(o, Attachment):
                    counts["files"] += 1
    finally:
        await src.aclose()
    return counts


def run(scale: str) -> tuple[dict[str, int], int, int, int]:
    sb = PipefySandbox(seed=1, scale=scale, window_scale=0.001)
    with SandboxServer(sb) as srv:
        counts = asyncio.run(extract(srv.url))
        stats = httpx.get(srv.url + "/_sandbox/stats").json()
    api = sum(n for route, by in stats["by_route"].items() if route.startswith("POST /graphql") for n in by.values())
    st = sb.state
    naive = sum(
        1 + sum(max(1, math.ceil(sum(1 for c in st.live_cards(p) if c.phase_id == ph.id) / 50)) for ph in p.phases)
        for p in st.pipes.values()
    )
    naive += counts["cards"] + 2  # a card(id) query per card; who am I, the pipe list
    return counts, api, naive, max(sb.complexity_log)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    scale = "small" if args.quick else "medium"
    counts, api, naive, most = run(scale)
    cards = counts["cards"]
    print(f"{scale}: {cards:,} cards, {counts['comments']:,} comments, {counts['files']:,} files")
    per, naive_per = api * 1000 / cards, naive * 1000 / cards
    print(f"metadata: {api} calls, {per:.1f} per 1,000 cards; naive {naive:,} ({naive_per:,.0f} per 1,000)")
    print(f"largest query: {most:,} complexity points of the cap of {COMPLEXITY_CAP:,}")
    print(f"files: +1 download each ({counts['files']:,}); the naive count adds the same")


if __name__ == "__main__":
    main()
