"""A process goes to one card at most (issue 21, item 3), however the reads interleave."""

from wizard.engine.matching import BY_MARKER, BY_NAME, RunMatcher


def marker(r: dict) -> str | None:
    return r.get("marker")


def test_two_cards_with_one_name_one_process_the_second_is_told() -> None:
    claims: dict[str, str] = {}
    m = RunMatcher([{"id": "r1", "name": "Quarterly  Review"}], marker, claims)
    first = m.match("card:a", "quarterly review", by_name=True)
    second = m.match("card:b", "Quarterly review", by_name=True)
    assert first.run and first.how == BY_NAME
    assert second.run is None and second.clash == "card:a"


def test_a_fresh_read_after_the_process_took_the_first_cards_marker_still_tells_the_second() -> None:
    claims: dict[str, str] = {}
    named: dict[str, str] = {}
    RunMatcher([{"id": "r1", "name": "Review"}], marker, claims, named).match("card:a", "Review", by_name=True)
    again = RunMatcher([{"id": "r1", "name": "Review", "marker": "card:a"}], marker, claims, named)
    assert again.match("card:b", "Review", by_name=True).clash == "card:a"
    assert again.match("card:a", "Review", by_name=True).how == BY_MARKER


def test_a_process_with_another_cards_marker_is_never_matched_by_name() -> None:
    m = RunMatcher([{"id": "r1", "name": "Review", "marker": "card:z"}], marker, {})
    found = m.match("card:b", "Review", by_name=True)
    assert found.run is None and found.clash is None
