"""Process Street as a source: what the wizard's core knows of it (wizard/registry.py)."""

from __future__ import annotations

from typing import Any

from wizard.registry import (
    AdapterSpec,
    ApiDescription,
    Connection,
    CredentialPart,
    RateProfile,
    RateWindow,
    SandboxOptions,
    SandboxSpec,
)

# The sandbox accepts exactly this; it opens no real account.
SANDBOX_CREDENTIALS = {"key": "sandbox-processstreet-api-key"}

# Process Street publishes no number for its rate limit (reference §S4: only "429 with
# Retry-After"): this is the rate assumed until the first 429 teaches the client the real one.
ASSUMED_PER_MINUTE = 600


# A form-field type the published document does not list yet (the enum grows with the app):
# the sandbox sends one, and the source reads it as text with a ledger line.
NEW_TYPE = "a form-field type newer than the published document's enum: read as text"


def connect(c: Connection) -> Any:
    # lazy: the registry lists specs without importing the clients behind them
    from adapters.processstreet.source import ProcessStreetSource  # noqa: PLC0415

    c.source_options({}, "Process Street")  # it has none: any is refused in one sentence
    return ProcessStreetSource.connect(c.endpoint.base_url, dict(c.credentials), **c.client_args())


def sandbox(o: SandboxOptions) -> Any:
    # lazy: the sandbox needs the web server of the [sandbox] extra
    from adapters.processstreet.sandbox import ProcessStreetSandbox  # noqa: PLC0415

    return ProcessStreetSandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="processstreet",
    label="Process Street",
    kind="source",
    connect=connect,
    default_url="https://public-api.process.st/api/v1.1",
    credentials=(
        CredentialPart(
            "key",
            "API key",
            "Process Street: Settings › Integrations › API › 'Create API key' (it has its creator's permissions)",
        ),
    ),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/api/v1.1",
        state_modules=("adapters.processstreet.sandbox_state",),
    ),
    api=ApiDescription(
        "processstreet/process-street-public-api-v1.1-openapi.json",
        off_spec_paths={r"^/_files/": "a file's signed link (HATEOAS `file`) on the file host: not the API"},
        schema_gaps={
            "ListFormFieldsResponse.fields.fieldType": NEW_TYPE,
            "ListFormFieldValuesResponse.fields.fieldType": NEW_TYPE,
        },
    ),
    rate=RateProfile(
        (RateWindow(ASSUMED_PER_MINUTE, 60.0),),
        summary=(
            f"{ASSUMED_PER_MINUTE:,} calls a minute, assumed: Process Street publishes no limit "
            "(the client slows down to what its 429s show)"
        ),
        doc="assumed: Process Street publishes no limit; lowered to what its 429s show",
    ),
    # sync lists each workflow's runs by their updatedDate (no feed of its own: see the source)
    change_feed=True,
    item_noun=("run", "runs"),
    container_noun=("workflow", "workflows"),
    stage_noun=("task", "tasks"),
)
