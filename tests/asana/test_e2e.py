"""Asana into Tallyfy through the real CLI, as issue 13's contract says: `sandbox serve
--systems asana,tallyfy` writes a working plan; `run --yes` brings every non-archived task,
subtask, comment and file of the manifest exactly once; a second run adds nothing; verify
balances against Asana's own counts; `rollback --yes` leaves none."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Served, cli, serve, stop


@pytest.fixture
def asana(tmp_path: Path) -> Iterator[Served]:
    if importlib.util.find_spec("wizard.sandboxes") is None:  # the registry's sandbox serve, any source with any target
        pytest.skip("sandbox serve serves Trello and Tallyfy only until the registry reaches it (wizard/sandboxes.py)")
    s = serve(
        tmp_path / "mig", "--systems", "asana,tallyfy", "--scale", "small", "--seed", "3", "--rate-scale", "0.001"
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


@pytest.mark.slow
def test_asana_migrates_once_resumes_to_nothing_verifies_and_rolls_back(asana: Served) -> None:
    manifest = [e for e in asana.export("asana")["manifest"] if not e["archived"]]
    exp = asana.export("asana")
    live_tasks = {t["gid"] for t in exp["tasks"]}
    uploads = [a for a in exp["attachments"] if a["host"] == "asana" and a["parent"] in live_tasks]
    archived = {p["gid"] for p in exp["projects"] if p["archived"]}
    uploads = [
        a for a in uploads if next(t for t in exp["tasks"] if t["gid"] == a["parent"])["project"] not in archived
    ]

    first = cli("run", str(asana.folder), "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    items, comments, files = landed(asana)
    want_items = {e["ref"] for e in manifest if e["kind"] in ("item", "subitem")}
    want_comments = {e["ref"] for e in manifest if e["kind"] == "comment"}
    assert set(items) == want_items and max(items.values()) == 1
    assert set(comments) == want_comments and max(comments.values()) == 1
    assert sorted(f["sha256"] for f in files) == sorted(a["sha256"] for a in uploads)  # every file, byte for byte

    again = cli("run", str(asana.folder), "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert landed(asana) == (items, comments, files)  # a second run adds nothing

    discovered = cli("discover", str(asana.folder))
    assert discovered.returncode == 0, discovered.stderr
    verified = cli("verify", str(asana.folder))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Against the source's own counts" in verified.stdout

    quiet = cli("sync", str(asana.folder))
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "created 0, updated 0, deleted 0" in quiet.stdout  # a no-change sync writes nothing
    changed = asana.post("asana", "mutate", {"fraction": 0.2, "seed": 4})["changed"]
    synced = cli("sync", str(asana.folder))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    updated = int(re.search(r"updated (\d+),", synced.stdout).group(1))  # type: ignore[union-attr]
    tasks = {t["gid"]: t for t in asana.export("asana")["tasks"]}

    def family(gid: str) -> set[str]:  # a sub-item stands where its task stands: a move moves it too
        return {gid}.union(*(family(s) for s in tasks[gid]["subtasks"]))

    assert len(changed) <= updated <= len(set().union(*(family(g) for g in changed))), synced.stdout
    assert "created 0, updated 0, deleted 0" in cli("sync", str(asana.folder)).stdout

    back = cli("rollback", str(asana.folder), "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    items, comments, files = landed(asana)
    assert not items and not comments and not files
