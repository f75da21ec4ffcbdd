"""Comment strategies: the digest's text (every comment once, in order, split only at the
target's limit) and what each strategy costs in the estimate, at the issue's 10,000 cards
and 30,000 comments under Tallyfy's documented limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.tallyfy import cost
from wizard import comment_digest as digest
from wizard.engine.estimate import estimate
from wizard.engine.inventory import CommentHistory, ContainerInventory, Inventory
from wizard.model import Comment
from wizard.plan import MappingOptions, Plan, Source, Target
from wizard.provenance import read_marker, read_markers

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def comment(n: int, text: str = "fine", author: str = "Ann") -> Comment:
    return Comment(
        key=f"trello:comment:{n}",
        item_key="trello:card:1",
        author_name=author,
        created_at=T0 + timedelta(minutes=n),
        text=text,
    )


def test_a_digest_holds_every_comment_once_oldest_first_with_author_and_date() -> None:
    cs = [comment(3, "third"), comment(1, "first [mw:trello:comment:9]", "Bob"), comment(2, "second")]
    parts = digest.parts(cs, 30_000)
    assert len(parts) == 1
    text = digest.text(digest.part_key("trello:card:1", 0), parts[0], 0, 1, 3, "Trello")
    # the quoted look-alike is broken, so only our markers count
    assert read_markers(text) == [f"trello:comment:{n}" for n in (1, 2, 3)] + ["trello:card:1#digest0"]
    assert read_marker(text) == "trello:card:1#digest0"
    assert "— Bob, 2025-01-01 00:01 UTC" in text and text.index("first") < text.index("second") < text.index("third")
    assert "(3 comments)" in text


def test_a_digest_splits_only_where_the_limit_forces_it_and_loses_nothing() -> None:
    cs = [comment(n, "x" * 900) for n in range(40)]
    parts = digest.parts(cs, 10_000)
    assert len(parts) == 4  # 40 entries of about 960 characters: ten to a part of 9,800
    texts = [
        digest.text(digest.part_key("trello:card:1", i), p, i, len(parts), 40, "Trello") for i, p in enumerate(parts)
    ]
    assert all(len(t) <= 10_000 for t in texts)
    held = [m for t in texts for m in read_markers(t) if ":comment:" in m]
    assert held == [c.key for c in cs]
    assert "part 2 of 4" in texts[1]


def test_a_comment_longer_than_the_limit_is_cut_into_parts_and_counted_once() -> None:
    parts = digest.parts([comment(1, "y" * 25_000), comment(2)], 10_000)
    texts = ["\n\n".join(p) for p in parts]
    assert len(parts) == 3 and all(len(t) <= 10_000 for t in texts)
    assert [m for t in texts for m in read_markers(t)] == ["trello:comment:1", "trello:comment:2"]
    assert sum(t.count("y") for t in texts) == 25_000


@pytest.mark.parametrize(
    ("strategy", "recent", "want"),
    [("each", 3, 1 * 5 + 4 * 2 + 6 * 1), ("digest", 3, 8), ("recent", 3, 5 + 2 * 4 + 1 * 4), ("field", 3, 0)],
)
def test_the_calls_of_each_strategy(strategy: str, recent: int, want: int) -> None:
    shape = {1: 5, 4: 2, 6: 1}  # five items with one comment, two with four, one with six
    assert digest.calls(shape, strategy, recent) == want


def test_discovery_records_comments_per_item_and_the_long_histories() -> None:
    h = CommentHistory()
    for n in range(3):
        h.add(comment(n))
    h.add(Comment(key="trello:comment:x", item_key="trello:card:2", created_at=T0, text="z" * 12_000))
    per, long = h.shape()
    assert per == {1: 1, 3: 1}
    assert long == [12_000 + 80]


def plan(**mapping: object) -> Plan:
    return Plan(
        source=Source(system="trello", base_url="https://api.trello.com/1", profile="p"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="p", organization="o"),
        mapping=MappingOptions.model_validate(mapping),
    )


def ten_thousand_cards() -> Inventory:
    """The issue's workspace: 10,000 cards, 30,000 comments, 2,000 files."""
    board = ContainerInventory(
        key="trello:board:1",
        id="1",
        name="Board",
        counts={"item": 10_000, "comment": 30_000, "stage": 5, "attachment": 2_000, "upload": 2_000},
        items_by_stage_index=[2_000] * 5,
        items_with_attachments=1_500,
        comments_per_item={1: 2_500, 2: 2_500, 3: 2_500, 6: 2_500},
        template={"key": "trello:board:1", "name": "Board", "tags": []},
    )
    return Inventory(
        source_system="trello", discovered_at="2026-01-01T00:00:00Z", elapsed_s=0, source_calls=900, containers=[board]
    )


def test_the_estimate_sets_the_strategies_side_by_side_and_field_makes_no_comment_call() -> None:
    inv = ten_thousand_cards()
    assert sum(n * k for n, k in inv.containers[0].comments_per_item.items()) == 30_000
    est = estimate(plan(comments="digest"), inv)
    by = {c.name: c for c in est.comment_strategies}
    assert list(by) == ["each", "digest", "field", "recent"]
    assert [c.name for c in est.comment_strategies if c.chosen] == ["digest"]
    assert by["digest"].duration_s == est.duration_s  # the plan's choice is the headline
    # each: 30,000 comments at 120 an hour, about 10.4 days
    assert by["each"].duration_s == pytest.approx(cost.comments_cap_s(30_000), rel=0.01)
    assert 10 * 86_400 < by["each"].duration_s < 10.6 * 86_400
    # digest: one comment per item with comments (10,000 ÷ 120 an hour: the cap's floor, about 3.5 days)
    assert by["digest"].duration_s == pytest.approx(10_000 / 120 * 3600, rel=0.05)
    # field: no comment call at all; one kick-off write per item with comments instead
    assert cost.target_calls(inv, plan(comments="field"))["comments"] == 0
    assert by["field"].duration_s < 2 * 3600
    assert by["field"].calls == by["digest"].calls  # the same number of writes, none of them capped
    assert by["each"].duration_s > by["recent"].duration_s > by["digest"].duration_s > by["field"].duration_s


def test_a_container_may_take_its_own_strategy() -> None:
    inv = ten_thousand_cards()
    mixed = plan(comments="each", comments_by_container={"trello:board:1": "field"})
    assert cost.target_calls(inv, mixed)["comments"] == 0
    assert [c.name for c in estimate(mixed, inv).comment_strategies if c.chosen] == ["field"]


def test_long_histories_cost_the_digest_parts_they_need() -> None:
    inv = ten_thousand_cards()
    inv.containers[0].long_histories = [70_000]  # three parts of Tallyfy's 30,000 characters
    base = cost.target_calls(ten_thousand_cards(), plan(comments="digest"))["comments"]
    assert cost.target_calls(inv, plan(comments="digest"))["comments"] == base + 2


def test_an_inventory_from_before_the_shape_spreads_the_comments_over_the_items() -> None:
    old = ContainerInventory(key="trello:board:1", id="1", name="B", counts={"item": 40, "comment": 100})
    assert old.comment_shape() == {2: 20, 3: 20}
    few = ContainerInventory(key="trello:board:1", id="1", name="B", counts={"item": 40, "comment": 7})
    assert few.comment_shape() == {1: 7}


def with_people(inv: Inventory, n: int) -> Inventory:
    people = [{"key": f"trello:member:{i}", "name": f"P {i}", "email": f"p{i}@client.example"} for i in range(n)]
    people.append({"key": "trello:member:noemail", "name": "No Email"})
    inv.containers[0].template = {**inv.containers[0].template, "people": people}
    return inv


def test_guest_invites_are_set_side_by_side_with_their_hourly_cap() -> None:
    inv = with_people(ten_thousand_cards(), 95)
    est = estimate(plan(comments="field"), inv)
    by = {c.name: c for c in est.people_strategies}
    assert list(by) == ["invite", "guest", "placeholder", "map"]
    assert not any(c.chosen for c in est.people_strategies), "the plan leaves people to be matched"
    # 95 guests at 30 an hour: three more hours of waiting, each guest looked for and added
    assert by["guest"].duration_s == pytest.approx(by["placeholder"].duration_s + 3 * 3600, abs=60)
    assert by["guest"].calls == by["placeholder"].calls + 2 * 95
    assert by["invite"].calls == by["placeholder"].calls + 95  # members: no hourly cap
    assert by["invite"].duration_s < by["placeholder"].duration_s + 60
    assert by["map"].calls == by["placeholder"].calls
    guests = plan(comments="field", people=dict.fromkeys((f"trello:member:{i}" for i in range(95)), "guest"))
    calls = cost.target_calls(inv, guests)
    assert calls["guest_invites"] == 95
    assert [c.name for c in estimate(guests, inv).people_strategies if c.chosen] == ["guest"]
