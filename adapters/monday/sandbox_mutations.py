"""The monday.com sandbox as a target: the mutations a migration into monday.com sends
(reference M5, signatures from the SDL), resolved over the sandbox's state, and the one query
a target needs beyond the source's (`items_page_by_column_values`).

- Column values arrive as a JSON string of `{column id: value}`; each value is checked against
  its column's type in the shapes monday.com documents (reference M5), and a wrong one answers
  monday.com's own `ColumnValueException` (an unknown column: `InvalidColumnIdException`), so a
  write our mapping gets wrong is refused here as it would be there. Values are stored in the
  shape the source side reads back (a status by index, a dropdown by ids).
- An item's name is 1 to 255 characters (`ItemNameTooLongException`); a board holds at most
  10,000 items (`ItemsLimitationException`).
- Each mutation costs `MUTATION_COST` complexity points on top of its selection (reference M5:
  "each create_item mutation uses 10,000 complexity points"), so aliased mutations in one
  request are charged one by one against the per-query cap and the minute's budget.
- Deleting a board, an item or an update marks it deleted (monday.com's trash); the export
  leaves out what the API made and then deleted, as it is gone from the account's view.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from graphql import DocumentNode, FieldNode, OperationDefinitionNode

from adapters.monday import sandbox_graphql as gql
from adapters.monday import sandbox_webhooks as hooks
from adapters.monday.sandbox_state import Asset, Board, Column, Group, Item, MondayState, Tag, Update, subitems_board

MUTATION_COST = 10_000
ITEMS_PER_BOARD = 10_000
NAME_MAX = 255
MARKER = re.compile(r"\[mw:([^\]\s]+)\]")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
WRITABLE_TYPES = {
    "text",
    "long_text",
    "numbers",
    "status",
    "date",
    "people",
    "dropdown",
    "email",
    "link",
    "checkbox",
    "tags",
    "timeline",
    "phone",
    "rating",
    "file",
}


def mutation_cost(doc: DocumentNode, operation_name: str | None) -> int:
    """What the mutations of a request cost beyond their selections: `MUTATION_COST` each
    (every alias counts)."""
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    if op is None or op.operation.value != "mutation":
        return 0
    fields = [s for s in op.selection_set.selections if isinstance(s, FieldNode) and s.name.value != "complexity"]
    return MUTATION_COST * len(fields)


# What monday.com counts against "19,000 items per account per hour", its item create/update
# budget (developer.monday.com/api-reference/docs/importing-items-in-bulk, reference M5): the
# mutations that create an item (a subitem is an item) or change its column values.
ITEM_WRITES = frozenset(
    {
        "create_item",
        "create_subitem",
        "duplicate_item",
        "change_multiple_column_values",
        "change_column_value",
        "change_simple_column_value",
    }
)


def item_writes(doc: DocumentNode, operation_name: str | None) -> int:
    """How many items a request creates or updates (every alias counts)."""
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    if op is None or op.operation.value != "mutation":
        return 0
    return sum(1 for s in op.selection_set.selections if isinstance(s, FieldNode) and s.name.value in ITEM_WRITES)


def is_mutation(doc: DocumentNode, operation_name: str | None) -> bool:
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    return op is not None and op.operation.value == "mutation"


def _refuse(message: str, code: str, **data: Any) -> gql.SandboxError:
    return gql.SandboxError(message, code, **data)


def _board(st: MondayState, board_id: Any) -> Board:
    b = st.boards.get(str(board_id))
    if b is None or b.state == "deleted":
        raise _refuse(f"Board {board_id} does not exist", "InvalidBoardIdException", board_id=str(board_id))
    return b


def _item(st: MondayState, item_id: Any) -> Item:
    it = st.items.get(str(item_id))
    if it is None or it.state == "deleted":
        raise _refuse(f"Item {item_id} does not exist", "InvalidItemIdException", item_id=str(item_id))
    return it


def _name(name: str) -> str:
    if not 1 <= len(name) <= NAME_MAX:
        raise _refuse(
            f"Item name must be between 1 and {NAME_MAX} characters, got {len(name)}",
            "ItemNameTooLongException",
        )
    return name


def _bad_value(col: Column, value: Any) -> gql.SandboxError:
    return _refuse(
        "invalid value, please check our API documentation for the correct data structure for this column. "
        "https://developer.monday.com/api-reference/docs/change-column-values",
        "ColumnValueException",
        column_value=json.dumps(value)[:200],
        column_type=col.type,
        column_id=col.id,
    )


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def column_value(st: MondayState, board: Board, col: Column, value: Any, create_labels: bool) -> Any:
    """The value as monday.com stores it, or its `ColumnValueException`."""
    if value is None or value == "":
        return None  # clears the column
    t = col.type
    bad = _bad_value(col, value)
    if t not in WRITABLE_TYPES or t == "file":
        raise bad  # files go through add_file_to_column; formulas, mirrors, ... are read-only
    if t == "text":
        if not _is_str(value):
            raise bad
        return value
    if t == "long_text":
        if _is_str(value):
            return {"text": value}
        if isinstance(value, dict) and _is_str(value.get("text")):
            return {"text": value["text"]}
        raise bad
    if t == "numbers":
        try:
            float(value if _is_str(value) or isinstance(value, (int, float)) else "x")
        except ValueError:
            raise bad from None
        return str(value)
    if t in ("status", "dropdown"):
        return _labelled(col, value, create_labels, bad)
    if t == "date":
        if _is_str(value):
            value = {"date": value.split(" ")[0], **({"time": value.split(" ")[1]} if " " in value else {})}
        if not isinstance(value, dict) or not DATE_RE.match(str(value.get("date", ""))):
            raise bad
        if value.get("time") is not None and not TIME_RE.match(str(value["time"])):
            raise bad
        return {"date": value["date"], **({"time": value["time"]} if value.get("time") else {})}
    if t == "people":
        people = value.get("personsAndTeams") if isinstance(value, dict) else None
        if not isinstance(people, list):
            raise bad
        for p in people:
            if not isinstance(p, dict) or p.get("kind") not in ("person", "team") or str(p.get("id")) not in st.users:
                raise bad
        return {"personsAndTeams": [{"id": int(p["id"]), "kind": p["kind"]} for p in people]}
    if t == "email":
        if not isinstance(value, dict) or not _is_str(value.get("email")) or "@" not in value["email"]:
            raise bad
        return {"email": value["email"], "text": str(value.get("text") or value["email"])}
    if t == "link":
        if not isinstance(value, dict) or not _is_str(value.get("url")):
            raise bad
        return {"url": value["url"], "text": str(value.get("text") or value["url"])}
    if t == "checkbox":
        if not isinstance(value, dict) or str(value.get("checked")).lower() not in ("true", "false"):
            raise bad
        return {"checked": "true"} if str(value["checked"]).lower() == "true" else None
    if t == "tags":
        ids = value.get("tag_ids") if isinstance(value, dict) else None
        if not isinstance(ids, list) or any(int(i) not in st.tags for i in ids):
            raise bad
        return {"tag_ids": [int(i) for i in ids]}
    if t == "timeline":
        if not isinstance(value, dict) or not all(DATE_RE.match(str(value.get(k, ""))) for k in ("from", "to")):
            raise bad
        return {"from": value["from"], "to": value["to"]}
    if t == "phone":
        if not isinstance(value, dict) or not _is_str(value.get("phone")):
            raise bad
        return value
    if t == "rating":
        if not isinstance(value, dict) or not isinstance(value.get("rating"), int):
            raise bad
        return value
    raise bad


def _labelled(col: Column, value: Any, create_labels: bool, bad: gql.SandboxError) -> Any:
    """A status ({"label"} or {"index"}) or a dropdown ({"labels": [...]} or {"ids": [...]})."""
    if col.type == "status":
        labels: dict[str, str] = col.settings.setdefault("labels", {})
        if isinstance(value, dict) and "index" in value:
            if str(value["index"]) not in labels:
                raise bad
            return {"index": int(value["index"])}
        label = value.get("label") if isinstance(value, dict) else value if _is_str(value) else None
        if not isinstance(label, str):
            raise bad
        found: str | None = next((k for k, v in labels.items() if v == label), None)
        if found is None:
            if not create_labels:
                raise bad
            found = str(max((int(k) for k in labels), default=-1) + 1)
            labels[found] = label
        return {"index": int(found)}
    options: list[dict[str, Any]] = col.settings.setdefault("labels", [])
    if isinstance(value, dict) and isinstance(value.get("ids"), list):
        known = {int(o["id"]) for o in options}
        if any(int(i) not in known for i in value["ids"]):
            raise bad
        return {"ids": [int(i) for i in value["ids"]]}
    names = value.get("labels") if isinstance(value, dict) else None
    if not isinstance(names, list) or not all(_is_str(n) for n in names):
        raise bad
    ids = []
    for n in names:
        o = next((o for o in options if o["name"] == n), None)
        if o is None:
            if not create_labels:
                raise bad
            o = {"id": max((int(x["id"]) for x in options), default=0) + 1, "name": n}
            options.append(o)
        ids.append(int(o["id"]))
    return {"ids": ids}


def _values(st: MondayState, board: Board, raw: Any, create_labels: bool) -> dict[str, Any]:
    """`column_values` (a JSON string, or a JSON object) checked column by column."""
    if raw is None:
        return {}
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise _refuse("column_values is not valid JSON", "InvalidArgumentException") from None
    if not isinstance(values, dict):
        raise _refuse("column_values must be a JSON object of column ids", "InvalidArgumentException")
    cols = {c.id: c for c in board.columns if not c.archived}
    out: dict[str, Any] = {}
    for cid, v in values.items():
        if cid == "name":
            out["name"] = _name(str(v))
            continue
        col = cols.get(cid)
        if col is None:
            raise _refuse(
                f"This column ID doesn't exist for the board: {cid}", "InvalidColumnIdException", column_id=cid
            )
        out[cid] = column_value(st, board, col, v, create_labels)
    return out


class TargetRoot(gql.Root):
    """The queries, plus what a target looks items and tags up by, and a board's webhooks."""

    def webhooks(self, info: Any, board_id: str, app_webhooks_only: bool = False) -> list[dict[str, Any]]:
        _board(self._ctx.state, board_id)
        return [hooks.out(h) for h in self._ctx.state.webhooks.values() if h["board_id"] == str(board_id)]

    def tags(self, info: Any, ids: list[str] | None = None, **_: Any) -> list[dict[str, Any]]:
        st = self._ctx.state
        return [
            {"id": str(t.id), "name": t.name, "color": t.color}
            for t in st.tags.values()
            if ids is None or str(t.id) in {str(i) for i in ids}
        ]

    def items_page_by_column_values(
        self,
        info: Any,
        board_id: str,
        columns: list[dict[str, Any]] | None = None,
        cursor: str | None = None,
        limit: int = 25,
        **_: Any,
    ) -> dict[str, Any]:
        if cursor is not None:
            return gql.next_items_page(self._ctx, cursor, limit)
        gql._check_limit(limit)
        st = self._ctx.state
        board = _board(st, board_id)
        ids = [i for i in board.item_ids if not st.item_archived(st.items[i])]
        cols = {c.id: c for c in board.columns}
        for rule in columns or []:
            col = cols.get(rule["column_id"])
            if col is None:
                raise _refuse(
                    f"This column ID doesn't exist for the board: {rule['column_id']}",
                    "InvalidColumnIdException",
                )
            wanted = {str(v) for v in rule.get("column_values") or []}
            ids = [i for i in ids if gql._text(self._ctx, col, st.items[i].values.get(col.id)) in wanted]
        return gql._page_of(self._ctx, ids, 0, limit, self._ctx.now)


class MutationRoot:
    """Each mutation, resolved over the state. `upload`: the file part of a request to the
    file endpoint, as (file name, bytes)."""

    def __init__(self, ctx: gql.Ctx, upload: tuple[str, bytes] | None = None) -> None:
        self._ctx = ctx
        self._upload = upload

    @property
    def _st(self) -> MondayState:
        return self._ctx.state

    def _made(self, ident: str) -> str:
        self._st.made.add(ident)
        return ident

    def complexity(self, info: Any) -> dict[str, int]:
        c = self._ctx.complexity
        return {k: c[k] for k in ("before", "after", "query", "reset_in_x_seconds")}

    def create_or_get_tag(self, info: Any, tag_name: str | None = None, board_id: str | None = None) -> dict[str, Any]:
        """The account's tag of this name (case aside), made when there is none."""
        st = self._st
        name = (tag_name or "").strip()
        if not name:
            raise _refuse("Tag name can't be blank", "InvalidArgumentException")
        tag = next((t for t in st.tags.values() if t.name.lower() == name.lower()), None)
        if tag is None:
            tag = Tag(int(st.new_id()), name, gql_color(len(st.tags)))
            st.tags[tag.id] = tag
            self._made(str(tag.id))
        return {"id": str(tag.id), "name": tag.name, "color": tag.color}

    # -- boards, groups, columns -------------------------------------------------------------
    def create_board(
        self,
        info: Any,
        board_name: str,
        board_kind: str,
        description: str | None = None,
        workspace_id: str | None = None,
        empty: bool = False,
        **_: Any,
    ) -> gql.BoardView:
        st = self._st
        if not board_name.strip():
            raise _refuse("Board name can't be blank", "CreateBoardException")
        now = gql.now_iso()
        b = Board(
            self._made(st.new_id()),
            board_name,
            board_kind,
            "active",
            str(workspace_id) if workspace_id else None,
            now,
            now,
            st.me_id,
            description=description or "",
            owner_ids=[st.me_id],
        )
        b.columns = [Column("name", "Name", "name")]
        if not empty:  # what the web UI's blank board starts with
            b.groups = [Group("topics", "Group Title", gql_color(0), "65536")]
            b.columns += [Column("person", "Person", "people"), Column("status", "Status", "status", {"labels": {}})]
        st.boards[b.id] = b
        return gql.BoardView(self._ctx, b)

    def create_group(
        self, info: Any, board_id: str, group_name: str, group_color: str | None = None, **_: Any
    ) -> gql.GroupView:
        b = _board(self._st, board_id)
        gid = f"group_{self._st.new_id()}"
        g = Group(gid, group_name, group_color or gql_color(len(b.groups)), str(65536 * (len(b.groups) + 1)))
        b.groups.append(g)
        self._made(f"{b.id}/{gid}")
        return gql.GroupView(self._ctx, b, g)

    def create_column(
        self,
        info: Any,
        board_id: str,
        title: str,
        column_type: str,
        id: str | None = None,
        description: str | None = None,
        defaults: Any = None,
        **_: Any,
    ) -> gql.ColumnView:
        b = _board(self._st, board_id)
        cid = id or f"{column_type[:10]}_{self._st.new_id()[-6:]}"
        if any(c.id == cid for c in b.columns):
            raise _refuse(f"Column id {cid} is already taken on this board", "ColumnValueException", column_id=cid)
        settings = json.loads(defaults) if isinstance(defaults, str) else dict(defaults or {})
        if column_type == "status":
            settings.setdefault("labels", {})
        if column_type == "dropdown":
            settings.setdefault("labels", [])
        col = Column(cid, title, column_type, settings, description=description)
        b.columns.append(col)
        self._made(f"{b.id}/{cid}")
        return gql.ColumnView(col)

    def change_column_title(self, info: Any, board_id: str, column_id: str, title: str) -> gql.ColumnView:
        col = self._column(board_id, column_id)
        col.title = title
        return gql.ColumnView(col)

    def delete_column(self, info: Any, board_id: str, column_id: str) -> gql.ColumnView:
        col = self._column(board_id, column_id)
        col.archived = True  # gone from the board's columns, as monday.com's deleted columns are
        return gql.ColumnView(col)

    def _column(self, board_id: str, column_id: str) -> Column:
        b = _board(self._st, board_id)
        col = next((c for c in b.columns if c.id == column_id and not c.archived), None)
        if col is None:
            raise _refuse(f"This column ID doesn't exist for the board: {column_id}", "InvalidColumnIdException")
        return col

    def update_board(self, info: Any, board_id: str, board_attribute: str, new_value: str) -> dict[str, Any]:
        """A board's name or description (reference M5: answers JSON, not the board)."""
        b = _board(self._st, board_id)
        if board_attribute == "name":
            if not new_value.strip():
                raise _refuse("Board name can't be blank", "InvalidArgumentException")
            b.name = new_value
        elif board_attribute == "description":
            b.description = new_value
        else:
            raise _refuse(f"The board attribute {board_attribute} can't be set here", "InvalidArgumentException")
        b.updated_at = gql.now_iso()
        return {"success": True, "undo_data": {"entity_type": "Board", "entity_id": int(b.id), "count": 1}}

    def delete_board(self, info: Any, board_id: str) -> gql.BoardView:
        b = _board(self._st, board_id)
        b.state = "deleted"
        b.updated_at = gql.now_iso()
        return gql.BoardView(self._ctx, b)

    # -- items -------------------------------------------------------------------------------
    def create_item(
        self,
        info: Any,
        board_id: str,
        item_name: str,
        group_id: str | None = None,
        column_values: Any = None,
        create_labels_if_missing: bool = False,
        **_: Any,
    ) -> gql.ItemView:
        st = self._st
        b = _board(st, board_id)
        live = [g for g in b.groups if not g.deleted and not g.archived]
        group = next((g for g in live if g.id == group_id), None) if group_id else (live[0] if live else None)
        if group is None:
            raise _refuse(f"Group {group_id} does not exist on board {b.id}", "InvalidArgumentException")
        if sum(1 for i in b.item_ids if st.items[i].state != "deleted") >= ITEMS_PER_BOARD:
            raise _refuse(
                f"You have reached the limit of {ITEMS_PER_BOARD:,} items per board", "ItemsLimitationException"
            )
        values = _values(st, b, column_values, bool(create_labels_if_missing))
        name = _name(values.pop("name", item_name))
        now = gql.now_iso()
        it = Item(self._made(st.new_id()), b.id, group.id, name, now, now, st.me_id)
        it.values = {k: v for k, v in values.items() if v is not None}
        st.items[it.id] = it
        b.item_ids.append(it.id)
        st.log_item(it, "create_pulse")  # every change through the API is in the board's activity log
        return gql.ItemView(self._ctx, it)

    def create_subitem(
        self,
        info: Any,
        parent_item_id: str,
        item_name: str,
        column_values: Any = None,
        create_labels_if_missing: bool = False,
        **_: Any,
    ) -> gql.ItemView:
        """A subitem, on the parent board's subitems board (made with the board's first one,
        as monday.com makes it); its column values are checked against that board's columns."""
        st = self._st
        parent = _item(st, parent_item_id)
        if parent.parent_id is not None:
            raise _refuse("A subitem can't have subitems of its own", "InvalidArgumentException")
        board = _board(st, parent.board_id)
        sub = st.boards.get(board.subitems_board_id or "") or subitems_board(st, board)
        if sum(1 for i in sub.item_ids if st.items[i].state != "deleted") >= ITEMS_PER_BOARD:
            raise _refuse(
                f"You have reached the limit of {ITEMS_PER_BOARD:,} items per board", "ItemsLimitationException"
            )
        values = _values(st, sub, column_values, bool(create_labels_if_missing))
        name = _name(values.pop("name", item_name))
        now = gql.now_iso()
        it = Item(self._made(st.new_id()), sub.id, sub.groups[0].id, name, now, now, st.me_id, parent_id=parent.id)
        it.values = {k: v for k, v in values.items() if v is not None}
        st.items[it.id] = it
        sub.item_ids.append(it.id)
        parent.subitem_ids.append(it.id)
        if getattr(st, "subitem_bumps_parent", False):  # a state saved before the option had none
            parent.updated_at = now  # no change of the parent's own: its activity log holds none
        st.log_item(it, "create_pulse")
        return gql.ItemView(self._ctx, it)

    def change_multiple_column_values(
        self,
        info: Any,
        board_id: str,
        column_values: Any,
        item_id: str | None = None,
        create_labels_if_missing: bool = False,
        **_: Any,
    ) -> gql.ItemView:
        st = self._st
        b = _board(st, board_id)
        it = _item(st, item_id)
        if it.board_id != b.id:
            raise _refuse(f"Item {it.id} is not on board {b.id}", "InvalidItemIdException")
        values = _values(st, b, column_values, bool(create_labels_if_missing))
        if "name" in values:
            old_name, it.name = it.name, values.pop("name")
            st.log_item(it, "update_name", value={"name": it.name}, previous_value={"name": old_name})
        for k, v in values.items():
            previous = it.values.get(k)
            if v is None:
                it.values.pop(k, None)
            else:
                it.values[k] = v
            st.log_item(it, "update_column_value", column_id=k, value=v, previous_value=previous)
        it.updated_at = gql.now_iso()
        return gql.ItemView(self._ctx, it)

    def move_item_to_group(self, info: Any, group_id: str, item_id: str | None = None) -> gql.ItemView:
        it = _item(self._st, item_id)
        b = self._st.boards[it.board_id]
        if not any(g.id == group_id and not g.deleted for g in b.groups):
            raise _refuse(f"Group {group_id} does not exist on board {b.id}", "InvalidArgumentException")
        old_group, it.group_id = it.group_id, group_id
        it.updated_at = gql.now_iso()
        self._st.log_item(it, "move_pulse_into_group", source_group_id=old_group, dest_group_id=group_id)
        return gql.ItemView(self._ctx, it)

    def delete_item(self, info: Any, item_id: str | None = None) -> gql.ItemView:
        it = _item(self._st, item_id)
        it.state = "deleted"
        it.updated_at = gql.now_iso()
        self._st.log_item(it, "delete_pulse")
        return gql.ItemView(self._ctx, it)

    def archive_item(self, info: Any, item_id: str | None = None) -> gql.ItemView:
        it = _item(self._st, item_id)
        it.state = "archived"
        it.updated_at = gql.now_iso()
        self._st.log_item(it, "archive_pulse")
        return gql.ItemView(self._ctx, it)

    # -- webhooks ----------------------------------------------------------------------------
    def create_webhook(self, info: Any, board_id: str, url: str, event: str, config: Any = None) -> dict[str, Any]:
        b = _board(self._st, board_id)
        try:
            return hooks.out(hooks.create(self._st, b.id, url, event, config))
        except hooks.WebhookRefused as e:
            raise _refuse(str(e), "InvalidArgumentException", url=url) from None
        except ValueError:
            raise _refuse("The webhook config is not JSON", "InvalidArgumentException") from None

    def delete_webhook(self, info: Any, id: str) -> dict[str, Any]:
        hook = self._st.webhooks.pop(str(id), None)
        if hook is None:
            raise _refuse(f"Webhook {id} does not exist", "ResourceNotFoundException")
        return hooks.out(hook)

    # -- updates and files -------------------------------------------------------------------
    def create_update(
        self,
        info: Any,
        body: str,
        item_id: str | None = None,
        parent_id: str | None = None,
        original_creation_date: str | None = None,
        **_: Any,
    ) -> gql.UpdateView:
        st = self._st
        if parent_id:
            raise _refuse("Replies are not modelled by the sandbox", "InvalidArgumentException")
        it = _item(st, item_id)
        if not body.strip():
            raise _refuse("Update body can't be blank", "InvalidArgumentException")
        text = re.sub(r"<[^>]+>", "", body.replace("</p>", "\n").replace("<br>", "\n")).strip()
        up = Update(self._made(st.new_id()), it.id, body, _unescape(text), st.me_id, gql.now_iso())
        st.post_update(up)
        return gql.UpdateView(self._ctx, up)

    def delete_update(self, info: Any, id: str) -> gql.UpdateView:
        up = self._st.updates.get(str(id))
        if up is None:
            raise _refuse(f"Update {id} does not exist", "ResourceNotFoundException")
        view = gql.UpdateView(self._ctx, up)
        del self._st.updates[up.id]
        it = self._st.items.get(up.item_id)
        if it is not None and up.id in it.update_ids:
            it.update_ids.remove(up.id)
        return view

    def add_file_to_column(self, info: Any, item_id: str, column_id: str, file: Any) -> gql.AssetView:
        st = self._st
        if self._upload is None:
            raise _refuse(
                "add_file_to_column takes a file: send it to /v2/file as multipart", "InvalidArgumentException"
            )
        it = _item(st, item_id)
        b = st.boards[it.board_id]
        col = next((c for c in b.columns if c.id == column_id and not c.archived), None)
        if col is None:
            raise _refuse(f"This column ID doesn't exist for the board: {column_id}", "InvalidColumnIdException")
        if col.type != "file":
            raise _bad_value(col, {"file": "..."})
        name, data = self._upload
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        now = gql.now_iso()
        a = Asset(self._made(st.new_id()), name, ext, len(data), now, st.me_id, it.id)
        st.assets[a.id] = a
        st.uploads[a.id] = hashlib.sha256(data).hexdigest()
        it.asset_ids.append(a.id)
        files = it.values.setdefault(column_id, {"files": []}).setdefault("files", [])
        files.append(
            {
                "name": name,
                "assetId": int(a.id),
                "isImage": "false",
                "fileType": "ASSET",
                "createdAt": int(gql.time.time() * 1000),
                "createdBy": st.me_id,
            }
        )
        it.updated_at = now
        return gql.AssetView(self._ctx, a)


def gql_color(n: int) -> str:
    return ["#579bfc", "#a25ddc", "#fdab3d", "#00c875", "#e2445c", "#037f4c"][n % 6]


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


# -- the export: what the API made, each object with the source_ref our marker left on it ----
def _ref(text: str | None) -> str | None:
    found = MARKER.findall(text or "")
    return found[-1] if found else None


def held_refs(text: str | None) -> list[str]:
    """The markers before the last: the comments a digest holds, each on its own entry."""
    return MARKER.findall(text or "")[:-1]


def _texts(it: Item) -> list[str]:
    out = []
    for v in it.values.values():
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict) and isinstance(v.get("text"), str):
            out.append(v["text"])
    return out


def _exported(st: MondayState, it: Item) -> dict[str, Any]:
    """An item (or a subitem) as the export shows it: its updates, files and links, each with
    the `source_ref` of the marker on it."""
    own = next((_ref(t) for t in _texts(it) if MARKER.fullmatch(t.strip())), None)
    lines = [ln for t in _texts(it) if "\n" in t or not MARKER.fullmatch(t.strip()) for ln in t.splitlines()]
    asset_refs: dict[str, str] = {}
    links = []
    for ln in lines:
        ref = _ref(ln)
        if not ref:
            continue
        first = ln.split(" ", 1)[0]
        if first in it.asset_ids:
            asset_refs[first] = ref
        else:
            links.append({"source_ref": ref, "text": ln})
    return {
        "id": it.id,
        "name": it.name,
        "group_id": it.group_id,
        "archived": it.state == "archived",
        "source_ref": own,
        "done": bool((it.values.get("mw_done") or {}).get("checked")),
        "created_at": it.created_at,
        "updated_at": it.updated_at,
        # column id -> the value as monday.com stores it, as JSON (no object of the export's own)
        "values": {cid: json.dumps(v, ensure_ascii=False) for cid, v in it.values.items()},
        "updates": [
            {
                "id": u,
                "source_ref": _ref(st.updates[u].text_body),
                "held_refs": held_refs(st.updates[u].text_body),
                "created_at": st.updates[u].created_at,
            }
            for u in it.update_ids
            if u in st.updates
        ],
        "files": [
            {
                "id": a,
                "name": st.assets[a].name,
                "size": st.assets[a].file_size,
                "sha256": st.uploads.get(a),
                "source_ref": asset_refs.get(a),
            }
            for a in it.asset_ids
            if a in st.assets
        ],
        "links": links,
    }


def target_export(st: MondayState) -> list[dict[str, Any]]:
    """Every board the API made (and not deleted since), with its items, their updates, files,
    links and subitems (a subitem shown as an item is); each with the `source_ref` of the
    marker on it: an item's in a text column holding nothing else, a file's on the line of a
    long text naming its id, a link's on any other marked line of a long text, a board's at
    the end of its description."""
    boards = []
    for b in st.boards.values():
        if b.id not in st.made or b.state == "deleted" or b.type != "board":
            continue
        items = []
        for iid in b.item_ids:
            it = st.items[iid]
            if it.state == "deleted":
                continue
            subs = (st.items[s] for s in it.subitem_ids)
            items.append(
                {**_exported(st, it), "subitems": [_exported(st, sub) for sub in subs if sub.state != "deleted"]}
            )
        boards.append(
            {
                "id": b.id,
                "name": b.name,
                "source_ref": _ref(b.description),
                "archived": b.state == "archived",
                "groups": [{"id": f"{b.id}/{g.id}", "title": g.title} for g in b.groups if not g.deleted],
                "columns": [{"column": c.id, "title": c.title, "type": c.type} for c in b.columns if not c.archived],
                "items": items,
            }
        )
    return boards
