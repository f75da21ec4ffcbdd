"""What a migration into Tallyfy costs, from the discovery inventory: calls per object type
(mirroring exactly the calls TallyfyTarget makes) and the time Tallyfy's limits impose."""

from __future__ import annotations

from adapters.tallyfy import mapping as tm
from wizard import comment_digest as digest
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.engine.scope import left_out
from wizard.humanize import human_duration
from wizard.plan import Plan

PER_MINUTE = (
    600  # requests per user per rolling minute (reference A4; the lower 100/min figure is also handled adaptively)
)
COMMENTS_PER_HOUR = 120  # per organization (reference A4)
GUESTS_PER_HOUR = 30  # guest invitations, per organization (reference A4)
GUEST_INVITES = "guest_invites"


def target_calls(inv: Inventory, plan: Plan) -> dict[str, int]:
    """Calls per object type for a run into an empty organization."""
    return _calls(inv, plan)[0]


def target_reads(inv: Inventory, plan: Plan) -> int:
    """How many of `target_calls` only read: the rest are the writes a dry run lists."""
    return _calls(inv, plan)[1]


def _calls(inv: Inventory, plan: Plan) -> tuple[dict[str, int], int]:
    subtasks = tm.checklist_mode(plan.mapping) == "subtasks"
    calls = {"people": 1, "tags": 0, "templates": 0, "items": 0, "comments": 0, "attachments": 0}
    reads = 1  # the organization's members
    tag_names: set[str] = set()
    any_subtasks = False
    for c in inv.containers:
        if left_out(plan.mapping.exclude, plan.source.system, c.id, c.key):
            continue
        calls["templates"] += 2 + c.count("stage") + _step_fields(c)  # look for it, create it, each step, its fields
        tag_names |= _tag_names(c)
        completes = sum(i * n for i, n in enumerate(c.items_by_stage_index))
        calls["items"] += 2 * c.count("item") + completes  # launch, read its tasks, complete earlier steps
        calls["items"] += c.stage_value_groups  # a step's form values: one call per task that holds some
        reads += 1 + c.count("item")  # the template look-up; each process's tasks
        if subtasks:
            calls["items"] += c.checklist_items + c.checklist_items_done
            any_subtasks = any_subtasks or c.checklist_items > 0
        comments, history_writes = comment_calls(c, plan)
        calls["comments"] += comments
        calls["items"] += history_writes
        uploads = c.count("upload") - c.oversized_attachments
        calls["attachments"] += uploads + c.items_with_attachments
    # Boards share label names: the run creates one tag per name (Tallyfy's titles are
    # compared without case), after one call that lists the tags already there.
    calls["tags"] = len(tag_names) + (1 if tag_names else 0)
    reads += 1 if tag_names else 0
    calls["people"] += 1 if any_subtasks else 0  # who am I: the owner of checklist tasks nobody holds
    reads += 1 if any_subtasks else 0
    invites, guests = people_calls(inv, plan)
    calls["people"] += invites + guests  # each invitation; each guest looked for first (one read)
    reads += guests
    if guests:
        calls[GUEST_INVITES] = guests  # in the hourly guest cap's bucket, named as the client names it
    return calls, reads


def people_calls(inv: Inventory, plan: Plan) -> tuple[int, int]:
    """(member invitations, guests) the plan's [mapping] people choices make, each person
    once however many containers name them; one without an email is kept as a placeholder."""
    emails: dict[str, str | None] = {}
    for c in inv.containers:
        if not left_out(plan.mapping.exclude, plan.source.system, c.id, c.key):
            emails.update((p["key"], p.get("email")) for p in (c.template or {}).get("people", []) if "key" in p)
    chosen = plan.mapping.people
    invites = sum(1 for k, email in emails.items() if email and chosen.get(k) == "invite")
    guests = sum(1 for k, email in emails.items() if email and chosen.get(k) == "guest")
    return invites, guests


def guests_cap_s(guests: int, scale: float = 1.0) -> float:
    """The hourly guest cap lets 30 through at once, then 30 more each (scaled) hour."""
    return max(0, -(-guests // GUESTS_PER_HOUR) - 1) * 3600.0 * scale


def comment_calls(c: ContainerInventory, plan: Plan) -> tuple[int, int]:
    """(comment calls, history field writes) of one container under its comment strategy:
    the field strategy writes each item's history in one call to its kick-off form, and
    posts what the field cannot hold as a digest."""
    mapping = plan.mapping
    strategy = mapping.comment_strategy(c.key, c.id)
    shape = c.comment_shape()
    if strategy == "field":
        return c.history_overflow(tm.TEXTAREA_LIMIT, tm.COMMENT_LIMIT), sum(n for k, n in shape.items() if k)
    parts = c.history_parts(tm.COMMENT_LIMIT) if strategy != "each" else 0
    return digest.calls(shape, strategy, mapping.recent_comments, parts), 0


def comments_cap_s(comments: int, scale: float = 1.0) -> float:
    """The hourly comment cap lets 120 through at once, then 120 more each (scaled) hour."""
    return max(0, -(-comments // COMMENTS_PER_HOUR) - 1) * 3600.0 * scale


def risks(inv: Inventory, plan: Plan) -> list[str]:
    """Tallyfy's hourly comment cap, when the comments are more than one hour's worth."""
    comments = target_calls(inv, plan)["comments"]
    if comments <= COMMENTS_PER_HOUR:
        return []
    wait = human_duration(comments_cap_s(comments, plan.target.rate_window_scale))
    risk = (
        f"{comments} comments: Tallyfy accepts {COMMENTS_PER_HOUR} comments per hour per organization, so "
        f"comments alone take {wait}; the run waits and says when it continues."
    )
    return [risk]


def _step_fields(c: ContainerInventory) -> int:
    """The form fields of the container's steps (`mapping.on_steps`): one call each."""
    shape = c.template or {}
    stages = {s.get("key") for s in shape.get("stages") or []}
    return sum(1 for f in shape.get("fields") or [] if f.get("stage_key") in stages)


def _tag_names(c: ContainerInventory) -> set[str]:
    """The tag titles the run looks up for this container's tags (`TallyfyTarget.tag_title`)."""
    tags = (c.template or {}).get("tags")
    if tags is None:  # an inventory without the shape: one per label, as before
        return {f"{c.key}#{i}" for i in range(c.count("tag"))}
    return {tm.tag_body(t.get("name") or f"{t.get('color') or 'unnamed'} label", None)["title"].lower() for t in tags}
