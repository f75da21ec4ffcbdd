"""monday.com's GraphQL documents: one `.graphql` file per operation under `graphql/`, sharing
the fragments of `graphql/fragments.graphql`, loaded by the GraphQL kit (adapters/graphqlkit.py).
Each operation is sent with the fragments it uses (transitively) appended, and with variables:
no query text is ever built from data.

API_VERSION is the schema the documents are written and tested against (sent as the
`API-Version` header); `tests/monday/test_documents.py` validates every document against
that version's SDL."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.graphqlkit import Documents

API_VERSION = "2026-07"
"""The API version every request pins (the plan may name another: see MondayClient)."""

HERE = Path(__file__).parent
DOCUMENTS = HERE / "graphql"
VENDORED_SCHEMA = HERE / "schema" / f"schema-{API_VERSION}.graphql"
VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")

_DOCUMENTS = Documents(DOCUMENTS)
document = _DOCUMENTS.document
operation_names = _DOCUMENTS.operation_names


def _fragments() -> dict[str, str]:
    """Each shared fragment's own text, by name."""
    return _DOCUMENTS.fragments
