"""What a migration into Tallyfy costs, from the discovery inventory: calls per object type
(mirroring exactly the calls TallyfyTarget makes) and the time Tallyfy's limits impose."""

from __future__ import annotations

from wizard.engine.inventory import Inventory
from wizard.humanize import human_duration
from wizard.plan import Plan

PER_MINUTE = 600  # requests per user per rolling minute (reference A4; the lower 100/min figure is also handled adaptively)
COMMENTS_PER_HOUR = 120  # per organization (reference A4)


def target_calls(inv: Inventory, plan: Plan) -> dict[str, int]:
    """Calls per object type for a run into an empty organization."""
    subtasks = plan.mapping.checklists == "subtasks"
    calls = {"people": 1, "tags": 0, "templates": 0, "items": 0, "comments": 0, "attachments": 0}
    any_tags = False
    any_subtasks = False
    excluded = set(plan.mapping.exclude)
    for c in inv.containers:
        if c.id in excluded or c.key in excluded:
            continue
        calls["templates"] += 2 + c.count("stage")  # look for it, create it, one call per step
        calls["tags"] += c.count("tag")
        any_tags = any_tags or c.count("tag") > 0
        completes = sum(i * n for i, n in enumerate(c.items_by_stage_index))
        calls["items"] += 2 * c.count("item") + completes  # launch, read its tasks, complete earlier steps
        if subtasks:
            calls["items"] += c.checklist_items + c.checklist_items_done
            any_subtasks = any_subtasks or c.checklist_items > 0
        calls["comments"] += c.count("comment")
        uploads = c.count("upload") - c.oversized_attachments
        calls["attachments"] += uploads + c.items_with_attachments
    calls["tags"] += 1 if any_tags else 0
    calls["people"] += 1 if any_subtasks else 0  # who am I: the owner of checklist tasks nobody holds
    return calls


def duration_s(inv: Inventory, plan: Plan, calls: dict[str, int], engine_calls_per_s: float) -> tuple[float, list[str]]:
    """Seconds the target side takes, phase by phase as the run goes (items, then comments,
    then files): each phase takes the longer of what Tallyfy's limits allow and what the
    engine itself can send. The hourly comment cap lets 120 through at once, then 120 more
    each hour."""
    scale = plan.target.rate_window_scale
    per_s = PER_MINUTE / (60.0 * scale)

    def phase(n: int) -> float:
        return max(n / per_s, n / engine_calls_per_s)

    comments = calls["comments"]
    cap = max(0, -(-comments // COMMENTS_PER_HOUR) - 1) * 3600.0 * scale
    items = phase(calls["people"] + calls["tags"] + calls["templates"] + calls["items"])
    comment_s = max(phase(comments), cap)
    files = phase(calls["attachments"])
    why = [f"{calls['items']} item calls at {PER_MINUTE} per minute take {human_duration(items)}"]
    if comments > COMMENTS_PER_HOUR:
        why.append(f"{comments} comments at {COMMENTS_PER_HOUR} per hour per organization take {human_duration(comment_s)}")
    return items + comment_s + files, why


