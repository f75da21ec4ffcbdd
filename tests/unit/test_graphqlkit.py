"""The GraphQL kit every GraphQL adapter loads its documents and checks its requests with."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse

from adapters.graphqlkit import Documents, depth, problems

SDL = """
type Query { a: A }
type A { id: ID b: B }
type B { id: ID a: A }
"""


def test_a_document_is_sent_with_the_fragments_it_uses_and_no_other(tmp_path: Path) -> None:
    (tmp_path / "fragments.graphql").write_text(
        "fragment BF on B { id a { ...AF } }\nfragment AF on A { id }\nfragment X on A { id }\n"
    )
    (tmp_path / "one.graphql").write_text("query One { a { b { ...BF } } }\n")
    docs = Documents(tmp_path)
    text = docs.document("one")
    assert "fragment BF" in text and "fragment AF" in text and "fragment X" not in text
    assert docs.operation_names() == ["one"]
    (tmp_path / "two.graphql").write_text("query Two { a { ...Missing } }\n")
    with pytest.raises(KeyError, match="Missing"):
        docs.document("two")


def test_depth_follows_fragments_and_a_deep_request_is_refused() -> None:
    schema = build_schema(SDL)
    query = "query Q { a { b { a { ...F } } } } fragment F on A { b { id } }"
    assert depth(parse(query)) == 5
    assert depth(parse("query Q { a { id } }")) == 2
    doc, errors = problems(schema, query, max_depth=4)
    assert doc is not None and ["Query has depth of 5, which exceeds max depth of 4"] == [e.message for e in errors]
    assert problems(schema, query, max_depth=5)[1] == []


def test_a_request_that_does_not_parse_or_validate_says_why() -> None:
    schema = build_schema(SDL)
    doc, errors = problems(schema, "query { a { ")
    assert doc is None and errors
    doc, errors = problems(schema, "query { a { nope } }")
    assert doc is not None and "Cannot query field 'nope'" in errors[0].message
