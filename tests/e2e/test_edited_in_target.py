"""Edited in the target means anything a person did in a process after our last write: a
comment, a task completed, a file, not only an edit of the process itself (issue 21, item 8).
Rollback keeps such a process unless forced; sync treats it as changed on both sides."""

from __future__ import annotations

import time

from tests.e2e.conftest import Served
from tests.e2e.conftest import tallyfy_api as api
from tests.e2e.test_before_after import ok, trello
from wizard.engine.executor import EDIT_TOLERANCE_S
from wizard.plan import load_plan, save_plan


def client_activity(s: Served) -> dict[str, dict]:
    """After the run, the client comments in one process, completes a task in another and
    attaches a file to a third; none of them edits a process itself."""
    runs = [r for r in s.export("tallyfy")["runs"] if r["source_ref"] and not r["archived"]]
    open_task = next((r, t) for r in runs for t in r["tasks"] if t["status"] != "completed" and t["step_id"])
    others = [r for r in runs if r["id"] != open_task[0]["id"]]
    time.sleep(EDIT_TOLERANCE_S + 0.5)  # an edit within the tolerance is taken for our own write
    api(s, "POST", f"tasks/{others[0]['tasks'][0]['id']}/comment", json={"content": "Client: please wait"})
    api(s, "POST", f"runs/{open_task[0]['id']}/completed-tasks", json={"task_id": open_task[1]["id"]})
    api(
        s,
        "POST",
        "file",
        data={
            "subject_type": "Run",
            "subject_id": others[1]["id"],
            "uploaded_from": "ko_field",
            "source": "local",
            "checklist_id": others[1]["checklist_id"],
            "step_id": others[1]["tasks"][0]["step_id"],
        },
        files={"name": ("signed.pdf", b"%PDF-1.4 signed", "application/pdf")},
    )
    return {"commented": others[0], "completed": open_task[0], "file": others[1]}


def test_rollback_keeps_a_process_the_client_worked_in(small: Served) -> None:
    ok("run", str(small.folder), "--yes")
    touched = client_activity(small)
    preview = ok("rollback", str(small.folder), "--limit", "100000")
    kept = {ln.split()[-2] for ln in preview.splitlines() if ln.startswith("keep: edited")}
    assert {r["id"] for r in touched.values()} <= kept, preview
    ok("rollback", str(small.folder), "--yes")
    live = {r["id"] for r in small.export("tallyfy")["runs"] if not r["archived"]}
    assert {r["id"] for r in touched.values()} <= live, "kept without --force"


def test_sync_takes_a_comment_in_the_target_for_a_change_on_both_sides(small: Served) -> None:
    ok("run", str(small.folder), "--yes")
    plan = load_plan(small.folder)
    plan.conflicts.default = "manual"
    save_plan(small.folder, plan)
    touched = client_activity(small)
    card = touched["commented"]["source_ref"].split(":")[2]
    assert trello(small, "PUT", f"cards/{card}", name="Renamed in Trello").status_code == 200
    ok("sync", str(small.folder))
    assert "changed on both sides" in ok("conflicts", str(small.folder))
    run = next(r for r in small.export("tallyfy")["runs"] if r["id"] == touched["commented"]["id"])
    assert run["name"] != "Renamed in Trello", "the client's process waits for a decision"
