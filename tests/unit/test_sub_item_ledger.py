"""Where a source's sub-item does not stand as it did, the ledger says so: into Tallyfy a
sub-item is a process of its own (Tallyfy has no sub-processes), into monday.com a sub-item's
own sub-item is a subitem of the top item (subitems have none). Each target names only what
it changes."""

from __future__ import annotations

from adapters.monday.target_ledger import MondayLosses
from adapters.tallyfy.ledger import TallyfyLosses
from wizard.model import Item, Template

TPL = Template(key="asana:project:1", name="P")


def item(key: str, parent: str | None) -> Item:
    return Item(key=key, template_key=TPL.key, name=key, parent_key=parent)


def parents(lines: list[dict[str, object]]) -> list[str]:
    return [str(x["why"]) for x in lines if x["what"] == "parent"]


def test_into_tallyfy_every_sub_item_is_named_a_process_of_its_own() -> None:
    rules = TallyfyLosses()
    assert parents(rules.item_losses(item("asana:task:1", None), TPL, 0)) == []
    for depth in (1, 2):
        (why,) = parents(rules.item_losses(item("asana:task:3", "asana:task:2"), TPL, depth))
        assert "asana:task:2" in why and "process of its own" in why


def test_into_monday_only_a_sub_items_own_sub_item_is_named() -> None:
    rules = MondayLosses()
    assert parents(rules.item_losses(item("asana:task:1", None), TPL, 0)) == []
    assert parents(rules.item_losses(item("asana:task:2", "asana:task:1"), TPL, 1)) == []
    (why,) = parents(rules.item_losses(item("asana:task:3", "asana:task:2"), TPL, 2))
    assert "asana:task:2" in why and "top item" in why
