"""Every GraphQL document the client sends is valid against our SDL of Pipefy's API (the one
the sandbox executes), is one named query built from files, and stays under Pipefy's caps at
the largest page it asks for: complexity 50,000 and depth 15 (reference §P4)."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse, validate

from adapters import graphqlkit
from adapters.pipefy import documents
from adapters.pipefy import sandbox_graphql as gql
from adapters.pipefy.client import PAGE
from adapters.pipefy.documents import SCHEMA, document, operation_names
from adapters.pipefy.sandbox import COMPLEXITY_CAP, DEPTH_CAP


def test_every_document_validates_against_our_sdl() -> None:
    schema = graphqlkit.load_schema(SCHEMA)
    names = operation_names()
    assert {"whoami", "pipes", "pipe", "cards", "card_files", "changed_cards", "stated_cards"} <= set(names)
    for name in names:
        errors = validate(schema, parse(document(name)))
        assert not errors, f"{name}.graphql: {[e.message for e in errors]}"


def test_the_sdl_says_it_is_ours() -> None:
    head = SCHEMA.read_text("utf-8").splitlines()[0]
    assert head.startswith("# OURS, NOT PIPEFY'S")


def test_each_file_is_one_named_query() -> None:
    for name in operation_names():
        ops = [d for d in parse(document(name)).definitions if isinstance(d, OperationDefinitionNode)]
        assert len(ops) == 1 and ops[0].name is not None, name
        assert ops[0].operation.value == "query", f"{name}: the source only reads"


def test_every_shared_fragment_is_used() -> None:
    used: set[str] = set()
    for name in operation_names():
        used |= {d.name.value for d in parse(document(name)).definitions if not isinstance(d, OperationDefinitionNode)}
    assert used == set(documents.DOCUMENTS.fragments)


def test_every_document_stays_under_the_complexity_and_depth_caps_at_the_largest_page() -> None:
    for name in operation_names():
        doc = parse(document(name))
        cost = gql.complexity(doc, {"first": PAGE, "pipeId": "1", "id": "1"})
        assert 0 < cost <= COMPLEXITY_CAP, f"{name} costs {cost}"
        assert graphqlkit.depth(doc) <= DEPTH_CAP, name
    # a page of cards is the expensive one: a page twice as large would not fit
    assert gql.complexity(parse(document("cards")), {"first": 3 * PAGE}) > COMPLEXITY_CAP
