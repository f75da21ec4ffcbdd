"""Issue 10: nothing lost silently. The real CLI against the sandboxes' new shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conformance.test_pair import balanced
from tests.e2e.conftest import Served, cli, serve, stop
from wizard.plan import load_plan, save_plan


@pytest.mark.parametrize("systems", ["tallyfy", "trello", "trello,tallyfy"])
def test_sandbox_serve_any_subset_of_systems(tmp_path: Path, systems: str) -> None:
    s = serve(tmp_path / "mig", "--systems", systems, "--rate-scale", "0.01")
    try:
        assert set(s.urls) == set(systems.split(","))
        plan = load_plan(tmp_path / "mig" / "plan.toml")
        for system, endpoint in (("trello", plan.source), ("tallyfy", plan.target)):
            if system in s.urls:
                assert endpoint.base_url.startswith(s.urls[system]) and endpoint.profile == "sandbox"
            else:
                assert endpoint.base_url.startswith("https://") and endpoint.profile == "mig"
    finally:
        stop(s)


def test_one_bad_file_is_quarantined_and_the_run_goes_on_then_run_again_retries_it(small: Served) -> None:
    plan = load_plan(small.folder)
    plan.limits.max_retries = 2
    save_plan(small.folder, plan)
    trx = small.export("trello")
    visible = {c["id"] for b in trx["boards"] for c in b["cards"] if c["visible"]}
    uploads = [a for b in trx["boards"] for a in b["attachments"] if a["isUpload"] and a["card_id"] in visible]
    bad = uploads[0]
    small.post("trello", "corrupt", {"mode": "bad_file", "attachment_id": bad["id"]})
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 1, r.stdout + r.stderr  # finished, with a quarantined record
    assert "Traceback" not in r.stderr and "stopped asking" not in r.stdout + r.stderr
    assets = [x for run in small.export("tallyfy")["runs"] for x in run.get("assets", [])]
    assert len(assets) == len(uploads) - 1, "every other file arrived"
    assert cli("report", str(small.folder)).returncode == 0
    report = json.loads((small.folder / "reports" / "report.json").read_text())
    [q] = [q for q in report["quarantined"] if q["kind"] == "attachment"]
    assert q["key"] == f"trello:attachment:{bad['id']}" and "kept failing on its download" in q["reason"]
    assert f"trello:attachment:{bad['id']}" in (small.folder / "reports" / "report.md").read_text()

    small.post("trello", "corrupt", {"mode": "good_file", "attachment_id": bad["id"]})
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assets = [x for run in small.export("tallyfy")["runs"] for x in run.get("assets", [])]
    assert len(assets) == len(uploads) and bad["fileName"] in {x["filename"] for x in assets}


def test_verify_holds_the_target_against_the_sources_own_counts_and_the_ledger_names_every_change(
    small: Served,
) -> None:
    """Seed 2, small: checklists nested in the listing or not, a blank and a 16,384-character
    card name, whole numbers, cards in an archived list; verify balances, and a checklist
    item removed by hand in the target fails it, naming the card."""
    trx = small.export("trello")
    [board] = trx["boards"]
    cards = {c["id"]: c for c in board["cards"]}
    blank = next(c for c in cards.values() if c["name"].strip() == "")
    long = next(c for c in cards.values() if len(c["name"]) == 16_384)
    archived_lists = {lst["id"] for lst in board["lists"] if lst["closed"]}
    in_archived = {c["id"] for c in cards.values() if c["idList"] in archived_lists and not c["closed"]}
    assert in_archived
    for step in (("discover",), ("run", "--yes")):
        r = cli(step[0], str(small.folder), *step[1:])
        assert r.returncode == 0, r.stdout + r.stderr
    r = cli("verify", str(small.folder))
    assert r.returncode == 0, r.stdout + r.stderr
    assert cli("report", str(small.folder)).returncode == 0
    report = json.loads((small.folder / "reports" / "report.json").read_text())
    per_kind = report["per_kind"]
    assert set(per_kind) == {"item", "checklist_item", "comment", "file", "link", "field_value"}
    balanced(per_kind)
    want_items = sum(len(k["checkItems"]) for c in cards.values() if c["visible"] for k in c["checklists"])
    assert per_kind["checklist_item"]["migrated"] == want_items > 0
    assert per_kind["item"]["source"] == len(cards)
    assert per_kind["item"]["dropped"] == sum(1 for c in cards.values() if not c["visible"])
    assert any("archived list" in why for why in per_kind["item"]["reasons"])

    # The ledger names every object that changed, with the reason.
    ledger = {(x["key"], x["what"]): x["why"] for x in report["ledger"]}
    assert "'Untitled'" in ledger[(f"trello:card:{blank['id']}", "name")]
    assert "16,384 characters" in ledger[(f"trello:card:{long['id']}", "name")]
    assert {k.rsplit(":", 1)[1] for k, what in ledger if what == "left out"} == in_archived
    assert any(":label:" in key and what == "name" and "no name" in why for (key, what), why in ledger.items())
    md = (small.folder / "reports" / "report.md").read_text()
    assert "Source against target, per kind" in md and f"trello:card:{long['id']}" in md

    # What arrived: the placeholder, the cut name, whole numbers as the source wrote them.
    tex = small.export("tallyfy")
    runs = {r["source_ref"]: r for r in tex["runs"]}
    assert runs[f"trello:card:{blank['id']}"]["name"] == "Untitled"
    assert len(runs[f"trello:card:{long['id']}"]["name"]) == 550
    values = [v for r in runs.values() for v in r["prerun"].values()]
    assert "6" in values and "6.0" not in values
    assert not in_archived & {ref.rsplit(":", 1)[1] for ref in runs if ref}

    # A checklist item removed by hand in the target: verify fails and names the card.
    victim = next(c for c in cards.values() if c["visible"] and c["checklists"] and c["name"].strip())
    run = runs[f"trello:card:{victim['id']}"]
    fid, text = next((k, v) for k, v in run["prerun"].items() if isinstance(v, str) and "- [" in v)
    lines = text.splitlines()
    cut = "\n".join(lines[:1] + lines[2:])  # the first checklist item goes
    small.post("tallyfy", "edit", {"run_id": run["id"], "prerun": {fid: cut}})
    r = cli("verify", str(small.folder))
    assert r.returncode == 1, r.stdout + r.stderr
    out = " ".join(r.stdout.split())
    assert f"trello:card:{victim['id']}" in out and "checklist items in the source" in out


def test_a_run_never_discovered_reports_the_ledger_and_verify_holds_the_source_s_own_counts(small: Served) -> None:
    """`run` straight after `sandbox serve` (no `discover`, as the README's headless flow may
    go) discovers first: the report right after it counts what the source holds and its ledger
    names what was left out and why (it had neither before), and verify reads what the source states of
    itself, so a checklist item removed by hand in the target fails it, naming the card."""
    board = small.export("trello")["boards"][0]
    archived_lists = {lst["id"] for lst in board["lists"] if lst["closed"]}
    in_archived = {c["id"] for c in board["cards"] if c["idList"] in archived_lists and not c["closed"]}
    assert in_archived
    assert cli("run", str(small.folder), "--yes").returncode == 0
    assert cli("report", str(small.folder)).returncode == 0
    report = json.loads((small.folder / "reports" / "report.json").read_text())
    items = report["per_type"]["item"]
    assert items["in_source"] == items["created"] == sum(1 for c in board["cards"] if c["visible"]), items
    left_out = {x["key"].rsplit(":", 1)[1] for x in report["ledger"] if x["what"] == "left out"}
    assert left_out == in_archived, report["ledger"]
    r = cli("verify", str(small.folder))
    assert r.returncode == 0 and "states no counts" not in r.stdout, r.stdout + r.stderr
    cards = {c["id"]: c for c in small.export("trello")["boards"][0]["cards"]}
    runs = {r["source_ref"]: r for r in small.export("tallyfy")["runs"]}
    victim = next(c for c in cards.values() if c["visible"] and c["checklists"] and f"trello:card:{c['id']}" in runs)
    run = runs[f"trello:card:{victim['id']}"]
    fid, text = next((k, v) for k, v in run["prerun"].items() if isinstance(v, str) and "- [" in v)
    lines = text.splitlines()
    small.post("tallyfy", "edit", {"run_id": run["id"], "prerun": {fid: "\n".join(lines[:1] + lines[2:])}})
    r = cli("verify", str(small.folder))
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"trello:card:{victim['id']}" in " ".join(r.stdout.split())
