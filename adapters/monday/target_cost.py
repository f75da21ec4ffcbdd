"""What a migration into monday.com costs, from the discovery inventory: the requests
`MondayTarget` makes (mirrored one for one), and the time monday.com's limits impose on
them: requests a minute, and complexity points a minute, each mutation costing
`MUTATION_COST` (reference M4, M5), both as the account's plan (`[target] rate_plan`)
sets them, and the account's 19,000 items created or updated an hour (every plan). Aliased
requests (a board's groups, its columns, its new items several at a time) count as one
request and as the complexity of every mutation in them."""

from __future__ import annotations

from math import ceil

from adapters.monday import target_mapping as mm
from adapters.monday.plans import DEFAULT_PLAN, HOUR_S, ITEMS_PER_HOUR, PLANS, PlanLimits
from adapters.monday.target_mapping import MUTATION_COST, batch_size, items_per_request
from wizard import comment_digest as digest
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.engine.scope import left_out
from wizard.humanize import human_duration
from wizard.model import Template
from wizard.plan import Plan

READ_COST = 1_000  # about what one of the target's reads costs (a board's page of items, an item)
# What the engine journals a second end to end when no limit binds (benchmarks/RESULTS.md §3,
# engine overhead): with items aliased 25 to a request, the objects, not the requests, are its work.
ENGINE_OBJECTS_PER_S = 426.0


def _template(c: ContainerInventory) -> Template | None:
    try:
        return Template.model_validate(c.template) if c.template else None
    except ValueError:
        return None


def _columns(tpl: Template, overrides: dict[str, str], with_history: bool, *, subitems: bool = False) -> int:
    """The columns a fresh board gets: the adapter's own, and one per field title and type."""
    titles = mm.column_titles(tpl, overrides)
    fields: set[tuple[str, str]] = {(titles[f.key], mm.column_type(f, overrides)) for f in tpl.fields}
    return len(mm.own_columns(tpl, with_history, checklists=not subitems)) + len(fields)


def _tier(plan: Plan) -> str:
    """The monday.com account's plan ([target] rate_plan; empty: Pro)."""
    return plan.target.rate_plan or DEFAULT_PLAN


def _limits(plan: Plan) -> PlanLimits:
    """The account's limits, as its plan sets them."""
    return PLANS[_tier(plan)]


def _counts(inv: Inventory, plan: Plan) -> tuple[dict[str, int], int, int, dict[str, int]]:
    """(requests per kind, of which reads, mutations, items created or updated per kind of
    request) for a run into an account without the boards yet."""
    asked = int(getattr(plan.mapping, "batch", 25))  # MondayMapping's
    batch = batch_size(asked)
    # new items go in requests of consecutive items, at the documented cost until one is answered
    per_request = items_per_request(asked, MUTATION_COST, _limits(plan).budget)
    subitems = getattr(plan.mapping, "checklists", "column") == "subitems"  # MondayMapping's
    calls = {"people": 1, "tags": 0, "boards": 0, "items": 0, "comments": 0, "attachments": 0}
    reads = 1  # the account's users
    mutations = 0
    items = {"items": 0, "attachments": 0}  # what the hourly item budget counts (plans.ITEM_WRITES)
    titles: set[str] = set()
    for c in inv.containers:
        if left_out(plan.mapping.exclude, plan.source.system, c.id, c.key):
            continue
        tpl = _template(c)
        if tpl is None:
            continue  # the source left it out whole: no board
        titles |= {mm.tag_title(t.name or f"{t.color or 'unnamed'} label").lower() for t in tpl.tags}
        strategy = plan.mapping.comment_strategy(c.key, c.id)
        groups = len(tpl.stages)
        columns = _columns(tpl, dict(plan.mapping.field_types), strategy == "field", subitems=subitems)
        # look for it, create it, then its groups and its columns, `batch` to a request
        calls["boards"] += 2 + ceil(groups / batch) + ceil(columns / batch)
        reads += 1
        mutations += 1 + groups + columns
        # the source's sub-items go one by one under their parents, the other items several to a request
        calls["items"] += ceil((c.count("item") - c.subitems) / per_request)
        mutations += c.count("item")
        items["items"] += c.count("item")
        made = c.subitems + (c.checklist_items + c.checklist_items_done if subitems else 0)
        if made:
            # each sub-item and checklist item a subitem, each done checklist item ticked; the board's
            # first subitem gets its values once its subitems board has our columns (and, for the
            # source's sub-items, the board's own): a read of that board, its columns, the values
            made_columns = columns + len(mm.CHILD_OWN) - 1 if c.subitems else len(mm.SUBITEM_OWN)
            calls["items"] += made + 2 + ceil(made_columns / batch)
            reads += 1
            mutations += made - c.subitems + made_columns + 1  # the sub-items are among the items above
            items["items"] += made - c.subitems + 1  # each subitem made or ticked, the first one's values
        if strategy == "field":  # one write of the Comment history column per item, the rest as a digest
            comments = c.history_overflow(mm.LONG_TEXT_LIMIT, mm.COMMENT_LIMIT)
            writes = sum(n for k, n in c.comment_shape().items() if k)
            calls["items"] += writes
            mutations += writes
            items["items"] += writes
        else:
            parts = c.history_parts(mm.COMMENT_LIMIT) if strategy != "each" else 0
            comments = digest.calls(c.comment_shape(), strategy, plan.mapping.recent_comments, parts)
        calls["comments"] += comments
        mutations += comments
        uploads = c.count("upload") - c.oversized_attachments
        calls["attachments"] += uploads + c.items_with_attachments  # each file, then one write per item shows them
        mutations += uploads + c.items_with_attachments
        items["attachments"] += c.items_with_attachments
    # The run lists the account's tags once, then makes each label's tag (by title, case aside)
    # that is not there: counted for an account without them.
    calls["tags"] = len(titles) + (1 if titles else 0)
    reads += 1 if titles else 0
    mutations += len(titles)
    return calls, reads, mutations, items


def target_calls(inv: Inventory, plan: Plan) -> dict[str, int]:
    return _counts(inv, plan)[0]


def target_reads(inv: Inventory, plan: Plan) -> int:
    return _counts(inv, plan)[1]


def complexity(inv: Inventory, plan: Plan) -> int:
    """The complexity points the run spends: every mutation's, and about `READ_COST` a read."""
    _, reads, mutations, _ = _counts(inv, plan)
    return mutations * MUTATION_COST + reads * READ_COST


def weights(inv: Inventory, plan: Plan) -> dict[str, float]:
    """What a request of each kind spends of the hourly item budget (the simulation's weights
    for `items_per_hour`): the items it creates or changes, on average; nothing for the others."""
    calls, _, _, items = _counts(inv, plan)
    out = dict.fromkeys(calls, 0.0)
    for kind, n in items.items():
        out[kind] = n / calls[kind] if calls.get(kind) else 0.0
    return out


def item_writes(inv: Inventory, plan: Plan) -> int:
    """The items the run creates or changes, each counted against the hourly item budget."""
    return sum(_counts(inv, plan)[3].values())


def risks(inv: Inventory, plan: Plan) -> list[str]:
    """A board past monday.com's 10,000 items."""
    out = []
    for c in inv.containers:
        if c.count("item") > 10_000:
            boards = -(-c.count("item") // 10_000)
            out.append(
                f"{c.name[:60]}: {c.count('item'):,} items, over monday.com's 10,000 items a board; "
                f"they continue on {boards - 1} more board(s) named '{c.name[:40]} (2)' and on, each opened "
                f"when the one before refuses an item (ItemsLimitationException)."
            )
    return out


def duration_s(inv: Inventory, plan: Plan, calls: dict[str, int], engine_calls_per_s: float) -> tuple[float, list[str]]:
    """The longest of: the requests under the plan's minute limit, the complexity under its
    minute's budget (the minutes waited out, then the last one's share sent at the engine's
    pace), and what the engine itself does (its requests, or the objects it journals)."""
    limits = _limits(plan)
    minute = 60.0 * plan.target.rate_window_scale
    requests = sum(calls.values())
    points = complexity(inv, plan)
    by_requests = requests / (limits.minute / minute)
    _, _, mutations, written = _counts(inv, plan)
    by_engine = max(requests / engine_calls_per_s, mutations / ENGINE_OBJECTS_PER_S)
    # the budget is a fixed minute from its first call: each full budget but the last is waited out
    waits = max(0, ceil(points / limits.budget) - 1)
    by_budget = waits * minute + by_engine * (points - waits * limits.budget) / max(1, points)
    # the items an hour: each hour's worth but the last waits for the hour it was written in to pass
    items, hourly = sum(written.values()), int(plan.target.rate_limits.get("items_per_hour", ITEMS_PER_HOUR))
    hour = HOUR_S * plan.target.rate_window_scale
    hours = max(0, ceil(items / max(1, hourly)) - 1)
    by_items = hours * hour + by_engine * (items - hours * hourly) / max(1, items)
    total = max(by_requests, by_budget, by_engine, by_items)
    tier = _tier(plan)
    why = [
        (
            f"{requests} requests under monday.com's {limits.minute:,}-a-minute limit ({tier} plan) "
            f"take {human_duration(by_requests)}"
        ),
        (
            f"{points:,} complexity points ({MUTATION_COST:,} a mutation) under the {tier} plan's budget of "
            f"{limits.budget:,} a minute take {human_duration(by_budget)}"
        ),
        (
            f"{items:,} items created or updated under monday.com's {hourly:,} items an hour (per account) "
            f"take {human_duration(by_items)}"
        ),
        f"the engine writes {mutations:,} objects in about {human_duration(by_engine)} when nothing waits",
    ]
    return total, why
