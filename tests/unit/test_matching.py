"""A target item goes to one source item at most (issue 21, item 3), however the reads interleave."""

from wizard.engine.matching import BY_MARKER, BY_NAME, ItemMatcher
from wizard.target import TargetItem


def test_two_items_with_one_name_one_target_item_the_second_is_told() -> None:
    claims: dict[str, str] = {}
    m = ItemMatcher([TargetItem("r1", "Quarterly  Review")], claims)
    first = m.match("card:a", "quarterly review", by_name=True)
    second = m.match("card:b", "Quarterly review", by_name=True)
    assert first.item and first.how == BY_NAME
    assert second.item is None and second.clash == "card:a"


def test_a_fresh_read_after_the_target_item_took_the_first_ones_marker_still_tells_the_second() -> None:
    claims: dict[str, str] = {}
    named: dict[str, str] = {}
    ItemMatcher([TargetItem("r1", "Review")], claims, named).match("card:a", "Review", by_name=True)
    again = ItemMatcher([TargetItem("r1", "Review", marker="card:a")], claims, named)
    assert again.match("card:b", "Review", by_name=True).clash == "card:a"
    assert again.match("card:a", "Review", by_name=True).how == BY_MARKER


def test_a_target_item_with_another_ones_marker_is_never_matched_by_name() -> None:
    m = ItemMatcher([TargetItem("r1", "Review", marker="card:z")], {})
    found = m.match("card:b", "Review", by_name=True)
    assert found.item is None and found.clash is None
