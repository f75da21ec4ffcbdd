"""Which systems this installation can move between. Each system describes itself once, in an
`AdapterSpec` (its label, credential parts and where to find them, default API root, fields of
the Connect screen, sandbox, rate profile, cost model, the words for its items, mapping presets
and options); the CLI, the TUI, the plan and `sandbox serve` read everything from it.

Specs are found through the package entry points `migration_wizard.sources` and
`migration_wizard.targets` (`name = "package.module:SPEC"` in pyproject.toml), so an adapter
shipped as its own package is found like the built-in ones; `register()` adds one at run time
(a test's toy source). The core never imports an adapter by name: it asks this module.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Literal, Protocol

from wizard.errors import PlanError

if TYPE_CHECKING:
    from wizard.adapter import SourceAdapter
    from wizard.engine.inventory import Inventory
    from wizard.events import EventSink
    from wizard.plan import Endpoint, Limits, MappingOptions, Plan
    from wizard.target import LossRules
    from wizard.webhooks import WebhookScheme

Kind = Literal["source", "target"]
GROUPS: dict[Kind, str] = {"source": "migration_wizard.sources", "target": "migration_wizard.targets"}


@dataclass(frozen=True)
class CredentialPart:
    """One part of a system's credential: `name` is its key in the keyring entry and the last
    word of its environment variable (MW_<PROFILE>_<SYSTEM>_<NAME>)."""

    name: str
    label: str
    where: str  # where a consultant finds the value (the vendor's own settings page)


@dataclass(frozen=True)
class ConnectionField:
    """A setting of the plan's section that the Connect screen asks for, beside the API root
    and the secrets (a target's organization id): `name` is the section's attribute."""

    name: str
    label: str
    where: str


@dataclass(frozen=True)
class RateWindow:
    """At most `calls` requests per `seconds`; `bucket` names a route's own window (comments
    per hour), None the account's general one. A `quota` (a day's calls) is an allowance
    spent at the other windows' pace that, once used up, waits for its reset: no steady rate.
    `points`: a budget of points each call spends its weight of (GraphQL complexity), not calls.
    `name` is how the plan overrides it (`[target.rate_limits] requests_per_minute = 100`;
    empty: made from the bucket and the period) and `doc` where the vendor states it."""

    calls: int
    seconds: float
    bucket: str | None = None
    quota: bool = False
    points: bool = False
    name: str = ""
    doc: str = ""

    @property
    def key(self) -> str:
        """Its name: 'requests_per_minute', 'comments_per_hour', 'points_per_minute'."""
        if self.name:
            return self.name
        what = self.bucket or ("points" if self.points else "requests")
        return f"{what}_per_{_period_word(self.seconds)}"


def _period_word(seconds: float) -> str:
    words = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}
    return words.get(seconds) or f"{seconds:g}_s"


@dataclass(frozen=True)
class RateProfile:
    """The vendor's documented limits (the sandboxes enforce the same ones)."""

    windows: tuple[RateWindow, ...]
    summary: str = ""  # for the estimate's reasons: "100 calls per 10 s per token"
    doc: str = ""  # where the vendor states them, for a window that does not say
    # The vendor's account plans whose limits differ (the plan's `rate_plan` picks one);
    # `windows` are the default plan's, named `default_plan`.
    plans: Mapping[str, tuple[RateWindow, ...]] = field(default_factory=dict)
    default_plan: str = ""

    def for_plan(self, name: str) -> tuple[RateWindow, ...]:
        """The windows of one of the vendor's plans (empty: the default)."""
        if not name or name == self.default_plan:
            return self.windows
        return self.plans[name]

    def scaled(self, scale: float) -> RateProfile:
        """The same limits with every window shortened by `scale` (a sandbox's compressed time)."""
        return replace(self, windows=tuple(replace(w, seconds=w.seconds * scale) for w in self.windows))

    def calls_per_s(self, scale: float = 1.0) -> float:
        """The steady rate the account's general windows allow (the tightest of them)."""
        general = [
            w.calls / (w.seconds * scale) for w in self.windows if w.bucket is None and not w.quota and not w.points
        ]
        return min(general) if general else float("inf")

    def seconds_for(self, calls: int, scale: float = 1.0, most_per_s: float = float("inf")) -> float:
        """How long `calls` take: at the steady rate (at most `most_per_s`), plus a whole quota
        window for each time a quota runs out before they are done."""
        steady = calls / min(self.calls_per_s(scale), most_per_s)
        waits = [((calls - 1) // w.calls) * w.seconds * scale for w in self.windows if w.quota and calls > 0]
        return steady + max(waits, default=0.0)

    def quotas_exceeded(self, calls: int) -> list[RateWindow]:
        """The quotas these calls use up (the run then waits for their reset)."""
        return [w for w in self.windows if w.quota and calls > w.calls]


@dataclass(frozen=True)
class SandboxOptions:
    """How `sandbox serve`, the demo and the tests ask for a sandbox; `faults` is the
    sandbox kit's fault configuration (None: no injected faults)."""

    seed: int = 1
    scale: str = "small"
    faults: Any = None
    rate_limits: str = "documented"
    rate_scale: float = 1.0

    def kit_args(self) -> dict[str, Any]:
        """The sandbox kit's own arguments, as every source sandbox takes them."""
        return {
            "seed": self.seed,
            "scale": self.scale,
            "faults": self.faults,
            "rate_limits": self.rate_limits,
            "window_scale": self.rate_scale,
        }


@dataclass(frozen=True)
class SandboxSpec:
    """A system's sandbox: a loopback server speaking the vendor's API with test data."""

    factory: Callable[[SandboxOptions], Any]  # builds the sandbox (a sandbox kit `Sandbox`)
    credentials: Mapping[str, str]  # the well-known test credential it accepts (profile `sandbox`)
    api_path: str = ""  # appended to the server's address to make the plan's base_url ("/1")
    state_modules: tuple[str, ...] = ()  # modules whose classes a saved sandbox state may hold
    plan_fields: Callable[[Any], dict[str, str]] | None = None  # plan settings it decides (an org id)


@dataclass(frozen=True)
class ApiDescription:
    """The vendor's own description of its API (OpenAPI, JSON or YAML, or a GraphQL SDL) at
    `path` under the shared specs folder beside the project (../shared/specs): the contract
    tests hold every request our client sends, and every answer its sandbox gives, to it. What
    the vendor's API really does that its description does not say is declared here, each
    with why; the tests fail when a declared exemption is no longer needed."""

    path: str  # "trello/swagger.v3.json"
    off_spec_paths: Mapping[str, str] = field(default_factory=dict)  # path regex -> why it is not described
    undeclared_query: Mapping[str, frozenset[str]] = field(default_factory=dict)  # "get /x/{id}" -> params that work
    response_schemas: Mapping[str, str] = field(
        default_factory=dict
    )  # "get /x/{id}" -> schema of an undescribed answer
    schema_gaps: Mapping[str, str] = field(default_factory=dict)  # "Schema.field" -> what the vendor really sends


@dataclass(frozen=True)
class Preset:
    """A mapping preset: how the source's objects land in the target. A target's are chosen by
    the plan's `[mapping] preset`, a source's by `[source] preset` (the first is the default).
    A source preset may `reshape` the source's stream with a core transform
    (`wizard.reshape.container_as_process`); one without leaves it as the source yields it,
    and its adapter reads the choice from `Connection.endpoint.preset`."""

    name: str
    description: str  # a target's may name the source's words: {container}, {stage}, {item}
    reshape: Callable[[SourceAdapter], SourceAdapter] | None = None

    def described(self, container: str, stage: str, item: str) -> str:
        """The description in the source's words ('section → step · task → process')."""
        return self.description.format(container=container, stage=stage, item=item)


@dataclass(frozen=True)
class Connection:
    """What an adapter is built from: the plan's section for its side, the credential, the
    plan's limits, where events go, and the other side's label (a target names the source)."""

    endpoint: Endpoint
    credentials: Mapping[str, str]
    limits: Limits
    sink: EventSink | None = None
    peer_label: str = "the source"
    dry_run: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)  # test hooks passed to the client
    mapping: MappingOptions | None = None  # a target: the plan's mapping options

    def client_args(self) -> dict[str, Any]:
        """What every source's `connect` takes from the plan besides its URL and credential."""
        return {
            "profile": self.endpoint.profile,
            "sink": self.sink,
            "timeout": self.limits.request_timeout_s,
            "max_retries": self.limits.max_retries,
            "window_scale": self.endpoint.rate_window_scale,
            **self.options,
        }

    def source_options(self, known: Mapping[str, str], label: str) -> dict[str, str]:
        """The plan's `[source.options]`, refused in one sentence when it names one the
        adapter does not document (`known`: each option and what it means)."""
        options = dict(getattr(self.endpoint, "options", None) or {})
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise PlanError(
                f"[source.options] names {', '.join(unknown)}, which {label} does not know; "
                f"its options are: {'; '.join(f'{k} ({v})' for k, v in known.items())}."
            )
        return options


class CostModel(Protocol):
    """What a target's writes cost, from the discovery inventory alone (the estimate): its
    calls per kind ("items", "comments", "attachments" are written per item, any other kind
    as a container's set-up; a kind named like one of the rate profile's buckets takes that
    bucket). The estimate simulates the run's schedule from them (wizard/engine/simulation.py);
    a target with a points budget may add `weights(inv, plan) -> {kind: points a call}`."""

    def target_calls(self, inv: Inventory, plan: Plan) -> dict[str, int]: ...

    def target_reads(self, inv: Inventory, plan: Plan) -> int: ...

    def risks(self, inv: Inventory, plan: Plan) -> list[str]:
        """The target's own risks for this inventory (a cap that makes one kind wait)."""
        ...


@dataclass(frozen=True)
class AdapterSpec:
    """Everything the core knows of one system on one side (a system that is both a source and
    a target has one spec per side)."""

    system: str  # the plan's `system`, lower case: "trello"
    label: str  # for people: "Trello"
    kind: Kind
    connect: Callable[[Connection], Any]  # builds the SourceAdapter or the target
    default_url: str
    # the schemes of the plan's base_url it reaches (None: any URL, such as a database's by dialect)
    url_schemes: tuple[str, ...] | None = ("http", "https")
    credentials: tuple[CredentialPart, ...] = (CredentialPart("token", "Token", "the vendor's API settings"),)
    fields: tuple[ConnectionField, ...] = ()
    sandbox: SandboxSpec | None = None
    api: ApiDescription | None = None  # the vendor's published API description, for the contract tests
    rate: RateProfile | None = None
    # sources: `changes_since` reads a change feed (one call per migrated container as a run ends)
    change_feed: bool = False
    cost: CostModel | None = None  # targets
    losses: Callable[[Plan], LossRules] | None = None  # targets: what the mapping changes, for one plan
    item_noun: tuple[str, str] = ("item", "items")  # singular, plural: "card", "cards"
    container_noun: tuple[str, str] = ("container", "containers")  # "board", "boards"
    stage_noun: tuple[str, str] = ("stage", "stages")  # sources: "list", "lists"
    rank: int = 100  # where it is listed on its side, then by name; the first is the default of `new` and the demo
    presets: tuple[Preset, ...] = ()  # the mapping presets of this side, the first one the default
    mapping: type[MappingOptions] | None = None  # targets: the plan's [mapping] options
    webhooks: WebhookScheme | None = None  # sources whose API sends signed webhooks (`listen`)
    # sources whose records were another system's (a backup): that system's label, from the plan's base_url
    records_of: Callable[[str], str | None] | None = None

    @property
    def credential_parts(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.credentials)

    def preset(self, name: str) -> Preset | None:
        """The preset of this name (empty: the first), None when it declares none."""
        return next((p for p in self.presets if p.name == name or not name), None)

    def items(self, n: int) -> str:
        """'1 card', '3 cards'."""
        return f"{n:,} {self.item_noun[0] if n == 1 else self.item_noun[1]}"


# -- the registry ----------------------------------------------------------------------------
class _Side:
    """One side's entry points by name, each loaded the first time its system is asked for:
    opening a plan needs its own source and target, not every plug-in's module (about a third of
    opening a migration, issue 19's cold start). A full listing loads them all."""

    def __init__(self, kind: Kind, points: Iterable[EntryPoint]) -> None:
        self.kind = kind
        self.points: dict[str, list[EntryPoint]] = {}
        for ep in points:
            self.points.setdefault(ep.name, []).append(ep)
        self.specs: dict[str, AdapterSpec | None] = {}

    def get(self, name: str) -> AdapterSpec | None:
        if name not in self.specs:
            self.specs[name] = self._load(name)
        return self.specs[name]

    def _load(self, name: str) -> AdapterSpec | None:
        for ep in self.points.get(name, ()):
            try:
                spec = ep.load()
            except Exception as e:  # noqa: BLE001 - a broken plug-in is named, never a crash of the wizard
                why = f"could not be loaded: {type(e).__name__}: {e}"
                _problem(f"The {self.kind} adapter '{ep.name}' ({ep.value}) {why}")
                continue
            why = _invalid(spec, self.kind, ep.name)
            if not why and isinstance(spec, AdapterSpec):
                return spec
            _problem(f"The {self.kind} adapter '{ep.name}' ({ep.value}) {why}.")
        return None

    def all(self) -> dict[str, AdapterSpec]:
        return {name: spec for name in self.points if (spec := self.get(name)) is not None}


_loaded: dict[Kind, _Side] = {}
_added: dict[Kind, dict[str, AdapterSpec]] = {"source": {}, "target": {}}
problems: list[str] = []  # entry points that could not be loaded, one sentence each


def _side(kind: Kind) -> _Side:
    if kind not in _loaded:
        found = entry_points()  # one scan of the installed distributions for both sides
        for k, group in GROUPS.items():
            _loaded[k] = _Side(k, found.select(group=group))
    return _loaded[kind]


def find(kind: Kind, system: str) -> AdapterSpec | None:
    """The spec of `system` on that side (a run-time registration first), loading that one only."""
    return _added[kind].get(system) or _side(kind).get(system)


def _problem(sentence: str) -> None:
    problems.append(sentence)
    warnings.warn(sentence, RuntimeWarning, stacklevel=3)


def _invalid(spec: object, kind: Kind, name: str | None = None) -> str:
    if not isinstance(spec, AdapterSpec):
        return f"is a {type(spec).__name__}, not an AdapterSpec"
    if spec.kind != kind:
        return f"is a {spec.kind} spec registered as a {kind}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.system):
        return f"has the system name '{spec.system}', which is not lower-case letters, digits and _"
    if name is not None and spec.system != name:
        return f"names itself '{spec.system}'"
    return ""


def specs(kind: Kind) -> dict[str, AdapterSpec]:
    """Every registered spec of one side, by system (run-time registrations win), in the order
    they are listed: by rank, then by name (package metadata keeps no order of its own)."""
    found = {**_side(kind).all(), **_added[kind]}
    return dict(sorted(found.items(), key=lambda item: (item[1].rank, item[0])))


def sources() -> dict[str, AdapterSpec]:
    return specs("source")


def targets() -> dict[str, AdapterSpec]:
    return specs("target")


def get(kind: Kind, system: str) -> AdapterSpec:
    """The spec of `system` on that side, or one sentence naming the ones there are."""
    found = find(kind, system)
    if found is not None:
        return found
    names = ", ".join(sorted(specs(kind))) or "none (install the project again: bash scripts/setup.sh)"
    raise PlanError(f"'{system}' is not a registered {kind}; the {kind}s are: {names}.")


def source(system: str) -> AdapterSpec:
    return get("source", system)


def target(system: str) -> AdapterSpec:
    return get("target", system)


def any_side(system: str) -> AdapterSpec:
    """The spec of `system` as a source, else as a target (both sides share a credential)."""
    for kind in GROUPS:
        found = find(kind, system)
        if found is not None:
            return found
    names = ", ".join(sorted({*sources(), *targets()}))
    raise PlanError(f"'{system}' is not a registered system; the systems are: {names}.")


def label(system: str) -> str:
    """A system's label for people, or its name when no adapter is registered for it."""
    for kind in GROUPS:
        found = find(kind, system)
        if found is not None:
            return found.label
    return system


def register(spec: AdapterSpec) -> None:
    """Add a spec at run time (a test's toy adapter); it wins over an entry point of its name."""
    why = _invalid(spec, spec.kind if isinstance(spec, AdapterSpec) else "source")
    if why:
        raise ValueError(f"cannot register this spec: it {why}")
    _added[spec.kind][spec.system] = spec


def unregister(spec: AdapterSpec) -> None:
    if _added[spec.kind].get(spec.system) is spec:
        del _added[spec.kind][spec.system]


@contextmanager
def registered(*added: AdapterSpec) -> Iterator[None]:
    """`with registered(spec): ...`: the specs are registered inside the block only."""
    for spec in added:
        register(spec)
    try:
        yield
    finally:
        for spec in added:
            unregister(spec)
