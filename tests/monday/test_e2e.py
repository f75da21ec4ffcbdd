"""monday.com into Tallyfy through the real CLI, what the conformance suite does not hold: a
change in monday.com is synced, and archived items arrive once when the plan includes them.
(Every live item, comment and file once, a rerun and a no-change sync writing nothing, verify
and rollback: tests/conformance, the monday-tallyfy pair.)"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Served, cli, serve, stop


def _held(node: Any, out: dict[tuple[str, str], None]) -> None:
    """source_refs of live objects in Tallyfy's export, each object once (a run's comments
    are listed under its tasks too)."""
    if isinstance(node, dict):
        ref = node.get("source_ref")
        if isinstance(ref, str) and not (node.get("deleted") or node.get("archived") or node.get("preexisting")):
            out[(str(node.get("id", id(node))), ref)] = None
        for v in node.values():
            _held(v, out)
    elif isinstance(node, list):
        for v in node:
            _held(v, out)


def held(s: Served) -> Counter[str]:
    seen: dict[tuple[str, str], None] = {}
    _held(s.export("tallyfy"), seen)
    return Counter(ref for _, ref in seen if ref.startswith("monday:"))


def test_a_comment_and_a_rename_in_monday_are_synced(tmp_path: Path) -> None:
    """What a sync brings from monday.com after a run. (The run itself, once each, a rerun and a
    no-change sync writing nothing, verify and rollback: tests/conformance, monday-tallyfy.)"""
    s = serve(tmp_path / "m", "--systems", "monday,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        first = cli("run", str(s.folder), "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        manifest = s.export("monday")["manifest"]
        items = sorted(m["ref"] for m in manifest if not m["archived"] and m["kind"] == "item")
        item, renamed = [r.rsplit(":", 1)[1] for r in items][:2]
        s.post("monday", "mutate", {"item_id": item, "update": "A comment written after the run"})
        s.post("monday", "mutate", {"item_id": renamed, "name": "Renamed after the run"})
        changed = cli("sync", str(s.folder))
        # the commented item moved its updated_at too: both are written over
        assert changed.returncode == 0 and "created 1, updated 2" in changed.stdout, changed.stdout
        log = (s.folder / "logs" / "run.jsonl").read_text("utf-8")
        assert "monday.com reports 1 changed, 0 deleted items" in log  # the activity log named the rename
    finally:
        stop(s)


@pytest.mark.slow
def test_archived_items_arrive_once_when_the_plan_includes_them(tmp_path: Path) -> None:
    s = serve(tmp_path / "m", "--systems", "monday,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        plan = s.folder / "plan.toml"
        text = plan.read_text("utf-8")
        assert "include_archived = false" in text
        plan.write_text(text.replace("include_archived = false", "include_archived = true"), "utf-8")
        run = cli("run", str(s.folder), "--yes")
        assert run.returncode == 0, run.stdout + run.stderr
        export = s.export("monday")
        deleted = {b["id"] for b in export["boards"] if b["state"] == "deleted"}
        got = held(s)
        archived_items = [
            m["ref"] for m in export["manifest"] if m["kind"] == "item" and m["archived"] and m["ref"] in got
        ]
        assert archived_items, "no archived item arrived"
        assert all(got[r] == 1 for r in archived_items)
        assert not any(r.startswith(f"monday:board:{b}") for b in deleted for r in got)
        verify = cli("verify", str(s.folder))
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        stop(s)


@pytest.mark.slow
def test_status_labels_as_steps_through_the_cli(tmp_path: Path) -> None:
    """The status_column preset: every live item arrives once, standing at its status label's
    step, and verify balances (the stage column is a step, not a field value)."""
    s = serve(tmp_path / "m", "--systems", "monday,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        plan = s.folder / "plan.toml"
        text = plan.read_text("utf-8")
        assert 'preset = "board"' in text
        plan.write_text(text.replace('preset = "board"', 'preset = "status_column"', 1), "utf-8")
        run = cli("run", str(s.folder), "--yes")
        assert run.returncode == 0, run.stdout + run.stderr
        manifest = s.export("monday")["manifest"]
        want = {m["ref"] for m in manifest if not m["archived"] and m["kind"] in ("item", "comment", "attachment")}
        got = held(s)
        assert {r for r in want if got[r] != 1} == set()
        steps = {
            t.get("title")
            for c in s.export("tallyfy")["templates"]
            if isinstance(c, dict)
            for t in c.get("steps", [])
            if isinstance(t, dict)
        }
        assert {"Working on it", "Done", "Stuck"} <= steps, steps
        verify = cli("verify", str(s.folder))
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        stop(s)
