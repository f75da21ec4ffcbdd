"""What every GraphQL adapter shares (monday.com, Pipefy).

- `Documents`: an adapter's queries as files, one named operation per `.graphql` file in its
  folder, sharing the fragments of `fragments.graphql` there; each operation is sent with the
  fragments it uses (transitively) appended, and with variables: no query text is ever built
  from data.
- `load_schema`: an SDL file built once into a schema, which the adapter's tests validate every
  document against and its sandbox executes requests on (so client and sandbox read one schema).
- `problems`: one request checked against a schema before it runs (parsed, validated, and, where
  the vendor caps it, its depth), as the list of errors a GraphQL server answers with.
"""

from __future__ import annotations

from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor
from graphql.type import GraphQLOutputType

FRAGMENTS = "fragments.graphql"


class Documents:
    """The `.graphql` files of one folder: `document(name)` is what the client sends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._texts: dict[str, str] = {}

    @cached_property
    def fragments(self) -> dict[str, str]:
        """Each shared fragment's own text, by name (none when the folder has no fragments file)."""
        path = self.folder / FRAGMENTS
        if not path.exists():
            return {}
        text = path.read_text("utf-8")
        out: dict[str, str] = {}
        for d in parse(text).definitions:
            if isinstance(d, FragmentDefinitionNode) and d.loc is not None:
                out[d.name.value] = text[d.loc.start : d.loc.end]
        return out

    def document(self, name: str) -> str:
        """The full text of operation `name` (`<folder>/<name>.graphql`) with its fragments."""
        if name not in self._texts:
            text = (self.folder / f"{name}.graphql").read_text("utf-8")
            wanted: set[str] = set()
            todo = spreads(text)
            while todo:
                f = todo.pop()
                if f in wanted:
                    continue
                if f not in self.fragments:
                    raise KeyError(f"{name}.graphql uses fragment {f}, which {FRAGMENTS} does not define")
                wanted.add(f)
                todo |= spreads(self.fragments[f])
            self._texts[name] = "\n\n".join([text.strip(), *(self.fragments[f] for f in sorted(wanted))]) + "\n"
        return self._texts[name]

    def operation_names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.graphql") if p.name != FRAGMENTS)


def spreads(doc: DocumentNode | str) -> set[str]:
    """The fragments a document (or a fragment's text) spreads."""
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
            names.add(node.name.value)

    visit(parse(doc) if isinstance(doc, str) else doc, Spreads())
    return names


@cache
def load_schema(path: Path) -> GraphQLSchema:
    return build_schema(path.read_text("utf-8"))


def named(t: GraphQLOutputType) -> tuple[Any, bool]:
    """The named type under any list and non-null wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(t, GraphQLList)
        t = t.of_type
    return t, is_list


def depth(doc: DocumentNode, operation_name: str | None = None) -> int:
    """How deep the operation's fields nest (a root field alone is 1), fragments followed."""
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)

    def deepest(sel: SelectionSetNode | None, seen: frozenset[str]) -> int:
        if sel is None:
            return 0
        most = 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                most = max(most, 1 + deepest(node.selection_set, seen) if node.selection_set else 1)
            elif isinstance(node, InlineFragmentNode):
                most = max(most, deepest(node.selection_set, seen))
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                frag = fragments.get(node.name.value)
                if frag is not None:
                    most = max(most, deepest(frag.selection_set, seen | {node.name.value}))
        return most

    return deepest(op.selection_set, frozenset()) if op is not None else 0


def problems(
    schema: GraphQLSchema, query: str, *, max_depth: int | None = None, operation_name: str | None = None
) -> tuple[DocumentNode | None, list[GraphQLError]]:
    """The parsed request and what is wrong with it (empty: it may run)."""
    doc, errors = _problems(schema, query, max_depth, operation_name)
    return doc, list(errors)


@lru_cache(maxsize=512)
def _problems(
    schema: GraphQLSchema, query: str, max_depth: int | None, operation_name: str | None
) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """`problems`, kept per query text: a client sends the same few queries page after page, and
    validating one against a vendor's whole schema is about half of what a sandbox spends on a
    request (monday.com's)."""
    try:
        doc = parse(query)
    except GraphQLError as e:
        return None, (e,)
    errors = list(validate(schema, doc))
    if not errors and max_depth is not None and (d := depth(doc, operation_name)) > max_depth:
        errors.append(GraphQLError(f"Query has depth of {d}, which exceeds max depth of {max_depth}"))
    return doc, tuple(errors)
