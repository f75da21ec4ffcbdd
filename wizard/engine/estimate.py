"""The estimate: calls per side and per object type, duration with rate-limit waits, bytes
to move, and risks, from the inventory alone (nothing is written)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wizard import registry
from wizard.engine.inventory import Inventory
from wizard.engine.scope import left_out
from wizard.engine.simulation import CHILD_KINDS, ITEM_KIND, Pace, Timing, Work, backlog_of, simulate
from wizard.errors import PlanError
from wizard.humanize import finish_text, human_duration, scale_text
from wizard.lazy_model import LazyModel
from wizard.limits import AssumedLimit, assumed, limiter
from wizard.plan import COMMENT_STRATEGIES, Plan, is_loopback
from wizard.registry import CostModel
from wizard.words import Words, words

Learned = dict[str, dict[str, Any]]  # side -> limit name -> what an earlier run learned of it

ASSUMED_BYTES_PER_S = 5 * 1024 * 1024  # a laptop's uplink; shown as an assumption
# What the engine itself sends when no limit binds (benchmarks/RESULTS.md, engine overhead):
# it only matters against sandboxes, whose limits are scaled down.
ENGINE_CALLS_PER_S = 300.0
# From sending a call to its answer over the internet, where the vendor's own time is not
# known before a run: shown as an assumption. Loopback sandboxes answer at the engine's pace.
ASSUMED_ROUND_TRIP_S = 0.25


class StrategyCost(LazyModel):
    """What one comment strategy (or one way of bringing people in) costs the plan as it stands."""

    name: str
    calls: int  # the run's calls, source and target
    duration_s: float
    chosen: bool = False  # the plan's own choice

    def text(self, now: float | None = None) -> str:
        return f"{self.name}: {human_duration(self.duration_s)} (done {finish_text(self.duration_s, now)})"


class Estimate(LazyModel):
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
    limits: list[AssumedLimit] = Field(default_factory=list)  # every limit assumed, with where it came from

    def headline(self, now: float | None = None) -> str:
        """'about 2 days 3 h; done Tue 14:20', and once, when a sandbox compresses time,
        '(sandbox time, ×0.001)': every figure of the estimate is in that one scale."""
        text = f"about {human_duration(self.duration_s)}; done {finish_text(self.duration_s, now)}"
        return text + (f" (sandbox time, {scale_text(self.time_scale)})" if self.time_scale != 1.0 else "")


def estimate(plan: Plan, inv: Inventory, learned: Learned | None = None, *, side_by_side: bool = True) -> Estimate:
    """The target's cost model counts its calls and their time; the source's rate profile
    times the reads; both come from the systems' specs. `side_by_side`: also what each
    comment strategy would cost, every container taking it. `learned`: the limits an earlier
    run of this folder learned, per side."""
    est = _estimate(plan, inv, learned)
    if side_by_side:
        chosen = {plan.mapping.comment_strategy(c.key, c.id) for c in inv.containers}
        for name in COMMENT_STRATEGIES:
            alt = est  # the plan's own choice, when every container takes it, is estimated already
            if chosen != {name}:
                mapping = plan.mapping.model_copy(update={"comments": name, "comments_by_container": {}})
                alt = _estimate(plan.model_copy(update={"mapping": mapping}), inv, learned)
            cost = StrategyCost(name=name, calls=alt.source_total + alt.target_total, duration_s=alt.duration_s)
            cost.chosen = chosen == {name}
            est.comment_strategies.append(cost)
        est.people_strategies = _people_side_by_side(plan, inv, learned)
    return est


PEOPLE_CHOICES = ("invite", "guest", "placeholder", "map")


def _people_side_by_side(plan: Plan, inv: Inventory, learned: Learned | None) -> list[StrategyCost]:
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
        alt = _estimate(plan.model_copy(update={"mapping": mapping}), inv, learned)
        out.append(
            StrategyCost(name=name, calls=alt.source_total + alt.target_total, duration_s=alt.duration_s, chosen=chosen)
        )
    return out


def _estimate(plan: Plan, inv: Inventory, learned: Learned | None = None) -> Estimate:
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
    run = simulate_run(plan, inv, est.target_calls, learned)
    est.duration_s = round(run.duration_s, 1)
    est.duration_why = run.why
    est.limits = run.limits
    rate = source.rate
    est.risks = cost.risks(inv, plan) + _risks(plan, inv, w)
    for quota in rate.quotas_exceeded(est.source_total) if rate else []:
        est.risks.append(
            f"{est.source_total:,} {source.label} calls are more than its limit of {quota.calls:,} calls in "
            f"{human_duration(quota.seconds)}: the run waits for that limit to reset "
            f"{(est.source_total - 1) // quota.calls} time(s)."
        )
    return est


_SIMULATED: dict[tuple[object, ...], Timing] = {}


class Simulated(LazyModel):
    """The run's duration as the simulation found it, its reasons, and the limits it assumed."""

    duration_s: float
    why: list[str]
    limits: list[AssumedLimit]


def limits_in_force(plan: Plan, learned: Learned | None = None) -> list[AssumedLimit]:
    """Every limit the run holds to, source and target, each with where it came from."""
    learned = learned or {}
    out: list[AssumedLimit] = []
    for side, endpoint in (("source", plan.source), ("target", plan.target)):
        spec = registry.get("source" if side == "source" else "target", endpoint.system)
        out += assumed(side, spec, endpoint.rate_plan, dict(endpoint.rate_limits), learned.get(side))  # type: ignore[arg-type]
    return out


def simulate_run(plan: Plan, inv: Inventory, target_calls: dict[str, int], learned: Learned | None = None) -> Simulated:
    """How long a run making `target_calls` takes: the executor's schedule replayed on a
    virtual clock under the limits in force (a comment strategy calls this with its own
    counts). The same function answers the progress screen's ETA for the work left."""
    target = registry.target(plan.target.system)
    cost = _cost_model(target)
    limits = limits_in_force(plan, learned)
    work = _work(plan, inv, cost, target_calls)
    loopback = is_loopback(plan.target.base_url)
    pace = Pace(
        cpu_s=1.0 / ENGINE_CALLS_PER_S,
        round_trip_s=1.0 / ENGINE_CALLS_PER_S if loopback else ASSUMED_ROUND_TRIP_S,
        bytes_per_s=ASSUMED_BYTES_PER_S,
    )
    limiters = {
        "source": limiter([x for x in limits if x.side == "source"], plan.source.rate_window_scale),
        "target": limiter([x for x in limits if x.side == "target"], plan.target.rate_window_scale),
    }
    weights = getattr(cost, "weights", None)
    points = weights(inv, plan) if weights else None
    scales = (plan.source.rate_window_scale, plan.target.rate_window_scale)
    key = (plan.limits.concurrency, loopback, scales, repr(work), repr(limits), repr(points))
    timing = _SIMULATED.get(key)
    if timing is None:  # the side-by-side strategies often make the same calls: simulated once
        timing = simulate(work, limiters, pace, plan.limits.concurrency, points, backlog_of(plan.limits.concurrency))
        if len(_SIMULATED) > 16:
            _SIMULATED.clear()
        _SIMULATED[key] = timing
    duration, why = timing.duration_s, _why(timing, plan, limits, loopback)
    own = getattr(cost, "duration_s", None)
    if own is not None:  # limits of its own the simulation does not hold (a points budget): a floor
        floor, floor_why = own(inv, plan, target_calls, ENGINE_CALLS_PER_S)
        duration, why = max(duration, floor), [*floor_why, *why]
    return Simulated(duration_s=duration, why=why, limits=limits)


CALL_KINDS = {ITEM_KIND: "item", "comments": "comment", "attachments": "attachment"}


def eta_s(plan: Plan, inv: Inventory, done: dict[str, int], learned: Learned | None = None) -> float:
    """The live ETA of a run under way: the same simulation as the estimate's, of the work
    left (`done`: objects written so far per kind, "item", "comment", "attachment"). Each kind's
    calls shrink by the share of its objects done; a container's set-up is done once any item is."""
    cost = _cost_model(registry.target(plan.target.system))
    left: dict[str, int] = {}
    for kind, n in cost.target_calls(inv, plan).items():
        obj = CALL_KINDS.get(kind)
        total = inv.total(obj) if obj else 0
        if obj is None:
            left[kind] = 0 if done.get("item", 0) else n
        else:
            left[kind] = round(n * (1 - min(done.get(obj, 0), total) / total)) if total else 0
    share = 1 - min(done.get("item", 0), inv.total("item")) / max(1, inv.total("item"))
    rest = inv.model_copy(
        update={
            "source_calls": round(inv.source_calls * share),
            "containers": [
                c.model_copy(update={"counts": {**c.counts, "item": round(c.count("item") * share)}})
                for c in inv.containers
            ],
        }
    )
    return simulate_run(plan, rest, left, learned).duration_s


def _work(plan: Plan, inv: Inventory, cost: CostModel, target_calls: dict[str, int]) -> list[Work]:
    """Each migrated container's calls: the cost model's per container, scaled so that every
    kind adds up to `target_calls` (calls made once for the whole run, such as the people or
    the tags, fall where the cost model puts them)."""
    parts = [
        (c, cost.target_calls(inv.model_copy(update={"containers": [c]}), plan))
        for c in inv.containers
        if not left_out(plan.mapping.exclude, plan.source.system, c.id, c.key)
    ]
    if not parts:
        return []
    shares: dict[str, list[int]] = {}
    for kind, total in target_calls.items():
        weights = [calls.get(kind, 0) for _, calls in parts]
        shares[kind] = _allocate(total, weights)
    reads = _allocate(inv.source_calls, [c.count("item") + c.count("comment") + 1 for c, _ in parts])
    source = registry.source(plan.source.system)
    follows = frozenset(kind for kind in CHILD_KINDS if CALL_KINDS[kind] in inv.follow_their_item)
    out = []
    for n, (c, _) in enumerate(parts):
        wk = Work(
            items=c.count("item"),
            source_reads=reads[n],
            source_after=1 if source.change_feed else 0,
            follows=follows,
        )
        wk.bytes = c.attachment_bytes
        for kind, split in shares.items():
            calls = split[n]
            if kind in (ITEM_KIND, *CHILD_KINDS) and wk.items:
                wk.per_kind[kind] = calls
            else:
                wk.setup[kind] = calls
        out.append(wk)
    return out


def _allocate(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, in whole calls (largest remainders first)."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0:
        return [total, *([0] * (len(weights) - 1))]
    exact = [total * w / whole for w in weights]
    out = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: out[i] - exact[i])[: total - sum(out)]:
        out[i] += 1
    return out


def _why(timing: Timing, plan: Plan, limits: list[AssumedLimit], loopback: bool) -> list[str]:
    """The simulation's reasons: when each side's calls are done, what held them up, and the
    limits assumed (one line each, with where it came from)."""
    labels = {"source": registry.label(plan.source.system), "target": registry.label(plan.target.system)}
    why = []
    for side in ("target", "source"):
        kinds = [k for k, _ in timing.calls.most_common() if (k in ("extract", "change cursor")) == (side == "source")]
        if kinds:
            done = ", ".join(f"{timing.calls[k]:,} {k} by {human_duration(timing.finished.get(k, 0.0))}" for k in kinds)
            why.append(f"{labels[side]} calls: {done}")
    held = [limit.split(": ", 1) for limit in sorted(timing.held, key=timing.held.__getitem__, reverse=True)[:2]]
    if held:
        why.append("held back most by " + "; then ".join(f"{labels[side]}'s {words_}" for side, words_ in held))
    pace = "the engine's pace" if loopback else f"an assumed {ASSUMED_ROUND_TRIP_S:g} s a round trip"
    why.append(
        f"simulated call by call as the run goes ({plan.limits.concurrency} items at once, each one's comments and "
        f"files after it) at {pace}, under the limits assumed:"
    )
    why += [f"assumed: {x.text()}" for x in limits]
    return why


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
