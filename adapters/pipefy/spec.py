"""Pipefy as a source: what the wizard's core knows of it (wizard/registry.py)."""

from __future__ import annotations

from typing import Any

from adapters.pipefy.webhooks import SCHEME as PIPEFY_WEBHOOKS
from wizard.registry import (
    AdapterSpec,
    Connection,
    CredentialPart,
    RateProfile,
    RateWindow,
    SandboxOptions,
    SandboxSpec,
)

# The plan's [source.options] for Pipefy: none yet.
OPTIONS: dict[str, str] = {}

# The sandbox accepts exactly this; it opens no real account.
SANDBOX_CREDENTIALS = {"token": "sandbox-pipefy-token"}


def connect(c: Connection) -> Any:
    # lazy: the registry lists specs without importing the clients behind them
    from adapters.pipefy.source import PipefySource  # noqa: PLC0415

    c.source_options(OPTIONS, "Pipefy")  # refuses any [source.options]: Pipefy has none
    return PipefySource.connect(c.endpoint.base_url, dict(c.credentials), **c.client_args())


def sandbox(o: SandboxOptions) -> Any:
    # lazy: the sandbox needs the web server of the [sandbox] extra
    from adapters.pipefy.sandbox import PipefySandbox  # noqa: PLC0415

    return PipefySandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="pipefy",
    label="Pipefy",
    kind="source",
    connect=connect,
    default_url="https://api.pipefy.com/graphql",
    credentials=(
        CredentialPart(
            "token",
            "Personal access token",
            "app.pipefy.com/tokens: 'Generate new token', by an admin of the pipes (or a service account's token)",
        ),
    ),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/graphql",
        state_modules=("adapters.pipefy.sandbox_state",),
    ),
    # reference P4: about 500 requests per 30 s, a community figure Pipefy does not document:
    # assumed, and the client lowers it to what a 429 shows; each query stays under the
    # complexity cap of 50,000 points
    rate=RateProfile(
        (RateWindow(500, 30.0),),
        summary="about 500 requests per 30 s (assumed: Pipefy does not publish it; learnt from its 429s)",
        doc="assumed: Pipefy does not publish it (a community answer); lowered to what its 429s show",
    ),
    change_feed=True,
    webhooks=PIPEFY_WEBHOOKS,
    item_noun=("card", "cards"),
    container_noun=("pipe", "pipes"),
    stage_noun=("phase", "phases"),
)
