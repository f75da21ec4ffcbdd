"""The plan's data-quality rules through the real CLI, staging table into Tallyfy: discovery
finds every failure; the run quarantines each row failing a critical rule with the rule's name
and writes the rest, warnings included; verify balances (the quarantined dropped with their
reason); the report lists every failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from tests.e2e.conftest import Served, cli, serve, stop
from tests.table.test_e2e import live_runs, ok

RULES = [
    {"name": "email on file", "field": "email", "required": True},
    {"name": "short notes", "expression": "empty(notes) or len(notes) < 100", "severity": "warning"},
    {"name": "known status", "field": "stage", "allowed": ["New", "In review", "Approved", "Paid"]},
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = serve(
        tmp_path / "mig", "--systems", "table,tallyfy", "--scale", "small", "--seed", "3", "--rate-scale", "0.001"
    )
    plan = s.folder / "plan.toml"
    doc = tomlkit.parse(plan.read_text())
    doc["quality"] = RULES
    plan.write_text(tomlkit.dumps(doc))
    yield s
    stop(s)


def test_critical_rows_are_quarantined_with_the_rule_and_warnings_go_and_are_listed(served: Served) -> None:
    folder = str(served.folder)
    sandbox_rows = served.export("table")
    assert sandbox_rows["rows"] == 110
    no_email = {f"table:row:staging/R{n:05d}" for n in range(1, 111) if n % 5 == 0}
    long_notes = {f"table:row:staging/R{n:05d}" for n in range(1, 111) if n % 2 == 0 and n % 7}

    ok("discover", folder)
    run = cli("run", folder, "--yes")
    assert run.returncode == 1 and "quarantined" in run.stdout + run.stderr, run.stdout + run.stderr
    landed = set(live_runs(served))
    everything = {e["ref"] for e in served.export("table")["manifest"] if e["kind"] == "item"}
    assert landed == everything - no_email, "every row but the critical failures, warnings included"
    assert long_notes - no_email <= landed

    verified = cli("verify", folder)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    ok("report", folder)
    report = json.loads((served.folder / "reports" / "report.json").read_text())
    quarantined = {q["key"]: q["reason"] for q in report["quarantined"]}
    assert set(quarantined) == no_email
    assert all(r == "quality rule 'email on file' failed: 'email' is empty" for r in quarantined.values())
    by_rule: dict[str, set[str]] = {}
    for q in report["quality"]:
        by_rule.setdefault(q["rule"], set()).add(q["key"])
    assert by_rule == {"email on file": no_email, "short notes": long_notes}
    assert report["per_kind"]["item"]["dropped"] == len(no_email)
    md = (served.folder / "reports" / "report.md").read_text()
    assert f"## Data quality: {len(no_email)} critical (quarantined), {len(long_notes)} warning(s) (migrated)" in md
