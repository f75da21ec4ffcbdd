"""Trello as a source: what the wizard's core knows of it (wizard/registry.py)."""

from __future__ import annotations

from typing import Any

from adapters.trello.webhooks import SCHEME as TRELLO_WEBHOOKS
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
SANDBOX_CREDENTIALS = {
    "key": "sandbox-trello-key-0000000000000000",
    "token": "sandbox-trello-token-00000000000000000000000000000000",
    "secret": "sandbox-trello-secret-000000000000000000000000000000",  # signs webhook deliveries
}


def connect(c: Connection) -> Any:
    from adapters.trello.source import TrelloSource  # noqa: PLC0415 the registry lists specs without their clients

    return TrelloSource.connect(c.endpoint.base_url, dict(c.credentials), **c.client_args())


def sandbox(o: SandboxOptions) -> Any:
    from adapters.trello.sandbox import TrelloSandbox  # noqa: PLC0415 needs the [sandbox] extra's web server

    return TrelloSandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="trello",
    label="Trello",
    kind="source",
    connect=connect,
    default_url="https://api.trello.com/1",
    credentials=(
        CredentialPart("key", "API key", "trello.com/app-key: your Power-Up's API key"),
        CredentialPart("token", "Token", "the Token link beside that key"),
    ),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/1",
        state_modules=("adapters.trello.sandbox_state",),
    ),
    api=ApiDescription(
        "trello/swagger.v3.json",
        off_spec_paths={
            r"^/cards/[0-9a-f]{24}/attachments/[0-9a-f]{24}/download/[^/]+$": "the documented download route is "
            "not in the description",
            r"^/storage/": "a download's redirect to the storage host, signed: not the API",
        },
        undeclared_query={
            # documented and honoured, though the description declares no query parameters here; not
            # `checklists`, which real boards do not honour (checklists come from /boards/{id}/checklists)
            "get /boards/{id}/cards": frozenset(
                {
                    "limit",
                    "before",
                    "since",
                    "filter",
                    "fields",
                    "attachments",
                    "attachment_fields",
                    "customFieldItems",
                    "members",
                    "member_fields",
                }
            ),
        },
        response_schemas={  # answers the description gives no schema for
            "get /boards/{id}/cards": "Card",
            "get /boards/{boardId}/actions": "Action",
            "get /boards/{id}/checklists": "Checklist",
        },
    ),
    # reference 1.4: 100 calls per 10 s per token, 300 per 10 s per key; /members 100 per 900 s
    change_feed=True,
    webhooks=TRELLO_WEBHOOKS,
    rate=RateProfile(
        (
            RateWindow(100, 10.0, name="token_requests_per_10_s"),
            RateWindow(300, 10.0, name="key_requests_per_10_s"),
            RateWindow(100, 900.0, "members"),
        ),
        summary="100-per-10-s limit",
        doc="Trello's rate-limits page (reference 1.4)",
    ),
    rank=0,  # the first source offered, and the default of `new` and the demo
    item_noun=("card", "cards"),
    container_noun=("board", "boards"),
    stage_noun=("list", "lists"),
)
