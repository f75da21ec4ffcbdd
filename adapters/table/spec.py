"""A staging table as a source: what the wizard's core knows of it (wizard/registry.py).

The plan's base_url says where the table is: `file:///path/rows.csv` (or .xlsx, or a SQLite
.db), any database URL SQLAlchemy knows (`postgresql://user@host/db`,
`mssql+pyodbc://user@dsn`: the password comes from the profile's credential, never the plan),
or an https:// address serving a CSV or XLSX file (the credential then goes as a Bearer
token). The readers live in adapters/table/readers.py.
"""

from __future__ import annotations

from typing import Any

from wizard.registry import AdapterSpec, Connection, CredentialPart, SandboxOptions, SandboxSpec

OPTIONS = {
    "key": "the key column, unique per row; empty: a column called id, else the first",
    "name": "the column that names each item; empty: one called name or title, else the key",
    "stage": "the column whose values are the stages; empty: one called status or stage; none: a single stage",
    "tables": "the tables or sheets to read, comma-separated; empty: every one",
    "query": "a database only: one SELECT, read as one table named 'query', instead of the tables",
}

SANDBOX_CREDENTIALS = {"secret": "sandbox-table-token"}


def connect(c: Connection) -> Any:
    # lazy: the registry lists specs without importing the readers (and SQLAlchemy) behind them
    from adapters.table.source import TableSource  # noqa: PLC0415

    options = c.source_options(OPTIONS, "The staging-table source")
    return TableSource.connect(c.endpoint.base_url, dict(c.credentials), options=options, **c.client_args())


def sandbox(o: SandboxOptions) -> Any:
    # lazy: the sandbox needs the web server of the [sandbox] extra
    from adapters.table.sandbox import TableSandbox  # noqa: PLC0415

    return TableSandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="table",
    label="Staging table",
    kind="source",
    connect=connect,
    default_url="file:///path/to/rows.csv",
    url_schemes=None,  # a file, a served file, or a database URL naming its dialect
    credentials=(
        CredentialPart(
            "secret",
            "Password or token",
            "the database user's password, or the file server's token; none for a file on this machine",
        ),
    ),
    sandbox=SandboxSpec(
        factory=sandbox,
        credentials=SANDBOX_CREDENTIALS,
        api_path="/files/staging.csv",
        state_modules=("adapters.table.sandbox",),
    ),
    item_noun=("row", "rows"),
    container_noun=("table", "tables"),
)
