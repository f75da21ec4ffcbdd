"""monday.com's GraphQL documents: one `.graphql` file per operation under `graphql/`, sharing
the fragments of `graphql/fragments.graphql`. Each operation is sent with the fragments it
uses (transitively) appended, and with variables: no query text is ever built from data.

API_VERSION is the schema the documents are written and tested against (sent as the
`API-Version` header); `tests/monday/test_documents.py` validates every document against
that version's SDL."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from graphql import DocumentNode, FragmentDefinitionNode, FragmentSpreadNode, parse, visit
from graphql.language import Visitor

API_VERSION = "2026-07"
"""The API version every request pins (the plan may name another: see MondayClient)."""

HERE = Path(__file__).parent
DOCUMENTS = HERE / "graphql"
VENDORED_SCHEMA = HERE / "schema" / f"schema-{API_VERSION}.graphql"
VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")


@cache
def _fragments() -> dict[str, str]:
    """Each shared fragment's own text, by name."""
    text = (DOCUMENTS / "fragments.graphql").read_text("utf-8")
    doc = parse(text)
    out: dict[str, str] = {}
    for d in doc.definitions:
        if isinstance(d, FragmentDefinitionNode) and d.loc is not None:
            out[d.name.value] = text[d.loc.start : d.loc.end]
    return out


def _spreads(doc: DocumentNode | str) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
            names.add(node.name.value)

    visit(parse(doc) if isinstance(doc, str) else doc, Spreads())
    return names


@cache
def document(name: str) -> str:
    """The full text of operation `name` (`graphql/<name>.graphql`) with its fragments."""
    text = (DOCUMENTS / f"{name}.graphql").read_text("utf-8")
    fragments = _fragments()
    wanted: set[str] = set()
    todo = _spreads(text)
    while todo:
        f = todo.pop()
        if f in wanted:
            continue
        if f not in fragments:
            raise KeyError(f"{name}.graphql uses fragment {f}, which fragments.graphql does not define")
        wanted.add(f)
        todo |= _spreads(fragments[f])
    return "\n\n".join([text.strip(), *(fragments[f] for f in sorted(wanted))]) + "\n"


def operation_names() -> list[str]:
    return sorted(p.stem for p in DOCUMENTS.glob("*.graphql") if p.stem != "fragments")
