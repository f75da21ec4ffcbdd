"""The monday.com estimate knows the account's budget and what a mutation costs: new items
are counted at the items one aliased request holds, and the time follows the plan's budget
(Pro's 10,000,000 points a minute, the free plan's 1,000,000), monday.com's minute being fixed
from its first call."""

from __future__ import annotations

from adapters.monday import target_cost
from adapters.monday.target_spec import MondayMapping
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.plan import Plan, Source, Target

ROWS = 2_500


def _plan(rate_plan: str = "", **mapping: object) -> Plan:
    return Plan.model_construct(
        name="t",
        source=Source.model_construct(system="table", base_url="file:///x.csv", profile="p", rate_window_scale=1.0),
        target=Target.model_construct(
            system="monday", base_url="http://127.0.0.1:2", profile="p", rate_window_scale=1.0, rate_plan=rate_plan
        ),
        mapping=MondayMapping(**mapping),
        limits=Plan.model_fields["limits"].default_factory(),  # type: ignore[misc]
    )


def _inventory() -> Inventory:
    c = ContainerInventory(
        key="table:table:rows",
        id="rows",
        name="Rows",
        counts={"item": ROWS},
        template={"key": "table:table:rows", "name": "Rows", "stages": [{"key": "table:stage:s", "name": "S"}]},
    )
    return Inventory(
        source_system="table", discovered_at="2026-01-01T00:00:00Z", elapsed_s=1, source_calls=1, containers=[c]
    )


def test_new_items_are_counted_at_the_items_one_request_holds() -> None:
    calls = target_cost.target_calls(_inventory(), _plan())
    assert calls["items"] == ROWS // 25, "25 create_item mutations aliased to a request"
    assert target_cost.target_calls(_inventory(), _plan(batch=1))["items"] == ROWS
    free = target_cost.target_calls(_inventory(), _plan("free"))
    assert free["items"] == -(-ROWS // 24), "24 a request on the free plan: four fill its minute's budget"


def test_the_duration_follows_the_accounts_budget() -> None:
    inv = _inventory()
    pro = _plan()
    pro_s, why = target_cost.duration_s(inv, pro, target_cost.target_calls(inv, pro), 300.0)
    # 2,500 items and a board's set-up: a little over 25,000,000 points, three of Pro's minutes, two waited out
    assert 120 <= pro_s < 130, pro_s
    assert any("budget of 10,000,000 a minute" in w for w in why), why
    free = _plan("free")
    free_s, why = target_cost.duration_s(inv, free, target_cost.target_calls(inv, free), 300.0)
    assert 25 * 60 <= free_s < 26 * 60, "1,000,000 points a minute: 100 items a minute"
    assert any("free plan's budget of 1,000,000" in w for w in why), why
