"""A run's task states as lines of its description: counted as a target holds them, the lines a
cut loses, and verify's balance of a run's tasks and completed tasks (rows only where the
source states them; a lost line is a shortfall naming the run, a cut one is dropped)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from adapters.monday import target_mapping as mm
from adapters.monday.target_ledger import MondayLosses
from adapters.tallyfy import mapping as tm
from adapters.tallyfy.ledger import item_changes
from wizard import task_lines
from wizard.adapter import StatedItem
from wizard.engine.verify import VerifyResult, _balance
from wizard.model import Item, Template

DESCRIPTION = "\n".join(
    [
        "This run was launched on an earlier revision.",
        "",
        *task_lines.section(
            "Process Street",
            [
                task_lines.line(True, "Kick off — completed by ana on 2026-01-02 10:00 UTC"),
                task_lines.line(False, "Review\nthe contract"),  # a line break in a name stays on its line
                task_lines.line(True, "[ ] Sign (approval) — completed"),
                task_lines.line(False, ""),
            ],
        ),
    ]
)


def test_the_task_lines_are_counted_under_their_header_only() -> None:
    assert task_lines.count(DESCRIPTION) == Counter(task=4, task_completed=2)
    assert task_lines.count("- [x] a checklist item\n[x] not under a header\n[ ] nor this") == Counter()
    assert task_lines.count(DESCRIPTION + "\n\nAssigned in the source to: Ana\n[x] past the section") == Counter(
        task=4, task_completed=2
    )
    lines = DESCRIPTION.splitlines()
    assert task_lines.count("\n".join(lines[:3] + lines[4:])) == Counter(task=3, task_completed=1)
    assert task_lines.section("Process Street", []) == []


def test_a_cut_loses_the_lines_past_it_and_the_one_it_cuts_short() -> None:
    assert task_lines.lost_to_cut(DESCRIPTION, DESCRIPTION) == Counter()
    at = DESCRIPTION.index("Review")  # cut inside the second task's line
    assert task_lines.lost_to_cut(DESCRIPTION, DESCRIPTION[:at] + "…") == Counter(task=3, task_completed=1)


def _run(description: str) -> Item:
    return Item(
        key="processstreet:run:r1", template_key="processstreet:workflow:w", name="Run", description=description
    )


def test_each_target_ledgers_the_task_lines_its_limit_cuts_as_dropped() -> None:
    tpl = Template(key="processstreet:workflow:w", name="W")
    long = "\n".join(task_lines.section("Process Street", [task_lines.line(i % 2 == 0, "t" * 60) for i in range(600)]))
    for changes, limit in (
        (item_changes(_run(long), tpl, {}, False), tm.TEXTAREA_LIMIT),
        (MondayLosses().item_losses(_run(long), tpl), mm.LONG_TEXT_LIMIT),
    ):
        dropped = {c["kind"]: c["dropped"] for c in changes if c["what"] == "task lines"}
        kept = task_lines.count(long[: limit - 1])
        assert dropped["task"] == 600 - (kept["task"] - 1) > 0
        assert dropped["task_completed"] <= dropped["task"] and dropped["task_completed"] > 0
        assert all(task_lines.CUT_LOSS in c["why"] for c in changes if c["what"] == "task lines")
    short = _run(DESCRIPTION)
    assert not [c for c in item_changes(short, tpl, {}, False) if c["what"] == "task lines"]


class _Store:
    """What `_balance` reads of a folder's store: no quarantine, conflicts nor merges."""

    def __init__(self, ledger: list[dict[str, Any]]) -> None:
        self.quarantine: dict[str, Any] = {}
        self.conflicts: dict[str, Any] = {}
        self.inventory = {"containers": [{"ledger": ledger}]}

    def target_of(self, key: str) -> None:
        return None


def _balanced(stated: StatedItem, found: Counter[str], ledger: list[dict[str, Any]] | None = None) -> VerifyResult:
    res = VerifyResult()
    _balance(res, _Store(ledger or []), None, {stated.key: stated}, {stated.key: found})  # type: ignore[arg-type]
    return res


def test_verify_balances_a_runs_tasks_and_names_the_run_a_lost_line_is_missing_from() -> None:
    run = StatedItem("processstreet:run:r1", "Onboarding Ana", {"comment": 0, "task": 4, "task_completed": 2})
    whole = _balanced(run, Counter(item=1, task=4, task_completed=2))
    assert not whole.shortfalls and whole.balance["task"].migrated == 4 and whole.balance["task_completed"].source == 2
    lost = _balanced(run, Counter(item=1, task=3, task_completed=2))
    [said] = lost.shortfalls
    assert said.startswith("processstreet:run:r1 'Onboarding Ana'") and "4 tasks in the source, 3 in the target" in said
    undone = _balanced(run, Counter(item=1, task=4, task_completed=1))
    assert "2 completed tasks in the source, 1 in the target" in undone.shortfalls[0]
    cut = [
        {"key": run.key, "kind": "task", "what": "task lines", "why": "cut", "dropped": 1},
        {"key": run.key, "kind": "task_completed", "what": "task lines", "why": "cut", "dropped": 1},
    ]
    dropped = _balanced(run, Counter(item=1, task=3, task_completed=1), cut)
    assert not dropped.shortfalls and dropped.balance["task"].reasons == {"cut": 1}


def test_the_task_rows_are_only_where_the_source_states_them() -> None:
    card = StatedItem("trello:card:c1", "Card", {"checklist_item": 1, "comment": 0, "file": 0, "link": 0})
    res = _balanced(card, Counter(item=1, checklist_item=1, task=3))  # a description that looks like task lines
    assert set(res.balance) == {"item", "checklist_item", "comment", "file", "link", "field_value"}
    assert not res.shortfalls
