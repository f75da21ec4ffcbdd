"""What each monday.com account plan allows (reference M4), for the client that keeps to it
and the estimate that assumes it, without the client's imports."""

from __future__ import annotations

from dataclasses import dataclass

MINUTE_REQUESTS = 2_500  # Pro; Enterprise 5,000, others 1,000 (reference M4)
BUDGET = 10_000_000  # per minute, personal token; 1,000,000 on trial and free plans
# Items created or updated per account per hour, on every plan: "Counts toward the 19,000 items
# per account per hour budget" (developer.monday.com/api-reference/docs/importing-items-in-bulk,
# reference M5). Per account, not per board: every board of the run draws on the one hour.
ITEMS_PER_HOUR = 19_000
HOUR_S = 3600.0
# Our mutations that create an item (a subitem is one) or change its column values: what that
# budget counts. `create_item x25` (25 aliased) counts 25.
ITEM_WRITES = frozenset({"create_item", "create_subitem", "change_values"})


def items_written(op: str) -> int:
    """How many items a request of operation `op` creates or updates."""
    head, _, n = op.partition(" x")
    return (int(n) if n.isdigit() else 1) if head in ITEM_WRITES else 0


@dataclass(frozen=True)
class PlanLimits:
    """What an account's plan allows (reference M4): calls a minute, calls a day (the day ends
    at midnight UTC), complexity points a minute."""

    minute: int
    day: int
    budget: int


PLANS = {
    "free": PlanLimits(1_000, 1_000, 1_000_000),
    "trial": PlanLimits(1_000, 1_000, 1_000_000),
    "basic": PlanLimits(1_000, 1_000, 10_000_000),
    "standard": PlanLimits(1_000, 1_000, 10_000_000),
    "pro": PlanLimits(MINUTE_REQUESTS, 10_000, BUDGET),
    "enterprise": PlanLimits(5_000, 25_000, BUDGET),
}
DEFAULT_PLAN = "pro"
