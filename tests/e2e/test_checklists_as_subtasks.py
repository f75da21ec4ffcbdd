"""[mapping] checklists = "subtasks" through the real CLI: the engine asks the target whether
checklist items are its sub-items (the target's own option), and each one lands once."""

from __future__ import annotations

from tests.conformance import views
from tests.e2e.conftest import Served, cli


def test_each_checklist_item_becomes_one_task_of_its_process(small: Served) -> None:
    plan = small.folder / "plan.toml"
    text = plan.read_text("utf-8")
    assert 'checklists = "field"' in text
    plan.write_text(text.replace('checklists = "field"', 'checklists = "subtasks"'), "utf-8")
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    entries = views.manifest(small.export("trello"), "trello")
    want = views.wanted(entries, kinds=("checklist_item",))
    held = views.held(small.export("tallyfy"))
    assert want and {ref: held[ref] for ref in want} == want, "each open checklist item once"
