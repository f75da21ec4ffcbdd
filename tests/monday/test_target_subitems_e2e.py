"""Trello into monday.com with checklist items as subitems, through the real CLI: the estimate
and the dry run foretell the run's calls; every open card's checklist item is exactly one
subitem of its card's item (by `source_ref` in the sandbox's export), a second run adds
nothing, verify balances, and rollback leaves no board."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
import tomlkit

from tests.conformance import views
from tests.e2e.conftest import Served, cli, serve, stop


def subitems(s: Served) -> Counter[str]:
    return Counter(
        sub["source_ref"]
        for board in s.export("monday")["made"]
        for item in board["items"]
        for sub in item.get("subitems") or []
        if sub["source_ref"]
    )


def test_checklist_items_arrive_once_as_subitems_and_go_with_a_rollback(tmp_path: Path) -> None:
    s = serve(tmp_path / "m", "--systems", "trello,monday", "--seed", "2", "--scale", "small", "--rate-scale", "0.001")
    try:
        plan = s.folder / "plan.toml"
        doc = tomlkit.parse(plan.read_text())
        doc["mapping"]["checklists"] = "subitems"  # type: ignore[index]
        plan.write_text(tomlkit.dumps(doc))
        folder = str(s.folder)
        assert cli("discover", folder).returncode == 0
        est = json.loads(cli("estimate", folder, "--json").stdout)
        dry = json.loads(cli("run", folder, "--dry-run", "--json").stdout)
        httpx.post(f"{s.urls['monday']}/_sandbox/stats/reset", timeout=10)
        first = cli("run", folder, "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        stats = s.stats("monday")
        assert sum(views.writes(stats).values()) == dry["writes"] and views.calls(stats) == dry["calls"]
        assert abs(sum(est["target_calls"].values()) - views.calls(stats)) <= 0.05 * views.calls(stats)
        wanted = {
            e["ref"] for e in s.export("trello")["manifest"] if e["kind"] == "checklist_item" and not e["archived"]
        }
        held = subitems(s)
        assert wanted and set(held) == wanted and max(held.values()) == 1, "each checklist item one subitem"
        again = cli("run", folder, "--yes")
        assert again.returncode == 0 and subitems(s) == held, again.stdout + again.stderr
        verify = cli("verify", folder)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        back = cli("rollback", folder, "--yes")
        assert back.returncode == 0, back.stdout + back.stderr
        assert s.export("monday")["made"] == [], "no board, item or subitem of the run is left"
    finally:
        stop(s)


def bumping(tmp_path: Path) -> Served:
    """Asana into monday.com, where creating a subitem moves its parent's updated_at; Asana's
    subtasks become subitems of their parent's item, made after the parent is written and
    settled, spread over seconds by the plan's one request a 0.15 s; the run made, and some
    parent's updated_at moved well after our last write to it."""
    s = serve(tmp_path / "m", "--systems", "asana,monday", "--seed", "2", "--scale", "small", "--rate-scale", "0.001")
    s.post("monday", "options", {"subitem_bumps_parent": True})
    plan = s.folder / "plan.toml"
    doc = tomlkit.parse(plan.read_text())
    doc["target"]["rate_limits"] = {"requests_per_minute": 1}  # type: ignore[index]
    doc["target"]["rate_window_scale"] = 0.0025  # our minute lasts 0.15 s: one request each
    plan.write_text(tomlkit.dumps(doc))
    first = cli("run", str(s.folder), "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    items = [i for b in s.export("monday")["made"] for i in b["items"]]
    bumped = [i for i in items if i["subitems"] and _epoch(i["updated_at"]) - _epoch(i["created_at"]) > 4]
    gaps = sorted(_epoch(i["updated_at"]) - _epoch(i["created_at"]) for i in items if i["subitems"])
    assert bumped, gaps
    return s


def test_a_subitem_moving_its_parents_updated_at_is_no_edit_to_rollback(tmp_path: Path) -> None:
    """A sync with no change writes nothing, and rollback takes every board, item and subitem
    of the run away: no parent is kept as edited after the run."""
    s = bumping(tmp_path)
    try:
        folder = str(s.folder)
        httpx.post(f"{s.urls['monday']}/_sandbox/stats/reset", timeout=10)
        quiet = cli("sync", folder)
        assert quiet.returncode == 0, quiet.stdout + quiet.stderr
        assert views.writes(s.stats("monday")) == Counter(), "a sync with no change writes nothing"
        back = cli("rollback", folder, "--yes")
        assert back.returncode == 0, back.stdout + back.stderr
        assert s.export("monday")["made"] == [], "no board, item or subitem of the run is left"
    finally:
        stop(s)


def test_a_subitem_moving_its_parents_updated_at_is_no_edit_to_sync(tmp_path: Path) -> None:
    """Every task edited in Asana after the run is synced over its item: none is taken as
    changed on both sides."""
    s = bumping(tmp_path)
    try:
        folder = str(s.folder)
        s.post("asana", "mutate", {"fraction": 1.0})
        synced = cli("sync", folder)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        log = (s.folder / "logs" / "run.jsonl").read_text("utf-8")
        assert "changed on both sides" not in log
    finally:
        stop(s)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
