"""Conflict review shared with the client (issue 21, items 5 to 7), through the real CLI:
decisions by rule and one by one, undone and reset; an export edited outside and imported
back drives the next run; a bad file changes nothing and names each bad row; the report
lists every conflict with how and by whom it was resolved."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from tests.e2e.conftest import Served, cli
from tests.e2e.test_before_after import ok, reset, writes
from tests.e2e.test_two_folders import fifty_same_named
from wizard.store import Store


def conflicts_of(folder: Path) -> dict[str, dict]:
    return json.loads((folder / "state" / "store.json").read_text())["conflicts"]


def store_conflicts(folder: Path) -> dict[str, dict]:
    with Store(folder) as s:
        return {k: dict(v) for k, v in s.conflicts.items()}


def test_rules_undo_and_an_edited_export_drive_the_next_run(small: Served, tmp_path: Path) -> None:
    other, runs = fifty_same_named(small, tmp_path, default="manual")
    ok("conflicts", str(other))
    found = store_conflicts(other)
    assert len(found) == len(runs)
    # By rule: every conflict of one list; a bulk decision needs --yes without a terminal.
    lists = Counter(c["source"]["stage"] for c in found.values())
    big = lists.most_common(1)[0][0]
    r = cli("conflicts", str(other), "--where", f"stage={big}", "--decide", "skip")
    assert r.returncode == 2 and "--yes" in r.stderr
    ok("conflicts", str(other), "--where", f"stage={big}", "--decide", "skip", "--yes")
    after_rule = store_conflicts(other)
    ruled = {k for k, c in after_rule.items() if c["decision"] == "skip"}
    assert ruled == {k for k, c in found.items() if c["source"]["stage"] == big}
    assert all(after_rule[k]["decided_how"] == f"by rule stage={big}" for k in ruled)
    # One by one, then undone: back to undecided.
    one = sorted(set(found) - ruled)[0]
    ok("conflicts", str(other), "--id", one, "--decide", "overwrite")
    ok("conflicts", str(other), "--id", one, "--undo")
    assert store_conflicts(other)[one]["decision"] is None
    # The client decides in a spreadsheet: three to overwrite, the rest left as they are.
    sheet = tmp_path / "conflicts.csv"
    ok("conflicts", str(other), "--export", str(sheet))
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert len(rows) == len(runs) and {"source name", "target name", "decision"} <= set(rows[0])
    chosen = sorted(r["id"] for r in rows if not r["decision"])[:3]
    for r in rows:
        if r["id"] in chosen:
            r["decision"] = "Overwrite"
    with sheet.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    bad = tmp_path / "bad.csv"
    bad.write_text(sheet.read_text().replace(f"{chosen[0]},", "trello:card:nope,", 1).replace("Overwrite", "maybe", 1))
    r = cli("conflicts", str(other), "--import", str(bad))
    assert r.returncode == 2 and "row " in r.stderr and "nothing changed" in r.stderr, r.stderr
    assert "traceback" not in r.stderr.lower()
    assert not any(c["decision"] == "overwrite" for c in store_conflicts(other).values())
    ok("conflicts", str(other), "--import", str(sheet))
    reset(small)
    ok("run", str(other), "--yes")
    w = writes(small.stats("tallyfy"))
    assert w["PUT /organizations/{org}/runs/{id}"] == 3, w
    names = {r["id"]: r for r in small.export("tallyfy")["runs"]}
    for cid in chosen:
        assert names[found[cid]["target_id"]]["source_ref"] == cid, "overwritten: it carries the card's marker now"
    assert not any(k.startswith("POST") and k.endswith("/runs") for k in w), "no process launched for a conflict"
    ok("report", str(other))
    report = json.loads((other / "reports" / "report.json").read_text())
    rows = {c["id"]: c for c in report["conflicts"]}
    assert len(rows) == len(runs)
    assert {rows[c]["resolution"] for c in chosen} == {"overwritten"}
    assert all(rows[c]["how"] == "imported from conflicts.csv" for c in chosen)
    assert {rows[c]["resolution"] for c in ruled} == {"skipped"}
    csv_rows = list(csv.DictReader((other / "reports" / "report.csv").open(encoding="utf-8")))
    assert sum(r["status"].startswith("conflict") for r in csv_rows) == len(runs)
    audit = (other / "audit.log").read_text()
    assert chosen[0] in audit and one in audit, "each decision is in the audit log"
