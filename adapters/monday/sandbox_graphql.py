"""The monday.com sandbox's GraphQL layer: monday.com's own SDL (the vendored copy of the
pinned version), executed by graphql-core with resolvers over the sandbox's state, and the
query's complexity computed from the document before it runs.

Resolvers are the views below: graphql-core's default resolver reads an attribute of the
same name, or calls it with the field's arguments when it is a method. Only what the state
holds is answered; a field the sandbox does not model answers null (or an empty list).

Complexity (monday.com does not publish its formula) is approximated the way it behaves: a
field costs 1 plus its children, times the `limit` it asks for (or its default), and times
10 for a list without a limit; a query's cost is the sum over its root fields.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast,
)

from adapters.graphqlkit import load_schema, named
from adapters.monday.documents import VENDORED_SCHEMA
from adapters.monday.sandbox_state import (
    Asset,
    Board,
    Column,
    Group,
    Item,
    MondayState,
    Reply,
    Update,
    User,
    iso,
    ticks,
    value_json,
)

MAX_PAGE = 500
ACTIVITY_LOGS_MAX = 10_000
ROOT_ITEMS_MAX = 100
UNBOUNDED_LIST_FACTOR = 10
PAGE_TYPES = ("ItemsResponse", "UpdatesPage")  # their list is the page the `limit` above already counted

VALUE_TYPES = {
    "status": "StatusValue",
    "people": "PeopleValue",
    "date": "DateValue",
    "timeline": "TimelineValue",
    "numbers": "NumbersValue",
    "text": "TextValue",
    "long_text": "LongTextValue",
    "email": "EmailValue",
    "phone": "PhoneValue",
    "link": "LinkValue",
    "checkbox": "CheckboxValue",
    "rating": "RatingValue",
    "tags": "TagsValue",
    "dropdown": "DropdownValue",
    "file": "FileValue",
    "board_relation": "BoardRelationValue",
    "dependency": "DependencyValue",
    "mirror": "MirrorValue",
    "world_clock": "WorldClockValue",
    "subtasks": "SubtasksValue",
}


class SandboxError(GraphQLError):
    """An application error, answered with HTTP 200 and `errors[]`, code in `extensions`."""

    def __init__(self, message: str, code: str, **data: Any) -> None:
        super().__init__(message, extensions={"code": code, "error_data": data, "status_code": 200})


@cache
def schema() -> GraphQLSchema:
    sch = load_schema(VENDORED_SCHEMA)
    cv = sch.get_type("ColumnValue")
    assert isinstance(cv, GraphQLInterfaceType)
    cv.resolve_type = lambda obj, *_: obj.typename
    fv = sch.get_type("FileValueItem")
    fv.resolve_type = lambda obj, *_: "FileAssetValue"  # type: ignore[union-attr]
    return sch


# -- cursors -------------------------------------------------------------------------------
@dataclass
class Cursor:
    item_ids: list[str]
    position: int
    created: float  # of the initial request: a cursor lives 60 minutes from there


@dataclass
class Ctx:
    """What one request's resolvers share."""

    state: MondayState
    origin: str  # the sandbox's own address, for URLs
    cursors: dict[str, Cursor]
    cursor_ttl: float
    sign: Callable[[str], str]  # a signed public URL path for an asset
    complexity: dict[str, int] = field(default_factory=dict)
    now: float = field(default_factory=time.time)


def _page_of(ctx: Ctx, ids: list[str], start: int, limit: int, created: float) -> dict[str, Any]:
    page = ids[start : start + limit]
    cursor = None
    if start + limit < len(ids):
        cursor = base64.urlsafe_b64encode(f"{start + limit},{secrets.token_hex(12)}".encode()).decode()
        ctx.cursors[cursor] = Cursor(ids, start + limit, created)
    return {"cursor": cursor, "items": [ItemView(ctx, ctx.state.items[i]) for i in page]}


def _check_limit(limit: int, most: int = MAX_PAGE) -> None:
    if not 1 <= limit <= most:
        raise SandboxError(f"limit must be between 1 and {most}, got {limit}", "InvalidArgumentException")


def items_page(ctx: Ctx, ids: list[str], limit: int, cursor: str | None, query_params: dict | None) -> dict[str, Any]:
    _check_limit(limit)
    if cursor is not None:
        return next_items_page(ctx, cursor, limit)
    visible = [i for i in ids if not ctx.state.item_archived(ctx.state.items[i]) and i not in ctx.state.unlisted]
    if query_params:
        if set(query_params) - {"ids", "operator"}:
            raise SandboxError(
                "The sandbox filters items_page by ids only (query_params.rules are not modelled)",
                "InvalidArgumentException",
            )
        wanted = {str(i) for i in query_params.get("ids") or []}
        visible = [i for i in visible if i in wanted]
    return _page_of(ctx, visible, 0, limit, ctx.now)


def next_items_page(ctx: Ctx, cursor: str, limit: int) -> dict[str, Any]:
    _check_limit(limit)
    c = ctx.cursors.get(cursor)
    if c is None:
        raise SandboxError("The cursor provided is invalid", "InvalidCursorException")
    if ctx.now - c.created > ctx.cursor_ttl:
        raise SandboxError(
            "The cursor has expired: a cursor is valid for 60 minutes after the initial request",
            "CursorExpiredError",
        )
    return _page_of(ctx, c.item_ids, c.position, limit, c.created)


# -- views ---------------------------------------------------------------------------------
class UserView:
    def __init__(self, ctx: Ctx, user: User) -> None:
        self.id = user.id
        self.name = user.name
        self.email = user.email
        self.enabled = user.enabled
        self.is_guest = user.is_guest
        self.created_at = user.created_at
        self.title = user.title
        self.kind = user.kind
        self.url = f"https://{ctx.state.slug}.monday.com/users/{user.id}"
        self.account_id = str(ctx.state.account_id)
        self.is_deleted = False
        self._ctx = ctx

    def account(self, info: Any) -> dict[str, Any]:
        return account(self._ctx)


def account(ctx: Ctx) -> dict[str, Any]:
    st = ctx.state
    return {
        "id": str(st.account_id),
        "name": st.account_name,
        "slug": st.slug,
        "tier": st.tier,
        "show_timeline_weekends": True,
        "first_day_of_the_week": "monday",
        "plan": {"max_users": 50, "period": "monthly", "tier": st.tier, "version": 1},
    }


def _user(ctx: Ctx, uid: str | None) -> UserView | None:
    u = ctx.state.users.get(uid or "")
    return UserView(ctx, u) if u else None


class AssetView:
    def __init__(self, ctx: Ctx, a: Asset) -> None:
        self.id = a.id
        self.name = a.name
        self.file_extension = a.file_extension
        self.file_size = a.file_size
        self.created_at = a.created_at
        self.public_url = ctx.origin + ctx.sign(a.id)
        self.url = (
            f"https://{ctx.state.slug}.monday.com/protected_static/{ctx.state.account_id}/resources/{a.id}/{a.name}"
        )
        self.url_thumbnail = None
        self.original_geometry = None
        self._ctx, self._a = ctx, a

    def uploaded_by(self, info: Any) -> UserView | None:
        return _user(self._ctx, self._a.uploaded_by)


class ReplyView:
    kind = "text"

    def __init__(self, ctx: Ctx, r: Reply) -> None:
        self.id = r.id
        self.body = r.body
        self.text_body = r.text_body
        self.creator_id = r.creator_id
        self.created_at = self.updated_at = self.edited_at = r.created_at
        self.likes: list[Any] = []
        self.pinned_to_top: list[Any] = []
        self._ctx, self._r = ctx, r

    def creator(self, info: Any) -> UserView | None:
        return _user(self._ctx, self._r.creator_id)

    def assets(self, info: Any) -> list[AssetView]:
        return [AssetView(self._ctx, self._ctx.state.assets[a]) for a in self._r.asset_ids]


class UpdateView:
    def __init__(self, ctx: Ctx, u: Update) -> None:
        self.id = u.id
        self.body = u.body
        self.text_body = u.text_body
        self.creator_id = u.creator_id
        self.created_at = self.updated_at = self.edited_at = u.created_at
        self.item_id = u.item_id
        self.original_creation_date = None
        self.likes: list[Any] = []
        self.pinned_to_top: list[Any] = []
        self._ctx, self._u = ctx, u

    def creator(self, info: Any) -> UserView | None:
        return _user(self._ctx, self._u.creator_id)

    def replies(self, info: Any) -> list[ReplyView]:
        return [ReplyView(self._ctx, r) for r in self._u.replies]

    def assets(self, info: Any) -> list[AssetView]:
        return [AssetView(self._ctx, self._ctx.state.assets[a]) for a in self._u.asset_ids]

    def item(self, info: Any) -> ItemView | None:
        it = self._ctx.state.items.get(self._u.item_id)
        return ItemView(self._ctx, it) if it else None


def _updates_page(ctx: Ctx, update_ids: list[str], limit: int, page: int) -> list[UpdateView]:
    """Newest first, as monday.com lists them."""
    _check_limit(limit, 1000)
    if page < 1:
        raise SandboxError("page must be 1 or more", "InvalidArgumentException")
    ordered = sorted(update_ids, key=lambda u: (ctx.state.updates[u].created_at, int(u)), reverse=True)
    return [UpdateView(ctx, ctx.state.updates[u]) for u in ordered[(page - 1) * limit : page * limit]]


class ColumnView:
    def __init__(self, c: Column) -> None:
        self.id = c.id
        self.title = c.title
        self.type = c.type
        self.archived = c.archived
        self.description = c.description
        self.width = c.width
        self.settings = c.settings
        self.settings_str = json.dumps(c.settings)
        self.revision = "1"
        self.capabilities: dict[str, Any] = {}


class GroupView:
    def __init__(self, ctx: Ctx, board: Board, g: Group) -> None:
        self.id = g.id
        self.title = g.title
        self.color = g.color
        self.position = g.position
        self.archived = g.archived
        self.deleted = g.deleted
        self._ctx, self._board, self._g = ctx, board, g

    def items_page(
        self, info: Any, limit: int = 25, cursor: str | None = None, query_params: dict | None = None, **_: Any
    ) -> dict[str, Any]:
        st = self._ctx.state
        ids = [i for i in self._board.item_ids if st.items[i].group_id == self._g.id]
        return items_page(self._ctx, ids, limit, cursor, query_params)


class ColumnValueView:
    is_leaf = True

    def __init__(self, ctx: Ctx, item: Item, col: Column) -> None:
        self._ctx, self._item, self._col = ctx, item, col
        raw = item.values.get(col.id)
        self.id = col.id
        self.type = col.type
        self.typename = VALUE_TYPES.get(col.type, "UnsupportedValue")
        self.value = value_json(raw) if col.type != "mirror" else None
        self.text = _text(ctx, col, raw)
        self.updated_at = item.updated_at
        if col.type == "status":
            idx = raw.get("index") if isinstance(raw, dict) else None
            self.index = idx
            self.label = col.settings.get("labels", {}).get(str(idx)) if idx is not None else None
            self.is_done = idx == 1
        if col.type in ("board_relation", "dependency"):
            self.linked_item_ids = _linked(raw)
            self.display_value = ", ".join(
                ctx.state.items[i].name for i in self.linked_item_ids if i in ctx.state.items
            )
        if col.type == "mirror":
            linked = _linked(item.values.get("connect"))
            labels = []
            for i in linked:
                other = ctx.state.items.get(i)
                st = other.values.get("status") if other else None
                if isinstance(st, dict):
                    labels.append(STATUS_TEXT.get(str(st.get("index")), ""))
            self.display_value = ", ".join(labels)
            self.mirrored_items: list[Any] = []
        if col.type == "subtasks":
            live = [s for s in item.subitem_ids if ctx.state.items[s].state == "active"]
            self.subitems_ids = live
            self.display_value = ", ".join(ctx.state.items[s].name for s in live)
        if col.type == "people":
            self.persons_and_teams = (raw or {}).get("personsAndTeams", []) if isinstance(raw, dict) else []
        if col.type == "file":
            self.files = [
                FileAssetView(ctx, ctx.state.assets[str(f["assetId"])])
                for f in (raw or {}).get("files", [])
                if str(f.get("assetId")) in ctx.state.assets
            ]

    def column(self, info: Any) -> ColumnView:
        return ColumnView(self._col)

    def linked_items(self, info: Any) -> list[ItemView]:
        st = self._ctx.state
        return [ItemView(self._ctx, st.items[i]) for i in getattr(self, "linked_item_ids", []) if i in st.items]


class FileAssetView:
    is_image = False

    def __init__(self, ctx: Ctx, a: Asset) -> None:
        self.asset_id = a.id
        self.name = a.name
        self.created_at = a.created_at
        self.creator_id = a.uploaded_by
        self._ctx, self._a = ctx, a

    def asset(self, info: Any) -> AssetView:
        return AssetView(self._ctx, self._a)

    def creator(self, info: Any) -> UserView | None:
        return _user(self._ctx, self._a.uploaded_by)


STATUS_TEXT = {"0": "Working on it", "1": "Done", "2": "Stuck", "5": ""}


def _linked(raw: Any) -> list[str]:
    if not isinstance(raw, dict):
        return []
    return [str(x.get("linkedPulseId")) for x in raw.get("linkedPulseIds", []) if isinstance(x, dict)]


def _text(ctx: Ctx, col: Column, raw: Any) -> str | None:
    """The display string monday.com gives beside the JSON value."""
    st = ctx.state
    if raw is None:
        return None if col.type in ("board_relation", "dependency", "mirror") else ""
    t = col.type
    if isinstance(raw, str):
        return raw
    if t == "status":
        return col.settings.get("labels", {}).get(str(raw.get("index")), "")
    if t == "people":
        names = [st.users[str(p["id"])].name for p in raw.get("personsAndTeams", []) if str(p["id"]) in st.users]
        return ", ".join(names)
    if t == "date":
        return " ".join(x for x in (raw.get("date"), raw.get("time")) if x)
    if t == "timeline":
        return f"{raw.get('from')} - {raw.get('to')}"
    if t == "long_text":
        return str(raw.get("text", ""))
    if t == "email":
        return str(raw.get("email", ""))
    if t == "phone":
        return str(raw.get("phone", ""))
    if t == "link":
        return f"{raw.get('text')} - {raw.get('url')}" if raw.get("text") else str(raw.get("url", ""))
    if t == "checkbox":
        return "v" if raw.get("checked") in ("true", True) else ""
    if t == "rating":
        return str(raw.get("rating", ""))
    if t == "tags":
        return ", ".join(st.tags[i].name for i in raw.get("tag_ids", []) if i in st.tags)
    if t == "dropdown":
        labels = {x["id"]: x["name"] for x in col.settings.get("labels", [])}
        return ", ".join(labels.get(i, "") for i in raw.get("ids", []))
    if t == "file":
        return ", ".join(
            f"https://{st.slug}.monday.com/protected_static/{st.account_id}/resources/{f['assetId']}/{f['name']}"
            for f in raw.get("files", [])
        )
    if t in ("board_relation", "dependency", "mirror"):
        return None
    if t == "subtasks":
        return None
    if t == "world_clock":
        return str(raw.get("timezone", ""))
    return json.dumps(raw)


class ItemView:
    def __init__(self, ctx: Ctx, it: Item) -> None:
        self.id = it.id
        self.name = it.name
        self.state = it.state
        self.created_at = it.created_at
        self.updated_at = it.updated_at
        self.creator_id = it.creator_id
        self.email = f"pulse-{it.id}@{ctx.state.slug}.monday.com"
        self.url = f"https://{ctx.state.slug}.monday.com/boards/{it.board_id}/pulses/{it.id}"
        self.relative_link = f"/boards/{it.board_id}/pulses/{it.id}"
        self._ctx, self._it = ctx, it

    def board(self, info: Any) -> BoardView:
        return BoardView(self._ctx, self._ctx.state.boards[self._it.board_id])

    def group(self, info: Any) -> GroupView | None:
        board = self._ctx.state.boards[self._it.board_id]
        g = next((g for g in board.groups if g.id == self._it.group_id), None)
        return GroupView(self._ctx, board, g) if g else None

    def creator(self, info: Any) -> UserView | None:
        return _user(self._ctx, self._it.creator_id)

    def subscribers(self, info: Any) -> list[UserView]:
        return []

    def column_values(
        self, info: Any, ids: list[str] | None = None, types: list[str] | None = None, **_: Any
    ) -> list[ColumnValueView]:
        board = self._ctx.state.boards[self._it.board_id]
        out = []
        for col in board.columns:
            if col.type == "name" or col.archived:
                continue
            if ids is not None and col.id not in ids:
                continue
            if types is not None and col.type not in types:
                continue
            out.append(ColumnValueView(self._ctx, self._it, col))
        return out

    def subitems(self, info: Any) -> list[ItemView]:
        st = self._ctx.state
        return [ItemView(self._ctx, st.items[s]) for s in self._it.subitem_ids if st.items[s].state == "active"]

    def parent_item(self, info: Any) -> ItemView | None:
        p = self._ctx.state.items.get(self._it.parent_id or "")
        return ItemView(self._ctx, p) if p else None

    def updates(self, info: Any, limit: int = 25, page: int = 1, ids: list[str] | None = None) -> list[UpdateView]:
        wanted = [u for u in self._it.update_ids if ids is None or u in ids]
        return _updates_page(self._ctx, wanted, limit, page)

    def assets(
        self, info: Any, assets_source: str | None = "all", column_ids: list[str] | None = None
    ) -> list[AssetView]:
        st = self._ctx.state
        ids: list[str] = []
        if assets_source in (None, "all", "columns"):
            ids += self._it.asset_ids
        if assets_source in (None, "all", "gallery"):
            for u in self._it.update_ids:
                up = st.updates[u]
                ids += up.asset_ids
                for r in up.replies:
                    ids += r.asset_ids
        return [AssetView(self._ctx, st.assets[a]) for a in dict.fromkeys(ids)]


class BoardView:
    def __init__(self, ctx: Ctx, b: Board) -> None:
        self.id = b.id
        self.name = b.name
        self.board_kind = b.board_kind
        self.state = b.state
        self.type = b.type
        self.description = b.description
        self.workspace_id = b.workspace_id
        self.created_at = b.created_at
        self.updated_at = b.updated_at
        self.board_folder_id = None
        self.permissions = "everyone"
        self.url = f"https://{ctx.state.slug}.monday.com/boards/{b.id}"
        self._ctx, self._b = ctx, b

    @property
    def items_count(self) -> int:
        st = self._ctx.state
        live = {g.id for g in self._b.groups if not g.archived and not g.deleted}
        return sum(1 for i in self._b.item_ids if st.items[i].state == "active" and st.items[i].group_id in live)

    def workspace(self, info: Any) -> dict[str, Any] | None:
        w = self._ctx.state.workspaces.get(self._b.workspace_id or "")
        return None if w is None else {"id": w.id, "name": w.name, "kind": w.kind, "state": w.state}

    def groups(self, info: Any, ids: list[str] | None = None) -> list[GroupView]:
        return [
            GroupView(self._ctx, self._b, g) for g in self._b.groups if not g.deleted and (ids is None or g.id in ids)
        ]

    def top_group(self, info: Any) -> GroupView:
        return self.groups(info)[0]

    def columns(
        self, info: Any, ids: list[str] | None = None, types: list[str] | None = None, **_: Any
    ) -> list[ColumnView]:
        return [
            ColumnView(c)
            for c in self._b.columns
            if not c.archived and (ids is None or c.id in ids) and (types is None or c.type in types)
        ]

    def owners(self, info: Any) -> list[UserView | None]:
        return [_user(self._ctx, u) for u in self._b.owner_ids]

    def subscribers(self, info: Any) -> list[UserView | None]:
        return [_user(self._ctx, u) for u in self._b.subscriber_ids]

    def creator(self, info: Any) -> UserView | None:
        return _user(self._ctx, self._b.creator_id)

    def tags(self, info: Any) -> list[dict[str, Any]]:
        st = self._ctx.state
        return [{"id": str(t), "name": st.tags[t].name, "color": st.tags[t].color} for t in self._b.tag_ids]

    def items_page(
        self, info: Any, limit: int = 25, cursor: str | None = None, query_params: dict | None = None, **_: Any
    ) -> dict[str, Any]:
        return items_page(self._ctx, self._b.item_ids, limit, cursor, query_params)

    def updates(
        self, info: Any, limit: int = 25, page: int = 1, ids: list[str] | None = None, **_: Any
    ) -> list[UpdateView]:
        st = self._ctx.state
        wanted = [u for i in self._b.item_ids for u in st.items[i].update_ids if ids is None or u in ids]
        return _updates_page(self._ctx, wanted, limit, page)

    def activity_logs(self, info: Any, limit: int = 25, page: int = 1, **kw: Any) -> list[dict[str, Any]]:
        """The board's log, newest first, filtered by `from`/`to` (ISO 8601, inclusive) and by
        item, group, column and user; at most 10,000 logs whatever the paging (reference:
        "Limit: up to 10,000 logs total")."""
        if limit < 1 or page < 1:
            raise SandboxError("limit and page must be 1 or more", "InvalidArgumentException")
        start, end = _ticks_of(kw.get("from")), _ticks_of(kw.get("to"))
        items = {str(i) for i in kw.get("item_ids") or []}
        groups, columns = set(kw.get("group_ids") or []), set(kw.get("column_ids") or [])
        users = {str(u) for u in kw.get("user_ids") or []}
        logs = [
            log
            for log in reversed(self._ctx.state.activity.get(self._b.id, []))
            if (start is None or log.created_at >= start)
            and (end is None or log.created_at < end + 10_000_000)  # `to` is a whole second, inclusive
            and (not items or str(log.data.get("pulse_id")) in items)
            and (not groups or log.data.get("group_id") in groups)
            and (not columns or log.data.get("column_id") in columns)
            and (not users or log.user_id in users)
        ][:ACTIVITY_LOGS_MAX]
        return [
            {
                "id": log.id,
                "account_id": str(self._ctx.state.account_id),
                "created_at": str(log.created_at),
                "data": json.dumps(log.data, ensure_ascii=False, separators=(",", ":")),
                "entity": log.entity,
                "event": log.event,
                "user_id": log.user_id,
            }
            for log in logs[(page - 1) * limit : page * limit]
        ]


# -- the root ------------------------------------------------------------------------------
class Root:
    def __init__(self, ctx: Ctx) -> None:
        self._ctx = ctx

    def me(self, info: Any) -> UserView | None:
        return _user(self._ctx, self._ctx.state.me_id)

    def account(self, info: Any) -> dict[str, Any]:
        return account(self._ctx)

    def version(self, info: Any) -> dict[str, Any]:
        return {
            "kind": "current",
            "value": self._ctx.complexity.get("version_value", "2026-07"),
            "display_name": "Current",
        }

    def complexity(self, info: Any) -> dict[str, int]:
        c = self._ctx.complexity
        return {k: c[k] for k in ("before", "after", "query", "reset_in_x_seconds")}

    def boards(
        self,
        info: Any,
        ids: list[str] | None = None,
        board_kind: str | None = None,
        state: str = "active",
        workspace_ids: list[str] | None = None,
        limit: int = 25,
        page: int = 1,
        **_: Any,
    ) -> list[BoardView]:
        _check_limit(limit, 1000)
        st = self._ctx.state
        out = [
            b
            for b in st.boards.values()
            if (ids is None or b.id in ids)
            and (board_kind is None or b.board_kind == board_kind)
            and (state == "all" or b.state == state)
            and (workspace_ids is None or b.workspace_id in workspace_ids)
        ]
        return [BoardView(self._ctx, b) for b in out[(page - 1) * limit : page * limit]]

    def workspaces(
        self, info: Any, ids: list[str] | None = None, limit: int = 25, page: int = 1, **_: Any
    ) -> list[dict[str, Any]]:
        ws = [w for w in self._ctx.state.workspaces.values() if ids is None or w.id in ids]
        return [
            {"id": w.id, "name": w.name, "kind": w.kind, "state": w.state, "description": w.description}
            for w in ws[(page - 1) * limit : page * limit]
        ]

    def items(
        self,
        info: Any,
        ids: list[str] | None = None,
        limit: int = 25,
        page: int = 1,
        exclude_nonactive: bool | None = None,
        **_: Any,
    ) -> list[ItemView]:
        """Items by id, archived ones too unless `exclude_nonactive`; deleted ones never."""
        _check_limit(limit, ROOT_ITEMS_MAX)
        st = self._ctx.state
        found = [
            st.items[i]
            for i in (ids or [])
            if i in st.items
            and st.items[i].state != "deleted"
            and not (exclude_nonactive and st.item_archived(st.items[i]))
        ]
        return [ItemView(self._ctx, i) for i in found[(page - 1) * limit : page * limit]]

    def next_items_page(self, info: Any, cursor: str, limit: int = 25) -> dict[str, Any]:
        return next_items_page(self._ctx, cursor, limit)

    def users(
        self, info: Any, ids: list[str] | None = None, limit: int = 200, page: int = 1, **_: Any
    ) -> list[UserView]:
        _check_limit(limit, 1000)
        us = [u for u in self._ctx.state.users.values() if ids is None or u.id in ids]
        return [UserView(self._ctx, u) for u in us[(page - 1) * limit : page * limit]]

    def assets(self, info: Any, ids: list[str]) -> list[AssetView]:
        st = self._ctx.state
        return [AssetView(self._ctx, st.assets[a]) for a in ids if a in st.assets]


# -- complexity ----------------------------------------------------------------------------
def complexity(doc: DocumentNode, variables: dict[str, Any] | None, operation_name: str | None = None) -> int:
    """The cost of the operation, from the document alone (before anything runs)."""
    sch = schema()
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    if op is None:
        return 0
    root = sch.mutation_type if op.operation.value == "mutation" else sch.query_type
    assert root is not None
    return _cost(op.selection_set, root, fragments, variables or {})


def _cost(sel: SelectionSetNode, parent: Any, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> int:
    total = 0
    for node in sel.selections:
        if isinstance(node, FragmentSpreadNode):
            frag = fragments.get(node.name.value)
            if frag is not None:
                total += _cost(
                    frag.selection_set, schema().get_type(frag.type_condition.name.value), fragments, variables
                )
        elif isinstance(node, InlineFragmentNode):
            t = schema().get_type(node.type_condition.name.value) if node.type_condition else parent
            total += _cost(node.selection_set, t, fragments, variables)
        elif isinstance(node, FieldNode):
            fields = getattr(parent, "fields", {})
            fdef = fields.get(node.name.value)
            if fdef is None:
                total += 1
                continue
            cost = 1
            if node.selection_set is not None:
                child_type, is_list = named(fdef.type)
                factor = 1
                if "limit" in fdef.args:
                    arg = next((a for a in node.arguments or [] if a.name.value == "limit"), None)
                    limit = value_from_ast(arg.value, fdef.args["limit"].type, variables) if arg else None
                    factor = int(limit if isinstance(limit, int) else fdef.args["limit"].default_value or 25)
                    ids = next((a for a in node.arguments or [] if a.name.value == "ids"), None)
                    if ids is not None and "ids" in fdef.args:
                        asked = value_from_ast(ids.value, fdef.args["ids"].type, variables)
                        if isinstance(asked, list):
                            factor = min(factor, len(asked))  # asking for these ids: no more than them
                elif is_list and getattr(parent, "name", "") not in PAGE_TYPES:
                    factor = UNBOUNDED_LIST_FACTOR
                cost += factor * _cost(node.selection_set, child_type, fragments, variables)
            total += cost
    return total


def _ticks_of(when: Any) -> int | None:
    """An ISO 8601 argument as 17-digit activity-log time; malformed is monday.com's error."""
    if when is None:
        return None
    try:
        moment = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
    except ValueError:
        raise SandboxError(f"Invalid ISO8601DateTime: {when}", "InvalidArgumentException") from None
    return ticks((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def now_iso() -> str:
    return iso(time.time())
