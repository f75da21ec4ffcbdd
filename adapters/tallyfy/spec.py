"""Tallyfy as a target: what the wizard's core knows of it (wizard/registry.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from adapters.tallyfy import cost, ledger
from wizard.plan import MappingOptions
from wizard.registry import (
    AdapterSpec,
    Connection,
    ConnectionField,
    CredentialPart,
    Preset,
    RateProfile,
    RateWindow,
    SandboxOptions,
    SandboxSpec,
)

# The sandbox accepts exactly this; it opens no real account.
SANDBOX_CREDENTIALS = {"token": "sandbox-tallyfy-token-0000000000000000"}
PER_MINUTE = cost.PER_MINUTE
HOUR_S = 3600.0
POSTMAN = "Tallyfy's Postman guide"
API_SUPPORT = "Tallyfy's api-support README, 2025-07"
CAPS_DOC = "Tallyfy's API docs"
# the buckets are the client's (adapters/tallyfy/client.py: COMMENTS, GUEST_INVITES)
CAPS = (RateWindow(120, HOUR_S, "comments", doc=CAPS_DOC), RateWindow(30, HOUR_S, "guest_invites", doc=CAPS_DOC))


def _limits(scale: float) -> dict[str, Any]:
    """The client's and the sandbox's limits under a sandbox's compressed time: the hourly
    caps' hour and the per-minute limit's minute both shortened, their counts as documented
    (a minute of 60 s with the count raised instead could never bind in a short run)."""
    return {"hour_seconds": HOUR_S * scale, "minute_seconds": 60.0 * scale, "per_minute": PER_MINUTE}


class TallyfyMapping(MappingOptions):
    """[mapping] for a migration into Tallyfy."""

    checklists: Literal["field", "subtasks"] = Field(
        default="field", description="Checklists become a kick-off text field, or one-off tasks in the process."
    )


def connect(c: Connection) -> Any:
    # the registry lists specs without importing the clients behind them
    from adapters.tallyfy.client import TallyfyClient  # noqa: PLC0415
    from adapters.tallyfy.target import TallyfyTarget  # noqa: PLC0415

    if c.mapping is None:  # the writes follow the plan's mapping options (field types, checklists): never guessed
        raise ValueError("a Tallyfy target is built with the plan's mapping options (Connection.mapping)")
    client = TallyfyClient(
        c.endpoint.base_url,
        c.credentials["token"],
        getattr(c.endpoint, "organization", ""),
        profile=c.endpoint.profile,
        sink=c.sink,
        timeout=c.limits.request_timeout_s,
        max_retries=c.limits.max_retries,
        **_limits(c.endpoint.rate_window_scale),
        **c.options,
    )
    return TallyfyTarget(client, dry_run=c.dry_run, source_label=c.peer_label, mapping=c.mapping)


def sandbox(o: SandboxOptions) -> Any:
    from adapters.tallyfy.sandbox import TallyfySandbox  # noqa: PLC0415 needs the [sandbox] extra's web server

    return TallyfySandbox(seed=o.seed, faults=o.faults, rate_limits=o.rate_limits, **_limits(o.rate_scale))


SPEC = AdapterSpec(
    system="tallyfy",
    label="Tallyfy",
    kind="target",
    connect=connect,
    default_url="https://go.tallyfy.com/api",
    credentials=(CredentialPart("token", "Token", "Tallyfy: Settings › Integrations › REST API"),),
    fields=(ConnectionField("organization", "Org id", "same page in Tallyfy: the organization id"),),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/api",
        state_modules=("adapters.tallyfy.sandbox_state",),
        plan_fields=lambda sb: {"organization": sb.org_id},
    ),
    # reference A4: Tallyfy's published limits conflict. Its Postman guide: 600 requests per user
    # per rolling minute (the default, "per-user"); its api-support README (2025-07): 100 a minute
    # and 1,000 an hour per organization ("per-organization"). Both: 120 comments and 30 guest
    # invites an hour per organization.
    rate=RateProfile(
        (RateWindow(PER_MINUTE, 60.0, doc=POSTMAN), *CAPS),
        summary=f"{PER_MINUTE}-per-minute limit",
        doc=POSTMAN,
        default_plan="per-user",
        plans={
            "per-organization": (
                RateWindow(100, 60.0, doc=API_SUPPORT),
                RateWindow(1_000, HOUR_S, doc=API_SUPPORT),
                *CAPS,
            )
        },
    ),
    cost=cost,
    losses=ledger.for_plan,
    rank=0,  # the first target offered, and the default of `new` and the demo
    item_noun=("process", "processes"),
    container_noun=("template", "templates"),
    mapping=TallyfyMapping,
    # One shape: the source's stages become steps and its items processes standing at theirs.
    # (A container as one process is the source's preset, wizard/reshape.py, for any target.)
    presets=(Preset("kanban", "{stage} → step · {item} → process"),),
)
