"""The staging table into Tallyfy through the real CLI: from the served file `sandbox serve
--systems table,tallyfy` writes a plan for, and from a CSV file on this machine. A sync after
rows changed, were added and were removed writes exactly the new and changed rows (their row
hash), names the removed ones, and removes them only when the plan says so."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from tests.e2e.conftest import Served, cli, serve, stop
from tests.table.conftest import ROWS, write_csv


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = serve(
        tmp_path / "mig", "--systems", "table,tallyfy", "--scale", "small", "--seed", "3", "--rate-scale", "0.001"
    )
    yield s
    stop(s)


def live_runs(s: Served) -> dict[str, dict]:
    runs = [r for r in s.export("tallyfy")["runs"] if not r["archived"] and not r["preexisting"]]
    held = Counter(r["source_ref"] for r in runs)
    assert max(held.values()) == 1, "no row twice"
    return {r["source_ref"]: r for r in runs}


def ok(*args: str) -> str:
    r = cli(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def counts(summary: str) -> tuple[int, int, int]:
    m = re.search(r"created (\d+), updated (\d+), deleted (\d+)", summary)
    assert m, summary
    return int(m[1]), int(m[2]), int(m[3])


@pytest.mark.slow
def test_sync_writes_only_new_and_changed_rows_and_names_the_removed_ones(served: Served) -> None:
    folder = str(served.folder)
    ok("run", folder, "--yes")
    refs = {e["ref"] for e in served.export("table")["manifest"] if e["kind"] == "item"}
    assert set(live_runs(served)) == refs

    edit = served.post("table", "edit", {"change": 7, "add": 4, "remove": 3})
    out = ok("sync", folder)
    assert counts(out) == (4, 7, 0), out
    assert "3 rows were deleted or archived in the source and kept in the target" in " ".join(out.split())
    runs = live_runs(served)
    for rid in edit["changed"]:
        assert runs[f"table:row:staging/{rid}"]["name"].endswith("(changed)")
    assert {f"table:row:staging/{rid}" for rid in edit["added"]} <= set(runs)
    assert counts(ok("sync", folder)) == (0, 0, 0), "nothing changed since: nothing written"

    plan = served.folder / "plan.toml"
    doc = tomlkit.parse(plan.read_text())
    doc["conflicts"]["apply_source_deletions"] = True  # type: ignore[index]
    plan.write_text(tomlkit.dumps(doc))
    assert counts(ok("sync", folder)) == (0, 0, 3)
    gone = {f"table:row:staging/{rid}" for rid in edit["removed"]}
    assert not gone & set(live_runs(served)), "removed rows are no longer live in the target"


def test_a_csv_file_on_this_machine_migrates_row_by_row_and_verifies(served: Served, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "orders.csv")
    plan = served.folder / "plan.toml"
    doc = tomlkit.parse(plan.read_text())
    doc["source"]["base_url"] = csv.as_uri()  # type: ignore[index]
    doc["source"]["options"] = {"key": "Order ID", "name": "Customer"}  # type: ignore[index]
    plan.write_text(tomlkit.dumps(doc))
    ok("run", str(served.folder), "--yes")
    runs = live_runs(served)
    assert {r["name"] for r in runs.values()} == {row[1] for row in ROWS}
    assert set(runs) == {"table:row:orders/A-1", "table:row:orders/A-2", "table:row:orders/A-3"}
    ok("discover", str(served.folder))  # verify reads the source's own counts of the discovered tables
    assert "Against the source's own counts" in ok("verify", str(served.folder))
