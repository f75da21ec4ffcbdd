"""The Pipefy sandbox's GraphQL layer: our SDL of Pipefy's API (schema/pipefy.graphql, the
one the client's documents are validated against), executed by graphql-core with resolvers
over the sandbox's state, and each query's complexity computed from the document before it
runs.

Resolvers are the views below: graphql-core's default resolver reads an attribute (or a
dict's key) of the field's name, or calls it with the field's arguments when it is a method.

Complexity, as Pipefy describes it (reference §P4: "+1 per field, connection children
multiplied by `first`"): a field costs 1 plus its children; a connection's children count
`first` times (50 when not given); a list that takes no page size counts its children 10
times (our assumption: Pipefy does not say), except the edges of a connection, which are the
page `first` already counted.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast,
)

from adapters.graphqlkit import load_schema, named
from adapters.pipefy import sandbox_webhooks as hooks
from adapters.pipefy.sandbox_state import Card, Comment, Field, File, Label, Phase, Pipe, PipefyState, User

SCHEMA = Path(__file__).parent / "schema" / "pipefy.graphql"
MAX_FIRST = 50  # reference §P3: the effective page size of cards and records
DEFAULT_FIRST = 50
UNBOUNDED_LIST_FACTOR = 10


class SandboxError(GraphQLError):
    """An application error, answered with HTTP 200 and `errors[]`, its code in `extensions`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


@cache
def schema() -> GraphQLSchema:
    return load_schema(SCHEMA)


@dataclass
class Ctx:
    """What one request's resolvers share."""

    state: PipefyState
    origin: str  # the sandbox's own address, for URLs
    sign: Callable[[str], str]  # a presigned URL path for a file's storage path
    now: float = field(default_factory=time.time)


def _user(ctx: Ctx, uid: str | None) -> dict[str, Any] | None:
    u: User | None = ctx.state.users.get(uid or "")
    if u is None:
        return None
    return {"id": u.id, "uuid": f"u-{u.id}", "name": u.name, "email": u.email, "username": u.username}


def _label(x: Label) -> dict[str, Any]:
    return {"id": x.id, "name": x.name, "color": x.color}


class FieldView:
    def __init__(self, f: Field, phase: PhaseView | None = None) -> None:
        self.id = f.id
        self.internal_id = f.internal_id
        self.uuid = f"f-{f.internal_id}"
        self.label = f.label
        self.type = f.type
        self.required = f.required
        self.editable = True
        self.options = f.options
        self.description = f.description
        self.help = None
        self.phase = phase


def _page(ids: list[str], first: int | None, after: str | None, scope: str) -> tuple[list[str], dict[str, Any]]:
    """A Relay page of `ids`: `first` at most 50, `after` an opaque cursor of this listing."""
    size = DEFAULT_FIRST if first is None else first
    if not 1 <= size <= MAX_FIRST:
        raise SandboxError(f"first must be between 1 and {MAX_FIRST}, got {size}", "INVALID_ARGUMENT")
    start = 0
    if after:
        try:
            given_scope, _, pos = base64.urlsafe_b64decode(after.encode()).decode().rpartition(":")
            start = int(pos)
            if given_scope != scope:
                raise ValueError
        except ValueError:
            raise SandboxError("Invalid cursor", "INVALID_ARGUMENT") from None
    page = ids[start : start + size]

    def cursor(n: int) -> str:
        return base64.urlsafe_b64encode(f"{scope}:{n}".encode()).decode()

    info = {
        "hasNextPage": start + size < len(ids),
        "hasPreviousPage": start > 0,
        "startCursor": cursor(start) if page else None,
        "endCursor": cursor(start + len(page)) if page else None,
    }
    return page, info


def connection(ctx: Ctx, cards: list[Card], first: int | None, after: str | None, scope: str) -> dict[str, Any]:
    ids = [c.id for c in cards]
    page, info = _page(ids, first, after, scope)
    start = ids.index(page[0]) if page else 0
    edges = [
        {
            "cursor": base64.urlsafe_b64encode(f"{scope}:{start + n + 1}".encode()).decode(),
            "node": CardView(ctx, ctx.state.cards[i]),
        }
        for n, i in enumerate(page)
    ]
    return {"pageInfo": info, "edges": edges, "totalCount": len(ids)}


class PhaseView:
    def __init__(self, ctx: Ctx, pipe: Pipe, p: Phase) -> None:
        self.id = p.id
        self.name = p.name
        self.description = p.description
        self.done = p.done
        self.index = p.index
        self._ctx, self._pipe, self._p = ctx, pipe, p

    @property
    def cards_count(self) -> int:
        return sum(1 for c in self._ctx.state.live_cards(self._pipe) if c.phase_id == self._p.id)

    def fields(self, info: Any) -> list[FieldView]:
        return [FieldView(f, self) for f in self._p.fields]

    def cards(self, info: Any, first: int | None = None, after: str | None = None) -> dict[str, Any]:
        cards = [c for c in self._ctx.state.live_cards(self._pipe) if c.phase_id == self._p.id]
        return connection(self._ctx, cards, first, after, f"phase-{self._p.id}")


def _start_phase(ctx: Ctx, pipe: Pipe) -> PhaseView:
    return PhaseView(ctx, pipe, Phase(pipe.start_form_phase_id, "Start form", -1.0, fields=pipe.start_fields))


class PipeView:
    def __init__(self, ctx: Ctx, p: Pipe) -> None:
        self.id = p.id
        self.uuid = f"p-{p.id}"
        self.name = p.name
        self.description = p.description
        self.organizationId = ctx.state.org_id
        self.startFormPhaseId = p.start_form_phase_id
        self.url = f"https://app.pipefy.com/pipes/{p.id}"
        self._ctx, self._p = ctx, p

    @property
    def cards_count(self) -> int:
        return len(self._ctx.state.live_cards(self._p))

    @property
    def opened_cards_count(self) -> int:
        done = {p.id for p in self._p.phases if p.done}
        return sum(1 for c in self._ctx.state.live_cards(self._p) if c.phase_id not in done)

    def phases(self, info: Any) -> list[PhaseView]:
        return [PhaseView(self._ctx, self._p, p) for p in self._p.phases]

    def start_form_fields(self, info: Any) -> list[FieldView]:
        start = _start_phase(self._ctx, self._p)
        return [FieldView(f, start) for f in self._p.start_fields]

    def labels(self, info: Any) -> list[dict[str, Any]]:
        return [_label(x) for x in self._p.labels]

    def members(self, info: Any) -> list[dict[str, Any]]:
        return [
            {"user": _user(self._ctx, u), "role_name": "admin" if u == self._ctx.state.me_id else "member"}
            for u in self._p.member_ids
        ]

    def webhooks(self, info: Any) -> list[dict[str, Any]]:
        return [hooks.out(h) for h in self._ctx.state.webhooks.values() if h["pipe_id"] == self._p.id]


class CardView:
    def __init__(self, ctx: Ctx, c: Card) -> None:
        self.id = c.id
        self.uuid = f"c-{c.id}"
        self.title = c.title
        self.url = f"https://app.pipefy.com/open-cards/{c.id}"
        self.due_date = c.due_date
        self.createdAt = self.created_at = c.created_at
        self.updated_at = c.updated_at
        self.finished_at = c.finished_at
        self.comments_count = len(c.comment_ids)
        self.attachments_count = len(c.file_paths)
        self._ctx, self._c = ctx, c

    @property
    def _pipe(self) -> Pipe:
        return self._ctx.state.pipes[self._c.pipe_id]

    @property
    def done(self) -> bool:
        phase = self._ctx.state.phase_of(self._c)
        return bool(phase and phase.done)

    def current_phase(self, info: Any) -> PhaseView | None:
        phase = self._ctx.state.phase_of(self._c)
        return PhaseView(self._ctx, self._pipe, phase) if phase else None

    def pipe(self, info: Any) -> PipeView:
        return PipeView(self._ctx, self._pipe)

    def assignees(self, info: Any) -> list[dict[str, Any] | None]:
        return [_user(self._ctx, u) for u in self._c.assignee_ids]

    def labels(self, info: Any) -> list[dict[str, Any]]:
        by_id = {x.id: x for x in self._pipe.labels}
        return [_label(by_id[x]) for x in self._c.label_ids if x in by_id]

    def createdBy(self, info: Any) -> dict[str, Any] | None:
        return _user(self._ctx, self._c.creator_id)

    def fields(self, info: Any) -> list[dict[str, Any]]:
        """Every filled field, as Pipefy gives it: `value` a string (a JSON array in a string
        for the multi-valued types), `array_value` the array itself."""
        out = []
        phases = {f.id: ph for ph in self._pipe.phases for f in ph.fields}
        start = _start_phase(self._ctx, self._pipe)
        for f in self._pipe.fields():
            value = self._value(f)
            if value is None:
                continue
            phase = phases.get(f.id)
            view = FieldView(f, PhaseView(self._ctx, self._pipe, phase) if phase else start)
            array = json.loads(value) if value.startswith("[") else None
            out.append(
                {
                    "name": f.label,
                    "value": value,
                    "report_value": value,
                    "array_value": array,
                    "filled_at": self._c.created_at,
                    "updated_at": self._c.updated_at,
                    "indexName": f.id,
                    "field": view,
                    "phase_field": view,
                }
            )
        return out

    def _value(self, f: Field) -> str | None:
        if f.type == "attachment":
            urls = [self._ctx.origin + self._ctx.sign(p) for p in self._c.file_paths if p in self._ctx.state.files]
            return json.dumps(urls) if urls else None
        return self._c.values.get(f.id)

    def comments(self, info: Any) -> list[dict[str, Any]]:
        """Newest first, as Pipefy lists them."""
        cs: list[Comment] = [self._ctx.state.comments[i] for i in self._c.comment_ids]
        cs.sort(key=lambda c: (c.created_at, int(c.id)), reverse=True)
        return [
            {"id": c.id, "text": c.text, "created_at": c.created_at, "author": _user(self._ctx, c.author_id)}
            for c in cs
        ]

    def attachments(self, info: Any) -> list[dict[str, Any]]:
        out = []
        for p in self._c.file_paths:
            f: File | None = self._ctx.state.files.get(p)
            if f is None:
                continue
            out.append(
                {
                    "url": self._ctx.origin + self._ctx.sign(f.path),
                    "path": f.path,
                    "createdAt": f.created_at,
                    "createdBy": _user(self._ctx, f.author_id),
                    "field": next((FieldView(x) for x in self._pipe.fields() if x.id == f.field_id), None),
                    "phase": None,
                }
            )
        return out

    def phases_history(self, info: Any) -> list[dict[str, Any]]:
        names = {p.id: p for p in self._pipe.phases}
        out = []
        for pid, first_in, last_out in self._c.history:
            phase = names.get(pid)
            view = PhaseView(self._ctx, self._pipe, phase) if phase else _start_phase(self._ctx, self._pipe)
            duration = _seconds(first_in, last_out) if last_out else None
            out.append({"phase": view, "firstTimeIn": first_in, "lastTimeOut": last_out, "duration": duration})
        return out

    def child_relations(self, info: Any) -> list[dict[str, Any]]:
        if not self._c.connected_ids:
            return []
        st = self._ctx.state
        cards = [CardView(self._ctx, st.cards[i]) for i in self._c.connected_ids if not st.cards[i].deleted]
        return [{"id": f"rel-{self._c.pipe_id}", "name": "Related requests", "pipe": self.pipe(info), "cards": cards}]

    def parent_relations(self, info: Any) -> list[dict[str, Any]]:
        return []


def _seconds(a: str, b: str) -> int:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return int(time.mktime(time.strptime(b, fmt)) - time.mktime(time.strptime(a, fmt)))


class Root:
    def __init__(self, ctx: Ctx) -> None:
        self._ctx = ctx

    def me(self, info: Any) -> dict[str, Any] | None:
        return _user(self._ctx, self._ctx.state.me_id)

    def _org(self) -> dict[str, Any]:
        st = self._ctx.state
        return {
            "id": st.org_id,
            "uuid": f"o-{st.org_id}",
            "name": st.org_name,
            "planName": st.plan_name,
            "role": "admin",
            "membersCount": len(st.users),
            "pipesCount": len(st.pipes),
            "createdAt": "2023-05-01T00:00:00Z",
            "pipes": lambda info, ids=None, name_search=None: [
                PipeView(self._ctx, p)
                for p in st.pipes.values()
                if (ids is None or p.id in ids) and (not name_search or name_search.lower() in p.name.lower())
            ],
            "members": lambda info: [{"user": _user(self._ctx, u), "role_name": "member"} for u in st.users],
        }

    def organizations(self, info: Any, ids: list[str] | None = None) -> list[dict[str, Any]]:
        org = self._org()
        return [org] if ids is None or org["id"] in ids else []

    def organization(self, info: Any, id: str) -> dict[str, Any]:
        org = self._org()
        if org["id"] != id:
            raise SandboxError(f"Organization {id} not found", "RESOURCE_NOT_FOUND")
        return org

    def _pipe(self, pid: str) -> Pipe:
        pipe = self._ctx.state.pipes.get(str(pid))
        if pipe is None:
            raise SandboxError(f"Pipe {pid} not found", "RESOURCE_NOT_FOUND")
        return pipe

    def pipe(self, info: Any, id: str) -> PipeView:
        return PipeView(self._ctx, self._pipe(id))

    def createWebhook(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        try:
            hook = hooks.create(self._ctx.state, input)
        except hooks.WebhookRefused as e:
            raise SandboxError(str(e), "INVALID_ARGUMENT") from None
        except (ValueError, AttributeError):
            raise SandboxError("Headers must be a JSON object", "INVALID_ARGUMENT") from None
        return {"clientMutationId": input.get("clientMutationId"), "webhook": hooks.out(hook)}

    def deleteWebhook(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        if self._ctx.state.webhooks.pop(str(input["id"]), None) is None:
            raise SandboxError(f"Webhook {input['id']} not found", "RESOURCE_NOT_FOUND")
        return {"clientMutationId": input.get("clientMutationId"), "success": True}

    def pipes(self, info: Any, ids: list[str]) -> list[PipeView]:
        return [PipeView(self._ctx, self._pipe(i)) for i in ids]

    def phase(self, info: Any, id: str) -> PhaseView:
        for pipe in self._ctx.state.pipes.values():
            for p in pipe.phases:
                if p.id == id:
                    return PhaseView(self._ctx, pipe, p)
        raise SandboxError(f"Phase {id} not found", "RESOURCE_NOT_FOUND")

    def allCards(
        self,
        info: Any,
        pipeId: str,
        first: int | None = None,
        after: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        pipe = self._pipe(pipeId)
        cards = self._ctx.state.live_cards(pipe)
        scope = f"pipe-{pipe.id}"
        for cond in (filter or {}).get("AND") or []:
            cards = [c for c in cards if _matches(c, cond)]
            scope += f"-{cond['field']}{cond['operator']}{cond['value']}"
        return connection(self._ctx, cards, first, after, scope)

    def card(self, info: Any, id: str) -> CardView:
        c = self._ctx.state.cards.get(str(id))
        if c is None or c.deleted:
            raise SandboxError(f"Card {id} not found", "RESOURCE_NOT_FOUND")
        return CardView(self._ctx, c)


FILTERABLE = ("updated_at", "created_at", "finished_at")


def _matches(card: Card, cond: dict[str, Any]) -> bool:
    name, op, value = cond["field"], cond["operator"], cond["value"]
    if name not in FILTERABLE:
        raise SandboxError(f"Cannot filter cards by {name}", "INVALID_ARGUMENT")
    have = getattr(card, name) or ""
    return {
        "eq": have == value,
        "gt": have > value,
        "gte": have >= value,
        "lt": bool(have) and have < value,
        "lte": bool(have) and have <= value,
    }[op]


# -- complexity ----------------------------------------------------------------------------
def complexity(doc: DocumentNode, variables: dict[str, Any] | None, operation_name: str | None = None) -> int:
    """The cost of the operation, from the document alone (before anything runs)."""
    sch = schema()
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    if op is None or sch.query_type is None:
        return 0
    return _cost(op.selection_set, sch.query_type, fragments, variables or {})


def _cost(sel: SelectionSetNode, parent: Any, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> int:
    total = 0
    for node in sel.selections:
        if isinstance(node, FragmentSpreadNode):
            frag = fragments.get(node.name.value)
            if frag is not None:
                t = schema().get_type(frag.type_condition.name.value)
                total += _cost(frag.selection_set, t, fragments, variables)
        elif isinstance(node, InlineFragmentNode):
            t = schema().get_type(node.type_condition.name.value) if node.type_condition else parent
            total += _cost(node.selection_set, t, fragments, variables)
        elif isinstance(node, FieldNode):
            fdef = getattr(parent, "fields", {}).get(node.name.value)
            cost = 1
            if fdef is not None and node.selection_set is not None:
                child, is_list = named(fdef.type)
                factor = 1
                if "first" in fdef.args:
                    arg = next((a for a in node.arguments or [] if a.name.value == "first"), None)
                    first = value_from_ast(arg.value, fdef.args["first"].type, variables) if arg else None
                    factor = int(first) if isinstance(first, int) else DEFAULT_FIRST
                elif is_list and not str(getattr(parent, "name", "")).endswith("Connection"):
                    factor = UNBOUNDED_LIST_FACTOR
                cost += factor * _cost(node.selection_set, child, fragments, variables)
            total += cost
    return total
