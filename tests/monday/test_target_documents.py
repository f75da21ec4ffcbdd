"""The target's GraphQL documents (graphql/target/) are valid against the pinned SDL, one
named operation each, and stay valid when several are aliased into one request."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from adapters.monday import target_documents as td


def test_every_target_document_validates_against_the_pinned_sdl(shared_sdl: str) -> None:
    schema = build_schema(shared_sdl)
    names = td.operation_names()
    assert {"create_board", "create_item", "create_update", "add_file", "find_items"} <= set(names)
    for name in names:
        doc = parse(td.document(name))
        assert not validate(schema, doc), name
        ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
        assert len(ops) == 1 and ops[0].name is not None, name


@pytest.mark.parametrize("name", ["create_group", "create_column", "create_item", "create_update"])
def test_an_aliased_request_is_valid_and_asks_complexity_once(shared_sdl: str, name: str) -> None:
    schema = build_schema(shared_sdl)
    text = td.aliased(name, 7)
    doc = parse(text)
    assert not validate(schema, doc)
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    aliases = [s.alias.value for s in op.selection_set.selections if getattr(s, "alias", None)]
    assert aliases == [f"m{i}" for i in range(7)]
    assert text.count("complexity {") == 1
    names = {v.variable.name.value for v in op.variable_definitions}
    assert {"board_id_0", "board_id_6"} <= names or {"item_id_0", "item_id_6"} <= names


def test_aliased_variables_follow_each_mutations_place() -> None:
    got = td.aliased_variables([{"board_id": "1", "title": "A"}, {"board_id": "1", "title": "B"}])
    assert got == {"board_id_0": "1", "title_0": "A", "board_id_1": "1", "title_1": "B"}
