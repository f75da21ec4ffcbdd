"""ClickUp into Tallyfy through the real CLI, as issue 14's contract says: `sandbox serve
--systems clickup,tallyfy` writes a working plan; `run --yes` brings every open task, subtask,
comment, reply and file of the manifest exactly once; a second run adds nothing; verify
balances against ClickUp's own counts; a sync asks date_updated_gt, brings the edits and
reports a deleted task; a file whose download fails is quarantined alone; the list-as-process
preset makes each list one process; `rollback --yes` leaves none."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Served, cli, serve, stop


@pytest.fixture
def clickup(tmp_path: Path) -> Iterator[Served]:
    s = serve(
        tmp_path / "mig", "--systems", "clickup,tallyfy", "--scale", "small", "--seed", "3", "--rate-scale", "0.001"
    )
    yield s
    stop(s)


def landed(s: Served) -> tuple[Counter[str], Counter[str], list[dict[str, Any]]]:
    """(items' refs, comments' refs, files) the Tallyfy sandbox holds, live ones only."""
    tx = s.export("tallyfy")
    runs = [r for r in tx["runs"] if not r["archived"] and not r["preexisting"]]
    items = Counter(r["source_ref"] for r in runs if r["source_ref"])
    comments = Counter(c["source_ref"] for r in runs for c in r["comments"] if c["source_ref"] and not c["deleted"])
    files = [a for a in tx["assets"] if not a["deleted"] and not a["preexisting"]]
    return items, comments, files


def ok(*args: str) -> str:
    r = cli(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.mark.slow
def test_clickup_migrates_once_verifies_syncs_and_rolls_back(clickup: Served) -> None:
    folder = str(clickup.folder)
    manifest = [e for e in clickup.export("clickup")["manifest"] if not e["archived"]]
    exp = clickup.export("clickup")
    open_tasks = {e["ref"].rsplit(":", 1)[1] for e in manifest if e["kind"] in ("item", "subitem")}
    files = [a for a in exp["attachments"] if a["parent_id"] in open_tasks]

    ok("run", folder, "--yes")
    items, comments, got_files = landed(clickup)
    assert set(items) == {e["ref"] for e in manifest if e["kind"] in ("item", "subitem")}
    assert set(comments) == {e["ref"] for e in manifest if e["kind"] == "comment"}  # replies too
    assert max(items.values()) == 1 and max(comments.values()) == 1
    assert sorted(f["sha256"] for f in got_files) == sorted(a["sha256"] for a in files)  # byte for byte

    ok("run", folder, "--yes")
    assert landed(clickup) == (items, comments, got_files)  # a second run adds nothing

    ok("discover", folder)
    verified = ok("verify", folder)
    assert "Against the source's own counts" in verified
    for kind in ("tasks", "checklist items", "comments", "files", "field values"):
        row = next(line for line in verified.splitlines() if line.strip("│ ").startswith(kind))
        source, migrated, dropped, missing = (int(n) for n in re.findall(r"\d+", row)[:4])
        assert source > 0 and source == migrated + dropped and missing == 0, row

    assert "created 0, updated 0, deleted 0" in ok("sync", folder)  # a no-change sync writes nothing
    changed = clickup.post("clickup", "mutate", {"fraction": 0.25, "seed": 4})["changed"]
    gone = clickup.post("clickup", "delete", {"task_id": sorted(changed)[0]})["deleted"]
    synced = ok("sync", folder)
    updated = int(re.search(r"updated (\d+),", synced).group(1))  # type: ignore[union-attr]
    assert 1 <= updated <= len(changed), synced
    assert re.search(rf"{len(gone)} tasks? (was|were) deleted or archived in the source", synced), synced
    assert "created 0, updated 0, deleted 0" in ok("sync", folder)

    ok("rollback", folder, "--yes")
    items, comments, got_files = landed(clickup)
    assert not items and not comments and not got_files


def test_a_file_whose_download_fails_is_quarantined_alone(clickup: Served) -> None:
    bad = clickup.post("clickup", "corrupt", {"mode": "bad_file"})["ref"]
    r = cli("run", str(clickup.folder), "--yes")
    assert r.returncode == 1, r.stdout + r.stderr  # finished, with a quarantined record
    assert "Traceback" not in r.stderr and "quarantined" in r.stdout + r.stderr
    ok("report", str(clickup.folder))
    report = (clickup.folder / "reports" / "report.md").read_text()
    assert "quarantined" in report.lower()
    manifest = [e for e in clickup.export("clickup")["manifest"] if not e["archived"]]
    items, comments, _ = landed(clickup)
    assert set(items) == {e["ref"] for e in manifest if e["kind"] in ("item", "subitem")}
    assert set(comments) == {e["ref"] for e in manifest if e["kind"] == "comment"}
    held = {a["source_ref"] for a in clickup.export("tallyfy")["assets"] if not a["deleted"]}
    assert bad not in held


@pytest.mark.slow
def test_list_as_process_makes_each_list_one_process(clickup: Served) -> None:
    plan = clickup.folder / "plan.toml"
    text = plan.read_text()
    assert 'preset = "board"' in text
    plan.write_text(text.replace('preset = "board"', 'preset = "list_as_process"', 1))
    exp = clickup.export("clickup")
    open_lists = {x["id"] for x in exp["lists"] if not x["archived"] and x["tasks"]}
    ok("run", str(clickup.folder), "--yes")
    tx = clickup.export("tallyfy")
    runs = [r for r in tx["runs"] if not r["archived"] and not r["preexisting"]]
    assert Counter(r["source_ref"] for r in runs) == Counter(f"clickup:process:{lid}" for lid in open_lists)
    ok("run", str(clickup.folder), "--yes")
    again = [r for r in clickup.export("tallyfy")["runs"] if not r["archived"] and not r["preexisting"]]
    assert len(again) == len(runs)
