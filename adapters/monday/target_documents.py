"""The target's GraphQL documents: one `.graphql` file per operation under `graphql/target/`,
with the shared fragments of `graphql/fragments.graphql` they use appended (a fragment a file
defines itself stays its own).

Bulk writes alias one mutation file several times in one request (`aliased`): the document is
built from the file's text and a count alone (aliases `m0`, `m1`, ... and each variable
suffixed `_0`, `_1`, ...), never from data, and the `complexity` selection is kept once.
`tests/monday/test_target_documents.py` validates every file, and aliased ones, against the SDL.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

from adapters.graphqlkit import spreads as _spreads
from adapters.monday.documents import DOCUMENTS, _fragments

TARGET = DOCUMENTS / "target"


@cache
def document(name: str) -> str:
    """The full text of `graphql/target/<name>.graphql` with the shared fragments it uses."""
    text = (TARGET / f"{name}.graphql").read_text("utf-8")
    own = {d.name.value for d in parse(text).definitions if isinstance(d, FragmentDefinitionNode)}
    shared = _fragments()
    wanted: set[str] = set()
    todo = _spreads(text) - own
    while todo:
        f = todo.pop()
        if f in wanted:
            continue
        if f not in shared:
            raise KeyError(f"target/{name}.graphql uses fragment {f}, which no fragment file defines")
        wanted.add(f)
        todo |= _spreads(shared[f]) - own
    return "\n\n".join([text.strip(), *(shared[f] for f in sorted(wanted))]) + "\n"


def operation_names() -> list[str]:
    return sorted(p.stem for p in TARGET.glob("*.graphql"))


class _Suffix(Visitor):
    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix

    def enter_variable(self, node: VariableNode, *_: object) -> VariableNode:
        return VariableNode(name=NameNode(value=node.name.value + self.suffix))


@cache
def aliased(name: str, n: int) -> str:
    """Mutation `name` `n` times in one request: the root field aliased `m<i>`, its variables
    suffixed `_<i>` (`aliased_variables` builds them), `complexity` asked once."""
    doc = parse(document(name))
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    fields = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    main = next(f for f in fields if f.name.value != "complexity")
    rest = [f for f in fields if f is not main]
    selections: list[Any] = []
    definitions: list[VariableDefinitionNode] = []
    for i in range(n):
        suffix = f"_{i}"
        copy = visit(main, _Suffix(suffix))
        selections.append(
            FieldNode(
                alias=NameNode(value=f"m{i}"),
                name=copy.name,
                arguments=copy.arguments,
                directives=copy.directives,
                selection_set=copy.selection_set,
            )
        )
        definitions += [visit(d, _Suffix(suffix)) for d in op.variable_definitions]
    batched = OperationDefinitionNode(
        operation=op.operation,
        name=NameNode(value=f"{op.name.value if op.name else 'Batch'}x{n}"),
        variable_definitions=tuple(definitions),
        directives=op.directives,
        selection_set=SelectionSetNode(selections=tuple(selections + rest)),
    )
    others = [d for d in doc.definitions if d is not op]
    return print_ast(DocumentNode(definitions=(batched, *others))) + "\n"


def aliased_variables(each: list[dict[str, Any]]) -> dict[str, Any]:
    """The variables of an `aliased` request: each mutation's own, suffixed by its place."""
    return {f"{k}_{i}": v for i, variables in enumerate(each) for k, v in variables.items()}
