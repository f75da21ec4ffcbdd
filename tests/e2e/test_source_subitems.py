"""A source's own sub-items (Asana subtasks) into monday.com, through the real CLI: each is
exactly one subitem of its parent task's item (a subtask's subtask: of the top task's, since a
subitem has none, and the ledger says so), never an item of the board (by `source_ref` in the monday sandbox's export,
the parent as the Asana sandbox's API states it), with its comments as updates on it; the
estimate and the dry run foretell the run's calls; a second run adds nothing; a change in
Asana is synced, and a sync after it writes nothing; verify balances; rollback leaves no
board, item or subitem."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import httpx

from tests.conformance import views
from tests.e2e.conftest import Served, cli, serve, stop

ASANA_TOKEN = "sandbox-asana-pat"


def placed(s: Served) -> tuple[Counter[str], dict[str, str], Counter[str]]:
    """(items by source_ref, subitem source_ref -> its item's source_ref, updates by source_ref)."""
    items: Counter[str] = Counter()
    parent_of: dict[str, str] = {}
    updates: Counter[str] = Counter()
    for board in s.export("monday")["made"]:
        for item in board["items"]:
            items[item["source_ref"]] += 1
            for sub in item["subitems"]:
                if sub["source_ref"] and ":task:" in sub["source_ref"]:
                    assert sub["source_ref"] not in parent_of, f"{sub['source_ref']} is two subitems"
                    parent_of[sub["source_ref"]] = item["source_ref"]
                    updates.update(u["source_ref"] for u in sub["updates"])
    return items, parent_of, updates


def asana_parent(s: Served, ref: str) -> str:
    """The parent task of a subtask, as the Asana sandbox's own API says."""
    gid = ref.rsplit(":", 1)[1]
    got = httpx.get(
        f"{s.urls['asana']}/api/1.0/tasks/{gid}",
        params={"opt_fields": "parent"},
        headers={"Authorization": f"Bearer {ASANA_TOKEN}"},
        timeout=30,
    )
    got.raise_for_status()
    return f"asana:task:{got.json()['data']['parent']['gid']}"


def test_subtasks_arrive_once_as_subitems_of_their_parents_and_go_with_a_rollback(tmp_path: Path) -> None:
    s = serve(tmp_path / "m", "--systems", "asana,monday", "--seed", "3", "--scale", "small", "--rate-scale", "0.001")
    try:
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

        manifest = s.export("asana")["manifest"]
        subtasks = {e["ref"] for e in manifest if e["kind"] == "subitem" and not e["archived"]}
        items, parent_of, updates = placed(s)
        assert subtasks and set(parent_of) == subtasks, "every open subtask is one subitem"
        assert not subtasks & set(items), "no subtask is an item of the board"
        for ref in sorted(subtasks)[:12]:
            top = asana_parent(s, ref)
            while top in subtasks:  # a subtask's own subtasks hang under the top task: subitems have none
                top = asana_parent(s, top)
            assert parent_of[ref] == top, f"{ref} hangs under its own parent"
        assert sum(updates.values()) > 0 and max(updates.values()) == 1, "a subtask's comments are its updates, once"
        # The ledger names each subtask of a subtask, which stands under the top task instead of its parent.
        assert cli("report", folder).returncode == 0
        ledger = json.loads((s.folder / "reports" / "report.json").read_text())["ledger"]
        named = {x["key"] for x in ledger if x["what"] == "parent"}
        nested = {ref for ref in subtasks if asana_parent(s, ref) in subtasks}
        assert nested and named == nested, {
            "unnamed": sorted(nested - named)[:3],
            "wrongly": sorted(named - nested)[:3],
        }

        again = cli("run", folder, "--yes")
        assert again.returncode == 0, again.stdout + again.stderr
        assert placed(s) == (items, parent_of, updates), "a second run adds nothing"
        # a change in Asana (a moved task's subtasks move with it: their Stage) is synced onto the subitems
        changed = s.post("asana", "mutate", {"fraction": 0.3, "seed": 4})["changed"]
        synced = cli("sync", folder)
        assert synced.returncode == 0 and changed, synced.stdout + synced.stderr
        updated = int(re.search(r"updated (\d+),", " ".join(synced.stdout.split())).group(1))  # type: ignore[union-attr]
        assert updated >= len(changed), synced.stdout
        after = placed(s)
        assert (after[0], after[1]) == (items, parent_of), "a sync moves nothing out from under its parent"
        assert "created 0, updated 0, deleted 0" in " ".join(cli("sync", folder).stdout.split())
        verify = cli("verify", folder)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        back = cli("rollback", folder, "--yes")
        assert back.returncode == 0, back.stdout + back.stderr
        assert s.export("monday")["made"] == [], "no board, item or subitem of the run is left"
    finally:
        stop(s)
