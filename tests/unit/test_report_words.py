"""The report names objects in each side's own words and takes what the mapping loses from the
target's loss rules, found through the registry: it knows no vendor."""

from __future__ import annotations

from typing import Any

from wizard.engine.report import losses_for, to_markdown
from wizard.model import Item, Template
from wizard.plan import Plan, Source, Target
from wizard.registry import AdapterSpec, registered


def _connect(_: Any) -> Any:
    raise AssertionError("the report connects to nothing")


class ToyLosses:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def container_losses(self, tpl: Template) -> list[dict[str, Any]]:
        return []

    def item_losses(self, item: Item, tpl: Template, depth: int = 0) -> list[dict[str, Any]]:
        return []

    def mapping_losses(self, tpl: Template) -> list[tuple[str, str]]:
        return [("due dates", "the toy target has none"), (f"{tpl.name} colours", "grey")]


SOURCE = AdapterSpec(
    system="toysrc", label="Toy", kind="source", connect=_connect, default_url="x", item_noun=("task", "tasks")
)
TARGET = AdapterSpec(
    system="toytgt",
    label="Flat",
    kind="target",
    connect=_connect,
    default_url="x",
    item_noun=("record", "records"),
    losses=ToyLosses,
)


def _report() -> dict[str, Any]:
    return {
        "migration": "m",
        "source": "toysrc",
        "target": "toytgt",
        "state": "finished",
        "generated_at": "now",
        "per_type": {},
        "per_kind": {"item": {"source": 3, "migrated": 2, "dropped": 1, "missing": 0, "reasons": {"archived": 1}}},
        "quarantined": [],
        "dropped_or_changed": [],
        "people": [],
        "open_conflicts": [],
        "met_in_target": {"found": 1},
        "conflicts": [
            {
                "id": "toysrc:task:1",
                "source_name": "A",
                "target_name": "A",
                "decision": "skip",
                "by": "me",
                "how": "rule",
                "resolution": "skipped",
            }
        ],
        "name_clashes": [{"key": "toysrc:task:2", "name": "A", "other": "toysrc:task:1"}],
    }


def test_the_report_says_tasks_and_records_where_the_sides_call_them_so() -> None:
    with registered(SOURCE, TARGET):
        md = to_markdown(_report())
    assert "| tasks | 3 | 2 | 1 | 0 |" in md and "- 1 tasks: archived" in md
    assert "## Records already in the target" in md
    assert "| task | source | target | decision |" in md
    assert "## Tasks with the same name as another" in md
    assert "A record is matched to one task at most; each of these got its own record." in md
    assert "which has the existing record; given its own record" in md
    assert "card" not in md.lower() and "process" not in md.lower()


def test_what_the_mapping_loses_comes_from_the_targets_loss_rules() -> None:
    plan = Plan.model_construct(
        source=Source.model_construct(system="toysrc"), target=Target.model_construct(system="toytgt")
    )
    inv = {"containers": [{"key": "toysrc:project:1", "name": "P1"}, {"key": "toysrc:project:2", "name": "P2"}]}
    with registered(SOURCE, TARGET):
        assert losses_for(plan, inv) == [
            ("due dates", "the toy target has none"),
            ("P1 colours", "grey"),
            ("P2 colours", "grey"),
        ]
    mute = AdapterSpec(system="toytgt", label="Mute", kind="target", connect=_connect, default_url="x")
    with registered(SOURCE, mute):
        assert losses_for(plan, inv) == [], "a target without loss rules names no losses"
