"""Two migration folders on one target (issue 21, "created means created"): what the second
folder finds is never its to delete, an overwrite is restored on rollback, a skip writes
nothing however often it runs, and two cards with one name never share one process. Every
check reads the sandbox's own export and stats."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Served
from tests.e2e.conftest import tallyfy_api as api
from tests.e2e.test_before_after import ok, reset, trello, twin, writes
from wizard.secrets import SANDBOX_CREDENTIALS


def live(export: dict) -> dict[str, set]:
    """What is live in the target: processes (with their names and kick-off values),
    comments and files, by id."""
    runs = [r for r in export["runs"] if not r["archived"]]
    return {
        "runs": {(r["id"], r["name"], r["summary"], repr(sorted(r["prerun"].items()))) for r in runs},
        "comments": {c["id"] for r in runs for c in r["comments"] if not c["deleted"]},
        "assets": {a["id"] for r in runs for a in r["assets"] if not a["deleted"] and not a["archived"]},
        "tasks": {(t["id"], t["status"]) for r in runs for t in r["tasks"]},
        "templates": {t["id"] for t in export["templates"] if not t["archived"]},
        "tags": {t["id"] for t in export["tags"]},
    }


@pytest.mark.parametrize("strategy", ["overwrite", "merge", "skip"])
def test_rollback_of_a_second_folder_removes_nothing_the_first_created(
    small: Served, tmp_path: Path, strategy: str
) -> None:
    ok("run", str(small.folder), "--yes")
    after_a = live(small.export("tallyfy"))
    assert after_a["comments"] and after_a["assets"], "the first folder brought comments and files"
    card = next(c for b in small.export("trello")["boards"] for c in b["cards"] if not c["closed"])
    assert trello(small, "PUT", f"cards/{card['id']}", name="Renamed for the second folder").status_code == 200
    other = twin(small, tmp_path, default=strategy)
    out = ok("run", str(other), "--yes")
    assert "Created 0," in out, out
    after_b = small.export("tallyfy")
    renamed = next(r for r in after_b["runs"] if r["source_ref"] == f"trello:card:{card['id']}")
    assert (renamed["name"] == "Renamed for the second folder") == (strategy == "overwrite")
    ok("rollback", str(other), "--yes")
    assert live(small.export("tallyfy")) == after_a, "rollback restored every overwrite and removed nothing found"
    ok("verify", str(small.folder))


def test_skip_writes_nothing_however_often_the_second_folder_runs(small: Served, tmp_path: Path) -> None:
    ok("run", str(small.folder), "--yes")
    other = twin(small, tmp_path, default="skip")
    before = small.export("tallyfy")
    reset(small)
    ok("run", str(other), "--yes")
    ok("run", str(other), "--yes")
    assert writes(small.stats("tallyfy")) == Counter(), "a skipped process is never written, on any run"
    assert live(small.export("tallyfy")) == live(before)
    reset(small)
    ok("rollback", str(other), "--yes")
    assert writes(small.stats("tallyfy")) == Counter(), "and its rollback has nothing to undo"


def test_two_cards_with_one_name_never_share_one_process(small: Served, tmp_path: Path) -> None:
    ok("run", str(small.folder), "--yes")
    tallyfy = small.export("tallyfy")
    template = next(t for t in tallyfy["templates"] if t["source_ref"])
    board_id = template["source_ref"].split(":")[2]
    lst = next(
        lst for b in small.export("trello")["boards"] if b["id"] == board_id for lst in b["lists"] if not lst["closed"]
    )
    token = SANDBOX_CREDENTIALS["tallyfy"]["token"]
    org = tallyfy["organization"]["id"]
    r = httpx.post(
        f"{small.urls['tallyfy']}/organizations/{org}/runs",
        timeout=30,
        headers={"Authorization": f"Bearer {token}", "X-Tallyfy-Client": "APIClient"},
        json={"checklist_id": template["id"], "name": "Quarterly review"},
    )
    assert r.status_code in (200, 201), r.text
    client_run = r.json()["data"]["id"]
    cards = [trello(small, "POST", "cards", name="Quarterly review", idList=lst["id"]).json()["id"] for _ in range(2)]
    other = twin(small, tmp_path, default="overwrite", match_by_name=True)
    ok("run", str(other), "--yes")
    runs = [r for r in small.export("tallyfy")["runs"] if r["name"] == "Quarterly review" and not r["archived"]]
    refs = Counter(r["source_ref"] for r in runs)
    assert len(runs) == 2 and set(refs) == {f"trello:card:{c}" for c in cards}, refs
    assert any(r["id"] == client_run for r in runs), "one card took the client's process, the other its own"
    ok("report", str(other))
    report = (other / "reports" / "report.md").read_text()
    assert "same name" in report and "its own process" in report, report


def unmark_every_process(s: Served) -> list[dict]:
    """The processes of a first run, made to look like the client's own: same names, no
    provenance marker."""
    runs = [r for r in s.export("tallyfy")["runs"] if r["source_ref"] and not r["archived"]]
    for r in runs:
        api(s, "PUT", f"runs/{r['id']}", json={"summary": "Kept by the client"})
    return runs


def fifty_same_named(s: Served, tmp_path: Path, **conflicts: object) -> tuple[Path, list[dict]]:
    """At least 50 processes already in the target with the names of the source's cards,
    and a fresh folder that matches by name."""
    trx = s.export("trello")
    lst = next(lst for lst in trx["boards"][0]["lists"] if not lst["closed"])
    for i in range(50):
        assert trello(s, "POST", "cards", name=f"Supplier contract {i:02d}", idList=lst["id"]).status_code == 200
    ok("run", str(s.folder), "--yes")
    runs = unmark_every_process(s)
    assert len(runs) >= 50
    return twin(s, tmp_path, match_by_name=True, **conflicts), runs


def test_preflight_scan_finds_every_same_named_process_before_any_write(small: Served, tmp_path: Path) -> None:
    other, runs = fifty_same_named(small, tmp_path, default="manual")
    reset(small)
    out = ok("conflicts", str(other))
    assert writes(small.stats("tallyfy")) == Counter(), "the scan only reads"
    assert f"Conflicts ({len(runs)})" in out, out
    conflicts = json.loads((other / "state" / "store.json").read_text())["conflicts"].values()
    assert {c["target_id"] for c in conflicts} == {r["id"] for r in runs}
    one = next(c for c in conflicts if c["source"]["comments"])
    assert one["target"]["comments"] == one["source"]["comments"] and one["source"]["stage"] == one["target"]["stage"]
    shown = ok("conflicts", str(other), "--show", one["id"])
    assert "description" in shown and "comments" in shown and "assignees" in shown
    # The dry run names the decision each write depends on; an undecided one writes nothing.
    ok("conflicts", str(other), "--id", one["id"], "--decide", "overwrite")
    dry = json.loads(ok("run", str(other), "--dry-run", "--json"))
    decided = [a for a in dry["actions"] if a["key"] == one["id"] and a["method"] == "PUT"]
    assert decided and all("conflict: overwrite (decided)" in a["what"] for a in decided), decided
    assert not any(a["method"] == "PUT" and a["key"] != one["id"] and "runs/" in a["path"] for a in dry["actions"])
    est = json.loads(ok("estimate", str(other), "--json"))
    assert est["conflicts"] == {"overwrite": 1, "undecided": len(runs) - 1}, est["conflicts"]
    assert any("conflict(s) found before the run" in r for r in est["risks"])
