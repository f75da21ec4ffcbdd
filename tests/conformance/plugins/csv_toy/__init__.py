"""A toy CSV source registered from the test suite itself (no entry point, no file outside this
folder): importing this package registers it, and the conformance suite then migrates it into
every registered target like any installed adapter."""

from __future__ import annotations

from typing import Any

from tests.conformance import systems
from wizard.registry import (
    AdapterSpec,
    Connection,
    CredentialPart,
    RateProfile,
    RateWindow,
    SandboxOptions,
    SandboxSpec,
)


def connect(c: Connection) -> Any:
    from tests.conformance.plugins.csv_toy.source import CsvSource  # noqa: PLC0415  lazy, as any adapter's

    return CsvSource.connect(
        c.endpoint.base_url,
        dict(c.credentials),
        profile=c.endpoint.profile,
        sink=c.sink,
        timeout=c.limits.request_timeout_s,
        max_retries=c.limits.max_retries,
        window_scale=c.endpoint.rate_window_scale,
        **c.options,
    )


def sandbox(o: SandboxOptions) -> Any:
    from tests.conformance.plugins.csv_toy.sandbox import CsvSandbox  # noqa: PLC0415  lazy: the web server

    return CsvSandbox(seed=o.seed, scale=o.scale, faults=o.faults)


SPEC = AdapterSpec(
    system="csv",
    label="CSV",
    kind="source",
    connect=connect,
    default_url="https://csv.invalid/api",
    credentials=(CredentialPart("token", "Token", "the CSV service's settings page"),),
    sandbox=SandboxSpec(factory=sandbox, credentials={"token": "sandbox-csv-token"}, api_path="/api"),
    rate=RateProfile((RateWindow(100, 10.0),), summary="100-per-10-s limit"),
    item_noun=("row", "rows"),
    container_noun=("sheet", "sheets"),
)

systems.register(SPEC, cli_prelude=__name__)
