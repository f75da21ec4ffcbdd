"""Extraction in as few calls as monday.com allows, held at medium scale (benchmarks/RESULTS.md 1c)."""

from __future__ import annotations

import pytest

from benchmarks.monday_calls import run


@pytest.mark.slow
def test_medium_takes_under_20_calls_per_1000_items_against_2000_naive() -> None:
    counts, api = run("medium", files=False)
    items = counts["items"]
    assert items > 1_500 and counts["comments"] > 5_000
    assert api * 1000 / items < 20  # measured 16.3; naive 2,040
    assert counts["complexity"] * 1000 / items < 10_000_000  # under a personal token's minute per 1,000 items
