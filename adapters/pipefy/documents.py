"""Pipefy's GraphQL documents: one `.graphql` file per operation under `graphql/`, sharing the
fragments of `graphql/fragments.graphql`, loaded by the GraphQL kit (adapters/graphqlkit.py).
Each is sent with its variables: no query text is ever built from data.

SCHEMA is our own SDL of the part of Pipefy's API we read (Pipefy publishes none);
`tests/pipefy/test_documents.py` validates every document against it, and the sandbox
executes requests against it."""

from __future__ import annotations

from pathlib import Path

from adapters.graphqlkit import Documents

HERE = Path(__file__).parent
SCHEMA = HERE / "schema" / "pipefy.graphql"
DOCUMENTS = Documents(HERE / "graphql")
document = DOCUMENTS.document
operation_names = DOCUMENTS.operation_names
