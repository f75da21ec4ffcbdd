"""The estimate: calls per side and per object type, duration with rate-limit waits, bytes
to move, and risks, from the inventory alone (nothing is written)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wizard import registry
from wizard.engine.inventory import Inventory
from wizard.errors import PlanError
from wizard.humanize import finish_text, human_duration, scale_text
from wizard.plan import COMMENT_STRATEGIES, Plan
from wizard.registry import CostModel
from wizard.words import Words, words

ASSUMED_BYTES_PER_S = 5 * 1024 * 1024  # a laptop's uplink; shown as an assumption
# What the engine itself sends when no limit binds (benchmarks/RESULTS.md, engine overhead):
# it only matters against sandboxes, whose limits are scaled down.
ENGINE_CALLS_PER_S = 300.0


class StrategyCost(BaseModel):
    """What one comment strategy (or one way of bringing people in) costs the plan as it stands."""

    name: str
    calls: int  # the run's calls, source and target
    duration_s: float
    chosen: bool = False  # the plan's own choice

    def text(self, now: float | None = None) -> str:
        return f"{self.name}: {human_duration(self.duration_s)} (done {finish_text(self.duration_s, now)})"


class Estimate(BaseModel):
    source_calls: dict[str, int] = Field(default_factory=dict)
    target_calls: dict[str, int] = Field(default_factory=dict)
    source_total: int = 0
    target_total: int = 0
    target_writes: int = 0
    bytes_to_move: int = 0
    duration_s: float = 0.0  # wall-clock, under the limits in force (a sandbox's scaled ones included)
    time_scale: float = 1.0  # < 1 against a sandbox that shortens the vendors' rate windows
    duration_why: list[str] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    lossy: list[tuple[str, str]] = Field(default_factory=list)
    conflicts: dict[str, int] = Field(default_factory=dict)  # queued by the pre-flight scan, by decision
    comment_strategies: list[StrategyCost] = Field(
        default_factory=list, description="Each comment strategy for every container, side by side"
    )
    people_strategies: list[StrategyCost] = Field(
        default_factory=list,
        description="Each way of bringing in the people with an email (invite, guest, placeholder, map), side by side",
    )

    def headline(self, now: float | None = None) -> str:
        """'about 2 days 3 h; done Tue 14:20', and once, when a sandbox compresses time,
        '(sandbox time, ×0.001)': every figure of the estimate is in that one scale."""
        text = f"about {human_duration(self.duration_s)}; done {finish_text(self.duration_s, now)}"
        return text + (f" (sandbox time, {scale_text(self.time_scale)})" if self.time_scale != 1.0 else "")


def estimate(plan: Plan, inv: Inventory, *, side_by_side: bool = True) -> Estimate:
    """The target's cost model counts its calls and their time; the source's rate profile
    times the reads; both come from the systems' specs. `side_by_side`: also what each
    comment strategy would cost, every container taking it."""
    est = _estimate(plan, inv)
    if side_by_side:
        chosen = {plan.mapping.comment_strategy(c.key, c.id) for c in inv.containers}
        for name in COMMENT_STRATEGIES:
            alt = est  # the plan's own choice, when every container takes it, is estimated already
            if chosen != {name}:
                mapping = plan.mapping.model_copy(update={"comments": name, "comments_by_container": {}})
                alt = _estimate(plan.model_copy(update={"mapping": mapping}), inv)
            cost = StrategyCost(name=name, calls=alt.source_total + alt.target_total, duration_s=alt.duration_s)
            cost.chosen = chosen == {name}
            est.comment_strategies.append(cost)
        est.people_strategies = _people_side_by_side(plan, inv)
    return est


PEOPLE_CHOICES = ("invite", "guest", "placeholder", "map")


def _people_side_by_side(plan: Plan, inv: Inventory) -> list[StrategyCost]:
    """What inviting every person with an email costs (as members, or as guests: Tallyfy lets
    30 an hour in), against keeping them as placeholders or mapping each to a member."""
    keys = {p["key"] for c in inv.containers for p in (c.template or {}).get("people", []) if p.get("email")}
    if not keys:
        return []
    now = {"map" if v.startswith("user:") else v for k, v in plan.mapping.people.items() if k in keys}
    out: list[StrategyCost] = []
    for name in PEOPLE_CHOICES:
        chosen = now == {name} and all(k in plan.mapping.people for k in keys)
        if name == "map":  # no call for either: a placeholder and a mapped member cost the same
            out.append(out[-1].model_copy(update={"name": name, "chosen": chosen}))
            continue
        people = {**plan.mapping.people, **dict.fromkeys(keys, name)}
        mapping = plan.mapping.model_copy(update={"people": people})
        alt = _estimate(plan.model_copy(update={"mapping": mapping}), inv)
        out.append(
            StrategyCost(name=name, calls=alt.source_total + alt.target_total, duration_s=alt.duration_s, chosen=chosen)
        )
    return out


def _estimate(plan: Plan, inv: Inventory) -> Estimate:
    source = registry.source(plan.source.system)
    target = registry.target(plan.target.system)
    cost = _cost_model(target)
    w = words(plan.source.system, plan.target.system)
    uploads = sum(c.count("upload") - c.oversized_attachments for c in inv.containers)
    est = Estimate(time_scale=plan.target.rate_window_scale)
    est.source_calls = {
        "extract": inv.source_calls,
        "attachment downloads": uploads,
        # one per container that is migrated, where the source has a change feed: one the
        # source leaves out whole (an archived project) yields no template and asks for none
        "change cursor": sum(1 for c in inv.containers if c.template) if source.change_feed else 0,
    }
    est.source_total = sum(est.source_calls.values())
    est.target_calls = cost.target_calls(inv, plan)
    est.target_total = sum(est.target_calls.values())
    est.target_writes = est.target_total - cost.target_reads(inv, plan)
    est.bytes_to_move = inv.attachment_bytes
    tgt_s, why = cost.duration_s(inv, plan, est.target_calls, ENGINE_CALLS_PER_S)
    rate = source.rate
    # A source that states no limit is read as fast as the engine sends.
    scale = plan.source.rate_window_scale
    src_s = rate.seconds_for(est.source_total, scale) if rate else est.source_total / ENGINE_CALLS_PER_S
    bytes_s = est.bytes_to_move / ASSUMED_BYTES_PER_S
    limit = f"under {source.label}'s {rate.summary}" if rate and rate.summary else f"({source.label} states no limit)"
    why.insert(0, f"{est.source_total} source calls {limit} take {human_duration(src_s)}")
    why.append(f"{est.bytes_to_move / 1e6:.1f} MB at an assumed 5 MB/s take {human_duration(bytes_s)}")
    # Source reads and downloads overlap the target's writes; the slowest side bounds the run.
    est.duration_s = round(max(tgt_s, src_s, bytes_s), 1)
    why.append(
        "source reads and file transfers overlap the target's calls, so the slowest side sets the duration"
        if src_s > tgt_s or bytes_s > tgt_s
        else "the target's calls follow one another, so their times add up to the duration"
    )
    est.duration_why = why
    est.risks = cost.risks(inv, plan) + _risks(plan, inv, w)
    for quota in rate.quotas_exceeded(est.source_total) if rate else []:
        est.risks.append(
            f"{est.source_total:,} {source.label} calls are more than its limit of {quota.calls:,} calls in "
            f"{human_duration(quota.seconds)}: the run waits for that limit to reset "
            f"{(est.source_total - 1) // quota.calls} time(s)."
        )
    return est


def _cost_model(target: registry.AdapterSpec) -> CostModel:
    if target.cost is None:
        raise PlanError(f"{target.label} states no cost model, so the wizard cannot estimate a migration into it.")
    return target.cost


def _risks(plan: Plan, inv: Inventory, w: Words) -> list[str]:
    """Risks whatever the target: files over the limit, malformed records, duplicates."""
    risks = []
    over = sum(c.oversized_attachments for c in inv.containers)
    if over:
        risks.append(
            f"{over} attachment(s) are over the {plan.limits.max_attachment_mb} MB limit and will be quarantined."
        )
    rejected = sum(len(c.rejected) for c in inv.containers)
    if rejected:
        risks.append(f"{rejected} source record(s) are malformed and will be quarantined with their reason.")
    dups = sum(len(c.duplicates) for c in inv.containers)
    item, target_item = w.source.item, w.target.item
    if dups:
        what = (
            f"each group becomes one {target_item[0]}"
            if plan.mapping.duplicates == "merge"
            else f"each {item[0]} becomes its own {target_item[0]}"
        )
        risks.append(
            f"{dups} group(s) of identical {item[1]} in the source; mapping.duplicates = "
            f"'{plan.mapping.duplicates}': {what}."
        )
    near = sum(len(c.near_duplicates) for c in inv.containers)
    if near:
        risks.append(
            f"{near} group(s) of {item[1]} share a name but differ in content (near-duplicates); each is migrated."
        )
    return risks
