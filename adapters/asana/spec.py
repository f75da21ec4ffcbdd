"""Asana as a source: what the wizard's core knows of it (wizard/registry.py)."""

from __future__ import annotations

from typing import Any

from adapters.asana.webhooks import SCHEME as ASANA_WEBHOOKS
from wizard.errors import PlanError
from wizard.registry import (
    AdapterSpec,
    ApiDescription,
    Connection,
    CredentialPart,
    Preset,
    RateProfile,
    RateWindow,
    SandboxOptions,
    SandboxSpec,
)
from wizard.reshape import container_as_process

# The plan's [source.options] for Asana.
OPTIONS = {
    "plan": "free or paid: the account's plan, whose per-minute limit binds (150 or 1,500); empty: detected",
    "activity_log": "true: system stories (Asana's activity log) come too, as comments; empty: comments only",
    "workspace": "the gid of the one workspace to migrate from (who-am-I names them); empty: every one the token opens",
}

# The values each option takes ("": not set).
VALUES = {"plan": ("", "free", "paid"), "activity_log": ("", "true", "false")}

# The sandbox accepts exactly this; it opens no real account.
SANDBOX_CREDENTIALS = {"token": "sandbox-asana-pat"}


def connect(c: Connection) -> Any:
    # lazy: the registry lists specs without importing the clients behind them
    from adapters.asana.source import AsanaSource  # noqa: PLC0415

    options = c.source_options(OPTIONS, "Asana")  # the plan's [source.options]
    wrong = [f"{k} = {options[k]!r}" for k, allowed in VALUES.items() if options.get(k, "") not in allowed]
    if wrong:
        raise PlanError(
            f"[source.options] names {', '.join(wrong)}, which Asana does not know; "
            f"its options are: {'; '.join(f'{k} ({v})' for k, v in OPTIONS.items())}."
        )
    return AsanaSource.connect(
        c.endpoint.base_url,
        dict(c.credentials),
        tier=options.get("plan") or None,
        activity_log=options.get("activity_log") == "true",
        workspace=options.get("workspace") or None,
        **c.client_args(),
    )


def sandbox(o: SandboxOptions) -> Any:
    # lazy: the sandbox needs the web server of the [sandbox] extra
    from adapters.asana.sandbox import AsanaSandbox  # noqa: PLC0415

    return AsanaSandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="asana",
    label="Asana",
    kind="source",
    connect=connect,
    default_url="https://app.asana.com/api/1.0",
    credentials=(
        CredentialPart(
            "token",
            "Token",  # the Connect screen's label column is narrow: the kind of token is said beside it
            "a personal access token: app.asana.com/0/my-apps, 'Create new token' (Asana shows it once; copy it then)",
        ),
    ),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/api/1.0",
        state_modules=("adapters.asana.sandbox_state",),
    ),
    api=ApiDescription(
        "asana/asana_oas.yaml",
        off_spec_paths={r"^/_storage/": "a file's signed download_url on the storage host: not the API"},
    ),
    # reference 2.4: 1,500 requests a minute per token on a paid plan (150 on a free one, which
    # the source detects and then keeps to); a batch counts as its actions
    change_feed=True,
    webhooks=ASANA_WEBHOOKS,
    rate=RateProfile((RateWindow(1_500, 60.0),), summary="1,500-a-minute limit (150 on a free plan)"),
    item_noun=("task", "tasks"),
    container_noun=("project", "projects"),
    stage_noun=("section", "sections"),
    presets=(
        Preset("board", "project → template · section → step · task → process at its section's step"),
        Preset(
            "project_as_process",
            "project → template whose steps are its tasks in section order · each project → one process "
            "holding its tasks' states",
            reshape=container_as_process,
        ),
    ),
)
