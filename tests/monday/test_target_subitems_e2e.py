"""Trello into monday.com with checklist items as subitems, through the real CLI: the estimate
and the dry run foretell the run's calls; every open card's checklist item is exactly one
subitem of its card's item (by `source_ref` in the sandbox's export), a second run adds
nothing, verify balances, and rollback leaves no board."""

from __future__ import annotations

import json
from collections import Counter
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
