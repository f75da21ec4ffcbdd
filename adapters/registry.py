"""Which adapter serves which system, and how to build it from a plan. The TUI and the CLI
use this; the engine receives what it builds."""

from __future__ import annotations

from typing import Any

from wizard.adapter import SourceAdapter
from wizard.errors import PlanError
from wizard.events import EventSink
from wizard.plan import Plan
from wizard.secrets import load_credentials

SOURCES = {"trello": "Trello"}
TARGETS = {"tallyfy": "Tallyfy"}
ALL_SOURCES = {
    "trello": "Trello",
    "asana": "Asana",
    "clickup": "ClickUp",
    "monday": "monday.com",
    "pipefy": "Pipefy",
    "processstreet": "Process Street",
}


def source_credential_parts(system: str) -> tuple[str, ...]:
    return {"trello": ("key", "token")}.get(system, ("token",))


def make_source(plan: Plan, sink: EventSink | None = None, **kw: Any) -> SourceAdapter:
    src = plan.source
    if src.system not in SOURCES:
        raise PlanError(
            f"Sources other than {', '.join(SOURCES.values())} are not supported yet ('{src.system}' in source.system)."
        )
    creds = load_credentials(src.profile, src.system, source_credential_parts(src.system))
    from adapters.trello.source import TrelloSource

    return TrelloSource.connect(
        src.base_url,
        creds,
        profile=src.profile,
        sink=sink,
        timeout=plan.limits.request_timeout_s,
        max_retries=plan.limits.max_retries,
        window_scale=src.rate_window_scale,
        **kw,
    )


def make_target(plan: Plan, sink: EventSink | None = None, *, dry_run: bool = False, **kw: Any):
    tgt = plan.target
    if tgt.system not in TARGETS:
        raise PlanError(
            f"Targets other than {', '.join(TARGETS.values())} are not supported yet ('{tgt.system}' in target.system)."
        )
    creds = load_credentials(tgt.profile, tgt.system, ("token",))
    from adapters.tallyfy.client import TallyfyClient
    from adapters.tallyfy.target import TallyfyTarget

    scale = tgt.rate_window_scale
    client = TallyfyClient(
        tgt.base_url,
        creds["token"],
        tgt.organization,
        profile=tgt.profile,
        sink=sink,
        timeout=plan.limits.request_timeout_s,
        max_retries=plan.limits.max_retries,
        hour_seconds=3600.0 * scale,
        per_minute=max(1, round(600 / scale)),
        **kw,
    )
    return TallyfyTarget(
        client,
        dry_run=dry_run,
        source_label=ALL_SOURCES.get(plan.source.system, plan.source.system),
        mapping=plan.mapping,
    )
