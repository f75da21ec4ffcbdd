"""ClickUp as a source: what the wizard's core knows of it (wizard/registry.py)."""

from __future__ import annotations

from typing import Any

from adapters.clickup.webhooks import SCHEME as CLICKUP_WEBHOOKS
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

# The plan's [source.options] for ClickUp: none yet.
OPTIONS: dict[str, str] = {}

# The sandbox accepts exactly this; it opens no real account.
SANDBOX_CREDENTIALS = {"token": "pk_3000001_SANDBOXCLICKUPTOKEN0000000000000"}


def connect(c: Connection) -> Any:
    # lazy: the registry lists specs without importing the clients behind them
    from adapters.clickup.source import ClickUpSource  # noqa: PLC0415

    c.source_options(OPTIONS, "ClickUp")  # refuses any option: ClickUp has none
    return ClickUpSource.connect(c.endpoint.base_url, dict(c.credentials), **c.client_args())


def sandbox(o: SandboxOptions) -> Any:
    # lazy: the sandbox needs the web server of the [sandbox] extra
    from adapters.clickup.sandbox import ClickUpSandbox  # noqa: PLC0415

    return ClickUpSandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="clickup",
    label="ClickUp",
    kind="source",
    connect=connect,
    default_url="https://api.clickup.com/api",
    credentials=(
        CredentialPart(
            "token",
            "Token",
            "ClickUp: your avatar › Settings › Apps › API Token › Generate (or Copy); it starts with pk_",
        ),
    ),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/api",
        state_modules=("adapters.clickup.sandbox_state",),
    ),
    api=ApiDescription(
        "clickup/clickup-api-v2-reference.json",
        off_spec_paths={r"^/_files/": "an attachment's url on ClickUp's attachment host: not the API"},
        schema_gaps={
            **{
                f"get /v2/list/{{list_id}}/task.tasks.{name}": (
                    f"the description types Get Tasks' {name} as strings; its own Get Task example and "
                    "reference 3.6 show the objects ClickUp sends"
                )
                for name in ("assignees", "watchers", "tags", "checklists", "dependencies", "linked_tasks")
            },
            "get /v2/space/{space_id}/folder.folders.lists": (
                "the description types a folder's lists as strings; ClickUp embeds each list's record (reference 3.2)"
            ),
        },
    ),
    # reference 3.4: per token, 100 requests a minute (Free Forever, Unlimited, Business), 1,000
    # (Business Plus), 10,000 (Enterprise); the client reads the plan's from X-RateLimit-Limit
    change_feed=True,
    webhooks=CLICKUP_WEBHOOKS,
    rate=RateProfile(
        (RateWindow(100, 60.0),),
        summary="100-a-minute limit (1,000 on Business Plus, 10,000 on Enterprise, read from its headers)",
    ),
    item_noun=("task", "tasks"),
    container_noun=("list", "lists"),
    stage_noun=("status", "statuses"),
    presets=(
        Preset(
            "board",
            "list → template · status → step, in status order · task → process standing at its status (closed "
            "statuses complete it) · subtask → sub-task · checklist → checklist · dependency or link → a link in "
            "the description",
        ),
        Preset(
            "list_as_process",
            "list → template whose steps are its tasks in order · each list → one process holding its tasks' states",
            reshape=container_as_process,
        ),
    ),
)
