"""The plan's data-quality rules on canonical items (any source's): each kind of check, a
critical failure quarantining the item (and what hangs on it) with the rule's name, a warning
letting it through, an expression read safely, a rule the plan gets wrong said in one sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from wizard.adapter import Container, Identity, QualityFailure, SourceAdapter, SourceRejected
from wizard.errors import PlanError
from wizard.model import Comment, FieldDef, FieldType, FieldValue, Item, Stage, Template
from wizard.plan import load_plan
from wizard.quality import ContainerRules, QualityChecked, QualityRule

TPL = Template(
    key="x:table:t",
    name="Orders",
    stages=[Stage(key="x:stage:new", name="New"), Stage(key="x:stage:paid", name="Paid")],
    fields=[
        FieldDef(key="x:col:amount", name="Amount", type=FieldType.number),
        FieldDef(key="x:col:status", name="Pay status", type=FieldType.text),
        FieldDef(key="x:col:email", name="Email", type=FieldType.email),
        FieldDef(key="x:col:ref", name="Order ID", type=FieldType.text),
    ],
)


def item(n: int, stage: str = "new", **values: Any) -> Item:
    keys = {"amount": "x:col:amount", "status": "x:col:status", "email": "x:col:email", "ref": "x:col:ref"}
    return Item(
        key=f"x:row:{n}",
        template_key=TPL.key,
        stage_key=f"x:stage:{stage}",
        name=f"Row {n}",
        values=[FieldValue(field_key=keys[k], value=v) for k, v in values.items()],
    )


def rule(**kw: Any) -> QualityRule:
    return QualityRule.model_validate({"name": "r", **kw})


def failures(r: QualityRule, *items: Item) -> list[str]:
    bound = ContainerRules([r], TPL)
    return [f.detail for i in items for f in bound.check(i)]


def test_required_type_allowed_and_unique() -> None:
    assert failures(rule(field="Amount", required=True), item(1, amount=3.0), item(2)) == ["'Amount' is empty"]
    assert failures(rule(field="Email", type="email"), item(1, email="a@b.co"), item(2, email="nope"), item(3)) == [
        "'Email' is 'nope', not an email"
    ]
    assert failures(rule(field="Amount", type="number"), item(1, amount="12x")) == ["'Amount' is '12x', not a number"]
    allowed = rule(field="pay status", allowed=["open", "paid"])  # a field's name in any case
    assert failures(allowed, item(1, status="paid"), item(2, status="lost")) == [
        "'pay status' is 'lost', not one of open, paid"
    ]
    assert failures(rule(field="Order ID", unique=True), item(1, ref="A"), item(2, ref="B"), item(3, ref="A")) == [
        "'Order ID' is 'A', as x:row:1's is"
    ]


def test_a_cross_field_expression_reads_fields_by_name_and_stage() -> None:
    r = rule(expression='amount > 0 or stage == "New"')
    assert failures(
        r, item(1, amount=5.0, stage="paid"), item(2, amount=0.0, stage="new"), item(3, amount=0.0, stage="paid")
    ) == ['amount > 0 or stage == "New" does not hold']
    email = rule(expression="empty(email) or matches(email, '.*@example[.]com') and len(order_id) == 3")
    assert failures(email, item(1), item(2, email="a@example.com", ref="A-1"), item(3, email="a@x.io", ref="A-2")) == [
        "empty(email) or matches(email, '.*@example[.]com') and len(order_id) == 3 does not hold"
    ]
    # text compared with a number cannot be checked: that row fails, saying why; the others are checked
    assert "could not be checked" in failures(rule(expression="amount > 0"), item(1, amount="abc"))[0]


@pytest.mark.parametrize(
    "expression",
    [
        "().__class__.__bases__[0].__subclasses__()",
        "__import__('os').system('true')",
        "'{0.__class__}'.format(name)",
        "open('/etc/passwd').read()",
        "eval('1')",
    ],
)
def test_an_expression_never_reaches_beyond_the_items_values(expression: str) -> None:
    try:
        got = failures(rule(expression=expression), item(1, amount=1.0))
    except PlanError as e:  # a name that is no field: the plan's mistake, in one sentence
        assert "which is no field" in e.sentence
    else:  # refused while evaluated: the row fails that rule, saying so; nothing ran
        assert len(got) == 1 and "could not be checked" in got[0], got


def test_rules_the_plan_gets_wrong_are_one_sentence() -> None:
    with pytest.raises(ValidationError, match="exactly one check"):
        rule(field="Amount", required=True, unique=True)
    with pytest.raises(ValidationError, match="not valid"):
        rule(expression="amount >")
    with pytest.raises(
        PlanError, match="does not have; its fields are: Amount, Pay status, Email, Order ID, name, stage"
    ):
        ContainerRules([rule(field="Total", required=True)], TPL)
    with pytest.raises(PlanError, match="reads 'total', which is no field"):
        failures(rule(expression="total > 0"), item(1))


class Listed(SourceAdapter):
    """A source yielding what it is given (a unit test's stand-in)."""

    system = "x"
    label = "X"
    credential_parts = ()

    def __init__(self, objs: list[Any]) -> None:
        self.objs = objs

    @classmethod
    def connect(cls, *a: Any, **kw: Any) -> Listed:
        raise NotImplementedError

    async def whoami(self) -> Identity:
        return Identity("", "")

    async def containers(self) -> list[Container]:
        return [Container(TPL.key, "t", "Orders")]

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Any]:  # type: ignore[override]
        for o in self.objs:
            yield o

    async def open_attachment(self, attachment: Any) -> AsyncIterator[bytes]:  # type: ignore[override]
        yield b""

    @property
    def calls(self) -> int:
        return 0


async def test_a_critical_failure_quarantines_the_item_and_its_comments_a_warning_lets_it_through() -> None:
    comment = Comment(key="x:comment:1", item_key="x:row:2", created_at=datetime.now(UTC), text="hi")
    src = QualityChecked(
        Listed([TPL, item(1, amount=5.0), item(2, amount=-1.0), comment, item(3)]),
        [
            rule(name="positive", expression="empty(amount) or amount > 0"),
            rule(name="has amount", field="Amount", required=True, severity="warning"),
        ],
    )
    got = [o async for o in src.extract("t")]
    kinds = [(type(o).__name__, o.key) for o in got]
    assert kinds == [
        ("Template", "x:table:t"),
        ("Item", "x:row:1"),
        ("QualityFailure", "x:row:2"),
        ("SourceRejected", "x:row:2"),
        ("SourceRejected", "x:comment:1"),
        ("QualityFailure", "x:row:3"),
        ("Item", "x:row:3"),
    ]
    rejected = [o for o in got if isinstance(o, SourceRejected)]
    assert rejected[0].reason == "quality rule 'positive' failed: empty(amount) or amount > 0 does not hold"
    assert rejected[1].reason == "its item x:row:2 was quarantined"
    warning = [o for o in got if isinstance(o, QualityFailure)][1]
    assert (warning.rule, warning.severity, warning.detail) == ("has amount", "warning", "'Amount' is empty")


def test_the_plan_declares_rules_under_quality(tmp_path: Path) -> None:
    text = """
[source]
system = "table"
base_url = "file:///tmp/orders.csv"
[target]
system = "tallyfy"
base_url = "https://go.tallyfy.com/api"
organization = "abc"
[[quality]]
name = "amount present"
field = "amount"
required = true
[[quality]]
name = "amount present"
expression = "amount > 0"
severity = "warning"
"""
    (tmp_path / "plan.toml").write_text(text)
    with pytest.raises(PlanError, match="names amount present more than once"):
        load_plan(tmp_path / "plan.toml")
    (tmp_path / "plan.toml").write_text(
        text.replace('name = "amount present"\nexpression', 'name = "positive"\nexpression')
    )
    plan = load_plan(tmp_path / "plan.toml")
    assert [(r.name, r.severity) for r in plan.quality] == [("amount present", "critical"), ("positive", "warning")]
