"""Figure 1: calls per 1,000 source objects to extract a whole Trello workspace with
TrelloSource, counted by the sandbox itself (/_sandbox/stats), next to the naive count.

    .venv/bin/python benchmarks/extract_calls.py            # medium: 2 boards, 2,000 cards
    .venv/bin/python benchmarks/extract_calls.py --quick    # small

Naive = what a straightforward client sends: GET /members/me/boards; per board the board,
its lists, cards, checklists, labels and custom fields (6); per card its checklists,
custom field items and attachments (3) and its actions in pages of 50 (at least 1).

Target (issue 6): at most 15 calls per 1,000 cards for cards with their lists, checklists,
custom fields and labels, plus the comment pages Trello's 1,000-action page limit forces
(ceil(comments / 1,000) per board). The extraction is deterministic, so one run is enough.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.trello.source import TrelloSource
from benchmarks._common import Figure, report
from wizard.model import Attachment, Comment, Item, Template
from wizard.sandboxes import start_sandboxes
from wizard.secrets import SANDBOX_CREDENTIALS

ACTION_PAGE = 1000
NAIVE_ACTIONS_PAGE = 50


async def extract(url: str) -> tuple[dict[str, int], dict[str, int]]:
    src = TrelloSource.connect(url + "/1", SANDBOX_CREDENTIALS["trello"], profile="sandbox")
    counts = {"boards": 0, "cards": 0, "comments": 0, "attachments": 0, "rejected": 0}
    try:
        for c in await src.containers():
            async for obj in src.extract(c.id):
                if isinstance(obj, Template):
                    counts["boards"] += 1
                elif isinstance(obj, Item):
                    counts["cards"] += 1
                elif isinstance(obj, Comment):
                    counts["comments"] += 1
                elif isinstance(obj, Attachment):
                    counts["attachments"] += 1
                else:
                    counts["rejected"] += 1
    finally:
        await src.aclose()
    return counts, dict(src.client.calls_by_route)


def naive(export: dict) -> int:
    """One call per object and per sub-collection, over the open cards the extraction reads."""
    calls = 1  # GET /members/me/boards
    for b in export["boards"]:
        calls += 1 + 5  # the board; its lists, cards, checklists, labels, custom fields
        per_card: dict[str, int] = {}
        for c in b["comments"]:
            per_card[c["card_id"]] = per_card.get(c["card_id"], 0) + 1
        for card in b["cards"]:
            if card["closed"]:
                continue
            calls += 3 + max(1, math.ceil(per_card.get(card["id"], 0) / NAIVE_ACTIONS_PAGE))
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="small workspace")
    a = ap.parse_args()
    scale = "small" if a.quick else a.scale

    with start_sandboxes(("trello",), seed=a.seed, scale=scale, rate_limits="off") as running:
        sb = running.sandbox("trello")
        sb.stats.clear()
        counts, client_routes = asyncio.run(extract(running.urls["trello"]))
        calls = sum(sb.stats.values())  # what the sandbox answered, not what we think we sent
        export = sb.export()
    # Comment pages the 1,000-action limit forces: the board's commentCard actions (those of
    # archived cards too: the filter cannot leave them out) 1,000 a page, plus the short (or
    # empty) page that says the walk is over: floor(n / 1,000) + 1 per board.
    comment_pages = sum(len(b["comments"]) // ACTION_PAGE + 1 for b in export["boards"])
    cards = counts["cards"]
    objects = cards + counts["comments"] + counts["attachments"] + counts["boards"]
    naive_calls = naive(export)
    per_1000_objects = calls / objects * 1000
    per_1000_cards = calls / cards * 1000
    # "15 per 1,000 cards" read per started thousand: a 38-card board still needs its board call.
    budget = 15 * max(1, math.ceil(cards / 1000)) + comment_pages
    cards_calls_per_1000 = (calls - comment_pages) / cards * 1000
    figures = [
        Figure(
            "trello_calls_per_1000_objects",
            round(per_1000_objects, 2),
            "calls",
            f"(reported; naive {naive_calls / objects * 1000:.0f})",
            True,
            {
                "calls": calls,
                "objects": objects,
                "naive_calls": naive_calls,
                "naive_per_1000_objects": round(naive_calls / objects * 1000, 1),
            },
        ),
        Figure(
            "trello_calls_per_1000_cards",
            round(per_1000_cards, 2),
            "calls",
            f"<= 15 per started 1,000 cards + comment pages "
            f"(= {budget} calls, {budget / cards * 1000:.2f} per 1,000 here)",
            calls <= budget,
            {
                "cards": cards,
                "comment_pages": comment_pages,
                "calls_without_comment_pages_per_1000_cards": round(cards_calls_per_1000, 2),
                "naive_per_1000_cards": round(naive_calls / cards * 1000, 1),
            },
        ),
    ]
    print(f"scale={scale}: {counts}")
    print(f"calls by route (client's count): {dict(sorted(client_routes.items()))}")
    print(f"measured {calls} calls; naive {naive_calls} calls ({naive_calls / calls:.0f}x more)")
    report(figures, {"scale": scale, "counts": counts, "by_route": client_routes})


if __name__ == "__main__":
    main()
