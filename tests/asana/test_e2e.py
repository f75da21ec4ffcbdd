"""Asana into Tallyfy through the real CLI, what the conformance suite does not hold: every
file byte for byte, a change in Asana synced (and a sync after it writing nothing). The rest
of issue 13's contract (every non-archived task, subtask, comment and file once, a rerun
adding nothing, verify balancing against Asana's own counts, rollback) is the asana-tallyfy
pair of tests/conformance."""

from __future__ import annotations

import importlib.util
import json
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


def test_asana_files_arrive_byte_for_byte_and_a_change_is_synced(asana: Served) -> None:
    """What the conformance suite does not hold for Asana into Tallyfy: every uploaded file's
    bytes, and a sync after a change in Asana. (Every task, subtask, comment and file once, a
    rerun and a no-change sync writing nothing, verify and rollback: tests/conformance.)"""
    exp = asana.export("asana")
    live_tasks = {t["gid"] for t in exp["tasks"]}
    uploads = [a for a in exp["attachments"] if a["host"] == "asana" and a["parent"] in live_tasks]
    archived = {p["gid"] for p in exp["projects"] if p["archived"]}
    uploads = [
        a for a in uploads if next(t for t in exp["tasks"] if t["gid"] == a["parent"])["project"] not in archived
    ]

    first = cli("run", str(asana.folder), "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    _, _, files = landed(asana)
    assert sorted(f["sha256"] for f in files) == sorted(a["sha256"] for a in uploads)  # every file, byte for byte

    changed = asana.post("asana", "mutate", {"fraction": 0.2, "seed": 4})["changed"]
    synced = cli("sync", str(asana.folder))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    updated = int(re.search(r"updated (\d+),", synced.stdout).group(1))  # type: ignore[union-attr]
    tasks = {t["gid"]: t for t in asana.export("asana")["tasks"]}

    def family(gid: str) -> set[str]:  # a sub-item stands where its task stands: a move moves it too
        return {gid}.union(*(family(s) for s in tasks[gid]["subtasks"]))

    assert len(changed) <= updated <= len(set().union(*(family(g) for g in changed))), synced.stdout
    assert "created 0, updated 0, deleted 0" in cli("sync", str(asana.folder)).stdout


def task_values_on_their_steps(s: Served) -> int:
    """Each task's field values are on its own step's form, in the process's task of that
    step (project_as_process): every value checked, and how many there were."""
    tx = s.export("tallyfy")
    on_step: dict[str, dict[str, object]] = {}  # capture's field_ref -> the value its task holds
    for t in tx["templates"]:
        captures = {c["id"]: c["field_ref"] for st in t["steps"] for c in st["captures"]}
        for r in (r for r in tx["runs"] if r["checklist_id"] == t["id"] and not r["archived"]):
            for task in r["tasks"]:
                on_step.update({captures[cid]: v for cid, v in task["taskdata"].items() if cid in captures})
    open_projects = {p["gid"] for p in s.export("asana")["projects"] if not p["archived"]}
    checked = 0
    for task in s.export("asana")["tasks"]:
        if task["project"] not in open_projects:
            continue
        for fgid, value in task["values"].items():
            if value in (None, []) or (isinstance(value, str) and not value.strip()):
                continue  # no value (Asana's blank text is none either)
            ref = f"asana:field:{fgid}/asana:task:{task['gid']}"
            assert on_step.get(ref) not in (None, "", []), (ref, value)
            checked += 1
    return checked


def steps_and_children(s: Served) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """(steps' refs, processes' refs, comments', files' and links' refs) the Tallyfy sandbox holds, live ones only."""
    tx = s.export("tallyfy")
    steps = Counter(
        st["source_ref"] for t in tx["templates"] if not t["archived"] and not t["preexisting"] for st in t["steps"]
    )
    runs = [r for r in tx["runs"] if not r["archived"] and not r["preexisting"]]
    processes = Counter(r["source_ref"] for r in runs)
    children: Counter[str] = Counter()
    for r in runs:
        children.update(c["source_ref"] for c in r["comments"] if not c["deleted"])
        children.update(a["source_ref"] for a in r["assets"] if not (a["deleted"] or a["archived"]))
        children.update(link["source_ref"] for link in r["links"])
    return steps, processes, children


@pytest.mark.slow
def test_project_as_process_makes_each_task_a_step_and_each_project_one_process(asana: Served) -> None:
    """The project-as-process preset through the real CLI: every open task and subtask of the
    manifest is one step, every open project one process holding every comment and file once;
    a second run adds nothing, verify balances (what one process cannot hold is in the ledger),
    a no-change sync writes nothing, and rollback leaves none."""
    plan = asana.folder / "plan.toml"
    plan.write_text(plan.read_text().replace('preset = "board"', 'preset = "project_as_process"', 1))
    manifest = [e for e in asana.export("asana")["manifest"] if not e["archived"]]
    exp = asana.export("asana")
    open_projects = {p["gid"] for p in exp["projects"] if not p["archived"]}
    with_tasks = {t["project"] for t in exp["tasks"] if t["project"] in open_projects}

    first = cli("run", str(asana.folder), "--yes")
    assert first.returncode == 0, first.stdout + first.stderr
    steps, processes, children = steps_and_children(asana)
    tasks = Counter(e["ref"] for e in manifest if e["kind"] in ("item", "subitem"))
    assert {r: steps[r] for r in tasks} == tasks, "every open task and subtask is one step"
    assert processes == Counter(f"asana:process:{gid}" for gid in with_tasks)
    kids = Counter(e["ref"] for e in manifest if e["kind"] in ("comment", "attachment"))
    assert {r: children[r] for r in kids} == kids, "every comment and file once, on its project's process"
    step_types = {
        st["source_ref"]: st["step_type"]
        for t in asana.export("tallyfy")["templates"]
        if not t["preexisting"]
        for st in t["steps"]
    }
    subtypes = {f"asana:task:{t['gid']}": t["resource_subtype"] for t in exp["tasks"]}
    checkpoints = {r for r in tasks if subtypes.get(r) in ("milestone", "approval")}
    assert checkpoints, "the seeded projects hold milestones or approvals"
    assert {r for r in tasks if step_types[r] == "approval"} == checkpoints, "milestones and approvals: approval steps"
    assert task_values_on_their_steps(asana) > 0, "the seeded tasks hold field values"

    again = cli("run", str(asana.folder), "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert steps_and_children(asana) == (steps, processes, children)

    assert cli("discover", str(asana.folder)).returncode == 0
    verified = cli("verify", str(asana.folder))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Against the source's own counts" in verified.stdout
    quiet = cli("sync", str(asana.folder))
    assert quiet.returncode == 0 and "created 0, updated 0, deleted 0" in quiet.stdout, quiet.stdout + quiet.stderr

    plan.write_text(plan.read_text().replace('preset = "project_as_process"', 'preset = "board"', 1))
    refused = cli("run", str(asana.folder), "--yes")
    assert refused.returncode != 0 and "migrated with the source preset 'project_as_process'" in refused.stdout + (
        refused.stderr
    )
    plan.write_text(plan.read_text().replace('preset = "board"', 'preset = "project_as_process"', 1))

    back = cli("rollback", str(asana.folder), "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert steps_and_children(asana) == (Counter(), Counter(), Counter())


@pytest.mark.slow
def test_project_as_process_into_monday_keeps_every_tasks_values_apart(tmp_path: Path) -> None:
    """monday.com holds fields as columns by title: each task's copy of a field is named for
    its task, so every value has a column of its own and the field values balance."""
    s = serve(tmp_path / "a", "--systems", "asana,monday", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        plan = s.folder / "plan.toml"
        plan.write_text(plan.read_text().replace('preset = "board"', 'preset = "project_as_process"', 1))
        first = cli("run", str(s.folder), "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        assert cli("discover", str(s.folder)).returncode == 0
        assert cli("verify", str(s.folder)).returncode == 0
        assert cli("report", str(s.folder)).returncode == 0
        report = json.loads((s.folder / "reports" / "report.json").read_text())
        values = report["per_kind"]["field_value"]
        assert values["source"] > 0 and values["missing"] == 0, values
        assert values["source"] == values["migrated"] + values["dropped"], values
    finally:
        stop(s)
