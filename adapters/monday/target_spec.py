"""monday.com as a target: what the wizard's core knows of it (wizard/registry.py).

The source side has its own spec (`adapters/monday/spec.py`); both share the client, the
credential and the sandbox, so a plan moves from any source into monday.com with the same
`sandbox serve --systems <source>,monday`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from adapters.monday import spec as source_spec
from adapters.monday import target_cost, target_ledger
from adapters.monday.plans import DEFAULT_PLAN, HOUR_S, ITEMS_PER_HOUR, PLANS
from adapters.monday.target_mapping import MINUTE_REQUESTS
from wizard.plan import MappingOptions
from wizard.registry import AdapterSpec, Connection, Preset, RateProfile, RateWindow


class MondayMapping(MappingOptions):
    """[mapping] for a migration into monday.com."""

    board_kind: Literal["public", "private", "share"] = Field(
        default="public", description="The kind of board each container becomes."
    )
    checklists: Literal["column", "subitems"] = Field(
        default="column",
        description="Where a source's checklist items land: lines of the item's Checklists column (written with "
        "the item), or one subitem each, ticked Done when done (one call each).",
    )
    batch: int = Field(
        default=25,
        ge=1,
        le=499,
        description="Mutations aliased into one request: a board's groups, its columns, and its new items "
        "(consecutive items, in the source's order): fewer requests, each costing the complexity of its mutations.",
    )


RATE_DOC = "developer.monday.com/api-reference/docs/rate-limits (reference M4)"
ITEMS_DOC = "developer.monday.com/api-reference/docs/importing-items-in-bulk (reference M5)"
# the account's items created or updated an hour, on every plan: a budget each request spends
# the items it writes of (target_cost.weights), not a count of requests
ITEMS_HOURLY = RateWindow(ITEMS_PER_HOUR, HOUR_S, points=True, name="items_per_hour", doc=ITEMS_DOC)


def connect(c: Connection) -> Any:
    # lazy: the registry lists specs without importing the clients behind them
    from adapters.monday.client import MondayClient  # noqa: PLC0415
    from adapters.monday.target import MondayTarget  # noqa: PLC0415

    # the account's plan ([target] rate_plan): its minute and daily calls and its complexity budget
    plan = c.endpoint.rate_plan or DEFAULT_PLAN
    # the items an hour: the plan's [target.rate_limits] items_per_hour, else the documented 19,000
    hourly = int(c.endpoint.rate_limits.get(ITEMS_HOURLY.key, ITEMS_HOURLY.calls))
    client = MondayClient(
        c.endpoint.base_url, c.credentials["token"], plan=plan, items_per_hour=hourly, **c.client_args()
    )
    return MondayTarget(client, dry_run=c.dry_run, source_label=c.peer_label, mapping=c.mapping)


SPEC = AdapterSpec(
    system="monday",
    label="monday.com",
    kind="target",
    connect=connect,
    default_url=source_spec.SPEC.default_url,
    credentials=source_spec.SPEC.credentials,
    sandbox=source_spec.SPEC.sandbox,
    # reference M4: 2,500 requests a minute on Pro; 10M complexity points a minute, each mutation ~10,000;
    # reference M5: 19,000 items created or updated an hour per account
    rate=RateProfile(
        (RateWindow(MINUTE_REQUESTS, 60.0, doc=RATE_DOC), ITEMS_HOURLY),
        summary="2,500-a-minute limit, 10M complexity points a minute (10,000 a mutation) and 19,000 items "
        "created or updated an hour per account",
        # each account plan's minute limit; its complexity budget is the cost model's (target_cost)
        plans={
            name: (RateWindow(p.minute, 60.0, doc=RATE_DOC), ITEMS_HOURLY)
            for name, p in PLANS.items()
            if name != DEFAULT_PLAN
        },
        default_plan=DEFAULT_PLAN,
    ),
    cost=target_cost,
    losses=target_ledger.for_plan,
    item_noun=("item", "items"),
    container_noun=("board", "boards"),
    mapping=MondayMapping,
    presets=(Preset("kanban", "{stage} → group · field → column · {item} → item · comment → update"),),
)
