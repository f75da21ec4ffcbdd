"""Every GraphQL document the client sends is valid against the SDL of the API version it
pins, and is built from files, never from strings."""

from __future__ import annotations

from graphql import OperationDefinitionNode, build_schema, parse, validate

from adapters.monday import documents
from adapters.monday.documents import API_VERSION, VENDORED_SCHEMA, document, operation_names


def test_every_document_validates_against_the_pinned_sdl(shared_sdl: str) -> None:
    schema = build_schema(shared_sdl)
    names = operation_names()
    assert {"whoami", "boards", "board", "next_items"} <= set(names)
    for name in names:
        errors = validate(schema, parse(document(name)))
        assert not errors, f"{name}.graphql against {API_VERSION}: {[e.message for e in errors]}"


def test_the_vendored_sdl_is_the_vendors_unmodified(shared_sdl: str) -> None:
    assert VENDORED_SCHEMA.read_text("utf-8") == shared_sdl


def test_each_file_is_one_named_operation_that_takes_variables() -> None:
    for name in operation_names():
        ops = [d for d in parse(document(name)).definitions if isinstance(d, OperationDefinitionNode)]
        assert len(ops) == 1 and ops[0].name is not None, name
        assert ops[0].operation.value == "query", f"{name}: the source only reads"


def test_every_shared_fragment_is_used() -> None:
    used: set[str] = set()
    for name in operation_names():
        used |= {d.name.value for d in parse(document(name)).definitions if not isinstance(d, OperationDefinitionNode)}
    assert used == set(documents._fragments())
