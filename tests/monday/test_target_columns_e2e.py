"""Pipefy into monday.com through the real CLI, where two fields share a title: Pipefy's phases
"Triage" and "Doing" each have a field labelled "Notes" (and the start form's "Needed by" is a
date where a later phase's is text). monday.com holds a field as a column, so each gets a
column of its own, named for its phase where the titles collide; every card's value of each
is on its item, verify balances every field value Pipefy states, and a rerun and a sync find
the same columns again and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conformance import views
from tests.e2e.conftest import Served, cli, serve, stop

NOTES = ("triage_notes", "doing_notes")


def boards(s: Served) -> dict[str, dict]:
    return {b["source_ref"]: b for b in s.export("monday")["made"] if b["source_ref"]}


def texts(item: dict) -> list[str]:
    """Every text an item's columns hold (a long text's as its text)."""
    out = []
    for raw in item["values"].values():
        v = json.loads(raw)
        out.append(v.get("text", "") if isinstance(v, dict) else str(v))
    return out


def test_fields_of_one_title_get_columns_of_their_own_and_every_value_arrives(tmp_path: Path) -> None:
    s = serve(tmp_path / "p", "--systems", "pipefy,monday", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        folder = str(s.folder)
        first = cli("run", folder, "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        made = boards(s)
        checked = 0
        for p in s.export("pipefy")["pipes"]:
            board = made[f"pipefy:pipe:{p['id']}"]
            titles = [(c["title"], c["type"]) for c in board["columns"]]
            assert ("Triage: Notes", "long_text") in titles and ("Doing: Notes", "long_text") in titles, titles
            assert len(titles) == len(set(titles)), "no two columns of one title and type"
            items = {i["source_ref"]: i for i in board["items"]}
            for card in p["cards"]:
                item = items.get(f"pipefy:card:{card['id']}")
                if item is None:
                    continue  # archived: left out by the plan
                held = texts(item)
                for fid in NOTES:
                    if card["values"].get(fid):
                        assert card["values"][fid] in held, (card["id"], fid, held)
                        checked += 1
        assert checked > 10, "the seed fills both phases' Notes on many cards"
        verify = cli("verify", folder)  # every field value Pipefy states, counted from Pipefy's answers
        assert verify.returncode == 0, verify.stdout + verify.stderr

        httpx.post(f"{s.urls['monday']}/_sandbox/stats/reset", timeout=10)
        again = cli("run", folder, "--yes")
        assert again.returncode == 0, again.stdout + again.stderr
        assert views.writes(s.stats("monday")) == {}, "a second run finds the same columns and writes nothing"
        quiet = cli("sync", folder)
        assert quiet.returncode == 0, quiet.stdout + quiet.stderr
        assert views.writes(s.stats("monday")) == {}, "nor does a sync"
        assert {r: b["columns"] for r, b in boards(s).items()} == {r: b["columns"] for r, b in made.items()}
    finally:
        stop(s)
