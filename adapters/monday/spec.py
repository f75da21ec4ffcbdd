"""monday.com as a source: what the wizard's core knows of it (wizard/registry.py)."""

from __future__ import annotations

from typing import Any

from adapters.monday.webhooks import SCHEME as MONDAY_WEBHOOKS
from wizard.errors import PlanError
from wizard.registry import (
    AdapterSpec,
    Connection,
    CredentialPart,
    Preset,
    RateProfile,
    RateWindow,
    SandboxOptions,
    SandboxSpec,
)

# The plan's [source.options] for monday.com.
OPTIONS = {
    "api_version": "the API-Version every request pins, YYYY-MM; empty: the version the queries are tested against",
    "stage_column": "with the status_column preset, the id of the status column whose labels are the stages; "
    "empty: each board's first status column",
    "plan": "free, trial, basic, standard, pro or enterprise: the account's plan, whose minute and daily call "
    "limits and complexity budget bind; empty: pro",
}

# The source's presets: where a board's steps come from.
BOARD, STATUS_COLUMN = "board", "status_column"

# The sandbox accepts exactly this; it opens no real account.
SANDBOX_CREDENTIALS = {
    "token": "sandbox-monday-token",
    "secret": "sandbox-monday-signing-secret-00000000000000000000",  # the app's: signs webhook deliveries
}


def connect(c: Connection) -> Any:
    # lazy: the registry lists specs without importing the clients behind them
    from adapters.monday.source import MondaySource  # noqa: PLC0415

    options: dict[str, Any] = c.source_options(OPTIONS, "monday.com")  # the plan's [source.options]
    preset = getattr(c.endpoint, "preset", "") or BOARD
    if options.get("stage_column") and preset != STATUS_COLUMN:
        raise PlanError(
            f"[source.options] stage_column names the status column whose labels are the stages, which only the "
            f'{STATUS_COLUMN} preset reads; set [source] preset = "{STATUS_COLUMN}" or leave stage_column out.'
        )
    stages = "status" if preset == STATUS_COLUMN else "groups"
    return MondaySource.connect(c.endpoint.base_url, dict(c.credentials), **options, stages=stages, **c.client_args())


def sandbox(o: SandboxOptions) -> Any:
    # lazy: the sandbox needs the web server of the [sandbox] extra
    from adapters.monday.sandbox import MondaySandbox  # noqa: PLC0415

    return MondaySandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="monday",
    label="monday.com",
    kind="source",
    connect=connect,
    default_url="https://api.monday.com/v2",
    credentials=(
        CredentialPart(
            "token",
            "Token",  # the Connect screen's label column is narrow: the kind of token is said beside it
            "a personal API token: monday.com, your avatar > Developers > My access tokens > Show",
        ),
    ),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/v2",
        state_modules=("adapters.monday.sandbox_state",),
    ),
    # reference M4: 2,500 requests a minute on Pro (5,000 Enterprise, 1,000 others), 10,000 a day
    # until midnight UTC (25,000 Enterprise, 1,000 others); the complexity budget (10M points a
    # minute, 1M on trial and free plans) is read from every answer
    rate=RateProfile(
        (RateWindow(2_500, 60.0), RateWindow(10_000, 86_400.0, quota=True)),
        summary="2,500-a-minute and 10,000-a-day limits (Pro) and 10M complexity points a minute "
        "(1M on trial and free plans)",
    ),
    change_feed=True,  # each board's activity log (sync), confirmed by content hashes
    webhooks=MONDAY_WEBHOOKS,
    item_noun=("item", "items"),
    container_noun=("board", "boards"),
    presets=(
        Preset(BOARD, "board → template · group → step · item → process at its group's step · subitem → sub-item"),
        Preset(
            STATUS_COLUMN,
            "board → template · the labels of a status column (its first, or [source.options] stage_column) → "
            "steps · item → process at its label's step · subitem → sub-item",
        ),
    ),
)
