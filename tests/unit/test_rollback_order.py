"""Rollback removes in the order and with the steps the target names (`TargetAdapter.removal`),
never by one target's type names, and reads a folder journalled before the target protocol
(Tallyfy's own type names: run, template, asset, task) the same way."""

from __future__ import annotations

from pathlib import Path

from adapters.monday.target import REMOVAL as MONDAY_REMOVAL
from adapters.tallyfy.target import TallyfyTarget
from wizard.engine.rollback import apply_rollback, plan_rollback, with_item
from wizard.events import NullSink
from wizard.store import Store
from wizard.target import Removal

# A made-up target whose order is not Tallyfy's: tags go first, containers last.
OWN = {
    "tag": Removal(0, "untag"),
    "item": Removal(1, "trash"),
    "comment": Removal(1, "erase"),
    "container": Removal(5, "drop"),
}


class Acme:
    """A target no adapter registers: the engine speaks of it in its own words."""

    system = "acme"

    @staticmethod
    def removal(target_type: str) -> Removal | None:
        return OWN.get(target_type)


ACME = Acme()


def journal(store: Store, names: dict[str, str]) -> None:
    """One container, two items (one with a comment, a file, a link and a sub-item), a tag."""
    t = names.get
    store.done("s:board:1", "template", t("container", "container"), "C1")
    store.done("s:label:1", "tag", "tag", "T1")
    store.done("s:card:1", "item", t("item", "item"), "I1", parent_id="C1")
    store.done("s:card:2", "item", t("item", "item"), "I2", parent_id="C1")
    store.done("s:comment:1", "comment", "comment", "K1", parent_id="I1")
    store.done("s:att:1", "attachment", t("file", "file"), "F1", parent_id="I1")
    store.done("s:att:2", "attachment", "link", "I1", parent_id="I1")
    store.done("s:cl:1#0", "checklist_item", t("subitem", "subitem"), "S1", parent_id="I1")
    store.done("s:card:1#settled", "settle", t("item", "item"), "I1", created=False, extra={"anchor": "A1"})
    store.done("s:card:9", "item", t("item", "item"), "X9", created=False, parent_id="C1")  # found, not ours


def test_the_order_and_the_steps_are_the_targets(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        journal(store, {})
        steps = plan_rollback(store, ACME)  # type: ignore[arg-type]
    finally:
        store.close()
    assert [(s.target_id, s.action) for s in steps] == [
        ("T1", "untag"),
        ("K1", "removed with its item"),  # newest first among the target's rank 1: its item goes, and it with it
        ("I2", "trash"),
        ("I1", "trash"),
        ("C1", "drop"),
    ]  # no file removal (the target names none), no link, no sub-item, nothing found


def test_a_folder_from_before_the_protocol_is_rolled_back_in_tallyfys_order(tmp_path: Path) -> None:
    legacy = {"container": "template", "item": "run", "file": "asset", "subitem": "task"}
    target = TallyfyTarget.__new__(TallyfyTarget)  # removal() and system read no connection
    plans = []
    for names, folder in ((legacy, tmp_path / "old"), ({}, tmp_path / "new")):
        store = Store(folder)
        try:
            journal(store, names)
            plans.append([(s.target_id, s.action) for s in plan_rollback(store, target)])
        finally:
            store.close()
    old, new = plans
    assert old == new
    assert new == [
        ("F1", with_item(target)),
        ("K1", "removed with its process"),  # in Tallyfy's own noun
        ("I2", "archive and delete"),
        ("I1", "archive and delete"),
        ("C1", "archive and delete"),
        ("T1", "delete"),
    ]


class Monday:
    """monday.com's removals, and a remove that records what it is asked to delete."""

    system = "monday"

    def __init__(self) -> None:
        self.removed: list[tuple[str, str]] = []

    @staticmethod
    def removal(target_type: str) -> Removal | None:
        return MONDAY_REMOVAL.get(target_type)

    async def remove(self, target_type: str, target_id: str, anchor: str | None = None) -> str:
        self.removed.append((target_type, target_id))
        return "deleted"


async def test_a_tag_the_target_cannot_delete_is_listed_as_kept_even_when_forced(tmp_path: Path) -> None:
    store = Store(tmp_path)
    target = Monday()
    try:
        store.done("s:board:1", "template", "container", "B1")
        store.done("s:label:1", "tag", "tag", "T1")
        store.done("s:card:1", "item", "item", "I1", parent_id="B1")
        steps = plan_rollback(store, target)  # type: ignore[arg-type]
        assert [(s.target_id, s.action) for s in steps][-1] == ("T1", "keep: monday.com has no call that deletes a tag")
        counts = await apply_rollback(store, target, steps, NullSink(), force=True)  # type: ignore[arg-type]
    finally:
        store.close()
    assert target.removed == [("item", "I1"), ("container", "B1")], "the tag is never sent to be deleted"
    assert (counts["removed"], counts["kept"]) == (2, 1)
