"""The rate limits in force for one side of a migration, each named, with where it came from.

Three places, the later winning: the vendor's documented limits for the account's plan (the
spec's `RateProfile`, its `plans` picked by the plan's `rate_plan`), the plan file's
`rate_limits` (by name: `[target.rate_limits] requests_per_minute = 100`), and what the vendor
told us during an earlier run of this folder (a rate-limit header, a 429's words), kept in the
store as `learned_limits`. The estimate simulates the run under them and says which it assumed;
the run's clients are corrected to them (`apply`)."""

from __future__ import annotations

from typing import Any, Literal

from wizard.errors import PlanError
from wizard.lazy_model import LazyModel
from wizard.ratelimit import Learned, RateLimiter
from wizard.registry import AdapterSpec, RateWindow

Origin = Literal["documented", "plan", "learned"]
Side = Literal["source", "target"]


class AssumedLimit(LazyModel):
    """One limit in force: `calls` (or points) per `seconds` of real time."""

    side: Side
    system: str  # the vendor's label
    name: str
    calls: float
    seconds: float
    bucket: str | None = None
    points: bool = False
    quota: bool = False
    origin: Origin = "documented"
    where: str = ""

    def window(self) -> RateWindow:
        return RateWindow(
            int(self.calls), self.seconds, self.bucket, quota=self.quota, points=self.points, name=self.name
        )

    def text(self) -> str:
        """'Tallyfy comments_per_hour: 120 an hour (documented: reference A4)'."""
        unit = "points" if self.points else ""
        per = _per(self.seconds)
        amount = f"{self.calls:,.0f}{' ' + unit if unit else ''} {per}"
        return f"{self.system} {self.name}: {amount} ({self.origin}{': ' + self.where if self.where else ''})"


def _per(seconds: float) -> str:
    named = {1.0: "a second", 60.0: "a minute", 3600.0: "an hour", 86400.0: "a day"}
    return named.get(seconds) or f"per {seconds:g} s"


def assumed(
    side: Side, spec: AdapterSpec, rate_plan: str, overrides: dict[str, float], learned: dict[str, Any] | None = None
) -> list[AssumedLimit]:
    """The limits in force for one side, each with its origin. A plan or a limit's name the
    vendor does not have is one sentence naming the ones it has."""
    profile = spec.rate
    if profile is None:
        if overrides:
            raise PlanError(f"[{side}.rate_limits]: {spec.label} states no rate limits, so there are none to override.")
        return []
    plans = [profile.default_plan or "default", *profile.plans]
    if rate_plan and rate_plan not in profile.plans and rate_plan != profile.default_plan:
        raise PlanError(
            f"[{side}] rate_plan = '{rate_plan}' is not one of {spec.label}'s plans; its plans are: {', '.join(plans)}."
        )
    chosen = rate_plan or profile.default_plan
    plan_word = f"{spec.label}'s {chosen} plan" if chosen else ""
    out: dict[str, AssumedLimit] = {}
    for w in profile.for_plan(rate_plan):
        doc = w.doc or profile.doc or f"{spec.label}'s documented limits"
        where = f"{doc}, {plan_word}" if plan_word else doc
        out[w.key] = AssumedLimit(
            side=side,
            system=spec.label,
            name=w.key,
            calls=w.calls,
            seconds=w.seconds,
            bucket=w.bucket,
            points=w.points,
            quota=w.quota,
            where=where,
        )
    unknown = sorted(set(overrides) - set(out))
    if unknown:
        raise PlanError(
            f"[{side}.rate_limits] names {', '.join(unknown)}, which {spec.label} does not have; "
            f"its limits are: {', '.join(out)}."
        )
    for name, value in overrides.items():
        out[name] = out[name].model_copy(update={"calls": value, "origin": "plan", "where": "plan.toml"})
    for name, seen in (learned or {}).items():
        limit = out.get(name)
        if limit is None or name in overrides:  # the plan's word wins over what a run saw
            continue
        out[name] = limit.model_copy(
            update={"calls": float(seen["calls"]), "origin": "learned", "where": str(seen.get("how", ""))}
        )
    return list(out.values())


def limiter(limits: list[AssumedLimit], scale: float = 1.0) -> RateLimiter:
    """A fresh limiter holding these limits, every window shortened by `scale` (a sandbox's
    compressed time): the estimate's simulation spends it on its own clock."""
    # a quota is a window too: spent at the others' pace, then waited out until its calls expire
    windows = [(int(x.calls), x.seconds * scale) for x in limits if x.bucket is None and not x.points]
    buckets: dict[str, list[tuple[int, float]]] = {}
    for x in limits:
        if x.bucket is not None:
            buckets.setdefault(x.bucket, []).append((int(x.calls), x.seconds * scale))
    budgets = [(x.calls, x.seconds * scale) for x in limits if x.points]
    return RateLimiter(windows, buckets, budgets=budgets)


def apply(target: RateLimiter, limits: list[AssumedLimit], scale: float = 1.0, *, everything: bool = False) -> None:
    """Correct a client's own limiter to the limits the plan names or an earlier run learned
    (`everything`: a plan's `rate_plan` chose other documented ones too): the window of the same
    bucket and period takes the figure, and one is added where the client has none. They are
    not counted as learned again."""
    for x in limits:
        if (x.origin == "documented" and not everything) or x.points:
            continue
        target.learn(x.name, x.calls, x.seconds * scale, f"{x.origin}: {x.where}", x.bucket)
        target.learned.pop(x.name, None)


def remembered(learned: dict[str, Learned], scale: float, when: str) -> dict[str, dict[str, Any]]:
    """What a run learned, as the store keeps it for the next estimate (in real time)."""
    return {
        name: {"calls": x.calls, "seconds": x.seconds / scale, "how": f"{x.how}, {when}"} for name, x in learned.items()
    }
