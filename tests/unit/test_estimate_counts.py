"""The estimate counts what the run does: one tag per shared label name, and its risk lines
on the same time scale as its headline."""

from __future__ import annotations

from adapters.tallyfy import cost
from wizard.engine.estimate import estimate
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.humanize import human_duration
from wizard.plan import Plan, Source, Target

LABELS = [("Urgent", "red"), ("Client", "green"), ("", "yellow"), ("Bug", "orange")]


def plan(scale: float = 1.0) -> Plan:
    return Plan(
        name="p",
        source=Source(system="trello", base_url="https://api.trello.com/1", profile="p", rate_window_scale=scale),
        target=Target(
            system="tallyfy",
            base_url="https://go.tallyfy.com/api",
            profile="p",
            organization="o",
            rate_window_scale=scale,
        ),
    )


def container(n: int, labels: list[tuple[str, str]], comments: int = 0) -> ContainerInventory:
    tags = [
        {"key": f"trello:label:{n}{i}", "name": name or f"{color.capitalize()} label", "color": color}
        for i, (name, color) in enumerate(labels)
    ]
    return ContainerInventory(
        key=f"trello:board:{n}",
        id=str(n),
        name=f"Board {n}",
        counts={"tag": len(tags), "item": 1, "comment": comments, "stage": 1},
        items_by_stage_index=[1],
        template={"key": f"trello:board:{n}", "name": f"Board {n}", "tags": tags},
    )


def inventory(*containers: ContainerInventory) -> Inventory:
    return Inventory(
        source_system="trello",
        discovered_at="2026-01-01T00:00:00Z",
        elapsed_s=0,
        source_calls=5,
        containers=list(containers),
    )


def test_boards_sharing_label_names_cost_one_tag_creation_per_name() -> None:
    inv = inventory(container(1, LABELS), container(2, LABELS), container(3, [("URGENT", "red"), ("Legal", "sky")]))
    # 5 names (Urgent, Client, Yellow label, Bug, Legal; case does not count) + the listing
    assert cost.target_calls(inv, plan())["tags"] == 6


def test_the_comment_risk_uses_the_plans_rate_scale_like_the_headline() -> None:
    inv = inventory(container(1, LABELS, comments=6_000))
    fast = estimate(plan(0.001), inv)
    [risk] = [r for r in fast.risks if "comments alone take" in r]
    assert human_duration(cost.comments_cap_s(6_000, 0.001)) in risk and "hours" not in risk
    real = estimate(plan(1.0), inv)
    [risk] = [r for r in real.risks if "comments alone take" in r]
    assert human_duration(cost.comments_cap_s(6_000)) in risk
