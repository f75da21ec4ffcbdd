"""The contract the checks use, through the real CLI: `sandbox serve --systems
processstreet,tallyfy` writes a working plan; a plan limit (402) stops `run` in one
sentence; `run` brings every run, comment, approval and file of the manifest into Tallyfy
exactly once (by source_ref); a second run adds nothing; a no-change sync writes nothing; a
comment written since, and runs edited since, are synced (the run list's updatedDate says
which); `rollback` leaves none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conformance import views
from tests.conformance.test_pair import balanced
from tests.e2e.conftest import Served, cli, serve, stop


@pytest.mark.slow
def test_process_street_into_tallyfy_once_again_nothing_synced_and_rolled_back(tmp_path: Path) -> None:
    s = serve(
        tmp_path / "p", "--systems", "processstreet,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001"
    )
    try:
        estimate = cli("estimate", str(s.folder))
        assert estimate.returncode == 0 and "assumed" in estimate.stdout, estimate.stdout
        s.post("processstreet", "plan", {"paths": "^/attachments", "limit": "attachments: Pro plan and up"})
        refused = cli("run", str(s.folder), "--yes")
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stdout + refused.stderr
        [said] = [ln for ln in refused.stderr.splitlines() if ln.startswith("error:")]
        assert "402 PaymentRequired" in said and "attachments: Pro plan and up" in refused.stderr.replace("\n", " ")
        s.post("processstreet", "plan", {})
        first = cli("run", str(s.folder), "--yes")  # resumes what the refused run began
        assert first.returncode == 0, first.stdout + first.stderr
        manifest = s.export("processstreet")["manifest"]
        want = {m["ref"] for m in manifest if not m["archived"] and m["kind"] in ("item", "comment", "attachment")}
        got = views.held(s.export("tallyfy"))
        assert {r for r in want if got[r] != 1} == set()
        assert {m["kind"] for m in manifest if m["ref"] in want} == {"item", "comment", "attachment"}
        assert any(r.startswith("processstreet:approval:") for r in want), "approvals arrive as comments"
        assert any(r.startswith("processstreet:file:") for r in want), "File fields' files arrive"
        assert form_values_on_their_steps(s.export("tallyfy")) > 0, "the seeded runs hold form values"
        tasks_balanced(s)
        again = cli("run", str(s.folder), "--yes")
        assert again.returncode == 0 and views.held(s.export("tallyfy")) == got, "a second run adds nothing"
        quiet = cli("sync", str(s.folder))
        assert quiet.returncode == 0 and "created 0, updated 0" in quiet.stdout, quiet.stdout
        run = next(r for r in sorted(want) if r.startswith("processstreet:run:")).rsplit(":", 1)[1]
        s.post("processstreet", "mutate", {"run_id": run, "comment": "A comment written after the run"})
        changed = cli("sync", str(s.folder))
        assert changed.returncode == 0 and "created 1" in changed.stdout, changed.stdout
        edited = s.post("processstreet", "mutate", {"fraction": 0.1, "seed": 2})["changed"]
        synced = cli("sync", str(s.folder))
        assert synced.returncode == 0 and f"updated {len(edited)}" in synced.stdout, (edited, synced.stdout)
        back = cli("rollback", str(s.folder), "--yes")
        assert back.returncode == 0, back.stdout + back.stderr
        assert sum(1 for r, n in views.held(s.export("tallyfy")).items() if r.startswith("processstreet:") and n) == 0
    finally:
        stop(s)


def form_values_on_their_steps(tx: dict) -> int:
    """Process Street's form fields belong to their task: each is a form field of its step,
    none is on the kick-off form, and a run's values are in the tasks of those steps. Returns
    how many values the processes' tasks hold."""
    held = 0
    for t in (t for t in tx["templates"] if (t["source_ref"] or "").startswith("processstreet:")):
        assert not [d for d in t["prerun"] if (d["field_ref"] or "").startswith("processstreet:field:")]
        captures = {c["id"]: st["id"] for st in t["steps"] for c in st["captures"]}
        assert all(c["field_ref"].startswith("processstreet:field:") for st in t["steps"] for c in st["captures"])
        for r in (r for r in tx["runs"] if r["checklist_id"] == t["id"]):
            for task in r["tasks"]:
                assert {captures[cid] for cid in task["taskdata"]} <= {task["step_id"]}, "a value is on its own step"
                held += sum(v not in (None, "", []) for v in task["taskdata"].values())
    return held


def tasks_balanced(s: Served) -> list[dict]:
    """Verify balances each run's tasks and completed tasks, as Process Street states them,
    with the task lines of its process's description. Returns the runs that arrived."""
    verified = cli("verify", str(s.folder))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert cli("report", str(s.folder)).returncode == 0
    per_kind = json.loads((s.folder / "reports" / "report.json").read_text())["per_kind"]
    balanced(per_kind)
    runs = s.export("processstreet")["runs"]
    assert per_kind["task"]["source"] == sum(r["tasks"] for r in runs)
    assert per_kind["task_completed"]["source"] == sum(r["completed"] for r in runs)
    held = [r for r in runs if r["status"] != "Archived" and not r["corrupt"]]
    assert per_kind["task"]["migrated"] == sum(r["tasks"] for r in held) > 0
    assert per_kind["task_completed"]["migrated"] == sum(r["completed"] for r in held) > 0
    return held


@pytest.mark.slow
def test_a_task_line_removed_by_hand_in_tallyfy_fails_verify_naming_the_run(tmp_path: Path) -> None:
    """A completed task's line removed by hand from a process's description: verify exits 1
    and names the run (its tasks and its completed tasks); put back, verify passes again."""
    s = serve(
        tmp_path / "p", "--systems", "processstreet,tallyfy", "--seed", "5", "--scale", "small", "--rate-scale", "0.001"
    )
    try:
        for step in (("discover",), ("run", "--yes")):
            r = cli(step[0], str(s.folder), *step[1:])
            assert r.returncode == 0, r.stdout + r.stderr
        held = tasks_balanced(s)
        tallyfy = {r["source_ref"]: r for r in s.export("tallyfy")["runs"]}
        victim = next(r for r in held if r["completed"])
        run = tallyfy[f"processstreet:run:{victim['id']}"]
        fid, text = next(
            (k, v) for k, v in run["prerun"].items() if isinstance(v, str) and "Tasks in Process Street:" in v
        )
        lines = text.splitlines()
        done = next(i for i, ln in enumerate(lines) if ln.startswith("[x] "))
        s.post("tallyfy", "edit", {"run_id": run["id"], "prerun": {fid: "\n".join(lines[:done] + lines[done + 1 :])}})
        failed = cli("verify", str(s.folder))
        assert failed.returncode == 1, failed.stdout + failed.stderr
        said = " ".join(failed.stdout.split())
        assert f"processstreet:run:{victim['id']}" in said, said
        assert "tasks in the source" in said and "completed tasks in the source" in said, said
        s.post("tallyfy", "edit", {"run_id": run["id"], "prerun": {fid: text}})
        assert cli("verify", str(s.folder)).returncode == 0
    finally:
        stop(s)
