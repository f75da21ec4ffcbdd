"""monday.com as a migration target (`wizard.target.TargetAdapter`).

In monday.com's words: a container is a board (created empty, our marker at the end of its
description), a stage a group, a field a column matched by title and type or created (the
*dynamic column mapping*), an item an item written with every column value in one
`create_item` (our marker in the `Migration source` column the adapter owns, which
`items_page_by_column_values` searches, so a resumed or repeated run finds what exists), a
comment an update on the item (author and date in its text), a file an asset in the item's
Files column (`add_file_to_column`, multipart to `/v2/file`), a link a line of its Links
column. monday.com's API offers no way to hide a column from the board's default view, so the
marker column says what it is in its description instead.

The board's schema is read when the board is made or found, and again before a later run
writes into it: a column the plan relies on that was renamed or deleted since stops the run in
one sentence (a `UserError`), never a silent write into the wrong column.

A board holds at most 10,000 items: when one refuses an item (`ItemsLimitationException`), the
container continues on a board of its own, "<name> (2)" with the same groups and column ids,
which the first board's description names, so every later read finds it (`_next_board`).

Setting a board up is a handful of requests whatever its size: its groups in one request and
its columns in one, each request several mutations aliased (`target_documents.aliased`),
sized so one request stays within monday.com's per-query complexity cap. Every write and read
passes the core `WriteGate`, so the dry run lists exactly the real run's requests.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from adapters.monday import target_mapping as mm
from adapters.monday.client import MondayClient
from adapters.monday.target_documents import aliased, aliased_variables, document
from adapters.monday.target_spec import MondayMapping
from wizard import task_lines
from wizard.adapter import Identity
from wizard.engine.conflicts import _epoch
from wizard.errors import UserError
from wizard.http import RecordRejected
from wizard.model import Attachment, Comment, FieldDef, Item, Template
from wizard.plan import MappingOptions
from wizard.provenance import marker, read_marker, read_markers
from wizard.target import (
    Assignees,
    ContainerCtx,
    NamedContainer,
    NewItem,
    ReadBack,
    Removal,
    TargetAdapter,
    TargetItem,
    TargetUser,
)
from wizard.writegate import WriteGate

PAGE = 500  # items per page (monday.com's most)
BOARDS_PAGE = 100
USERS_PAGE = 1000
UPDATES_PER_ITEM = 100
# A parent's updated_at this close after the creation of one of our subitems may be that
# creation's doing (the engine's own tolerance for our writes)
BUMP_S = 2.0
REMOVAL = {
    "subitem": Removal(0, "delete"),
    "item": Removal(0, "delete"),
    "comment": Removal(0, "delete"),
    "container": Removal(1, "delete"),
    # The account's tags: the API has no call that deletes one (only a form's tags), so
    # rollback lists each as kept rather than passing over it in silence.
    "tag": Removal(2, "keep: monday.com has no call that deletes a tag"),
}


def _values_of(raw: dict[str, Any]) -> dict[str, Any]:
    """An item's column values as monday.com stores them, by column id (None: empty)."""
    out: dict[str, Any] = {}
    for cv in raw.get("column_values") or []:
        value = cv.get("value")
        out[str(cv.get("id"))] = json.loads(value) if isinstance(value, str) else value
    return out


def _texts_of(raw: dict[str, Any]) -> dict[str, str]:
    return {str(cv.get("id")): str(cv.get("text") or "") for cv in raw.get("column_values") or []}


def _group_map(ctx: ContainerCtx, titles: dict[str, str], groups: list[Any]) -> tuple[dict[str, str], list[str]]:
    """The first board's group ids -> the same groups on another board (matched by title, in
    order), and the first board's groups that board lacks."""
    have = [dict(g) for g in groups]
    found: dict[str, str] = {}
    missing: list[str] = []
    for gid in ctx.stage_order:
        g = next((g for g in have if g.get("title") == titles.get(gid)), None)
        if g is None:
            missing.append(gid)
        else:
            have.remove(g)
            found[gid] = str(g["id"])
    return found, missing


def _on_board(ctx: ContainerCtx, board_id: str, groups: dict[str, str]) -> ContainerCtx:
    """The container as it stands on another of its boards: the same columns, its own groups."""
    return ContainerCtx(
        container_id=board_id,
        key=ctx.key,
        stages={k: groups[g] for k, g in ctx.stages.items() if g in groups},
        stage_order=[groups[g] for g in ctx.stage_order if g in groups],
        fields=ctx.fields,
        tags=ctx.tags,
        extra=ctx.extra,
    )


def _full(e: RecordRejected) -> bool:
    """The board refused the item as full (it holds 10,000)."""
    return "ItemsLimitationException" in e.message


def _marked(subitem: dict[str, Any]) -> bool:
    """A subitem with our marker: one the migration made."""
    return any(read_marker(c.get("text")) for c in subitem.get("column_values") or [])


def _item(raw: dict[str, Any]) -> TargetItem:
    texts = _texts_of(raw)
    return TargetItem(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        marker=read_marker(texts.get(mm.MARKER.id)),
        updated_at=raw.get("updated_at"),
        prior={"name": raw.get("name"), "values": _values_of(raw)},
        raw=raw,
    )


class MondayTarget:
    system = "monday"
    label = "monday.com"

    def __init__(
        self,
        client: MondayClient,
        *,
        dry_run: bool = False,
        source_label: str = "the source",
        mapping: MappingOptions | None = None,
    ) -> None:
        self.client = client
        self.source_label = source_label
        if not isinstance(mapping, MondayMapping):  # the options every target has, or none: monday.com's defaults
            mapping = MondayMapping.model_validate(mapping.model_dump() if mapping else {})
        self.mapping = mapping
        self.overrides = dict(mapping.field_types)
        self.batch = mm.batch_size(mapping.batch)
        self.gate = WriteGate(self.label, lambda: client.calls, tries=client.max_retries + 1, dry_run=dry_run)
        self._checked: set[str] = set()  # boards whose schema this process has read or made
        self._check_lock = asyncio.Lock()
        self._group_of: dict[str, str] = {}  # item id -> its group, for the items this process wrote
        self._spills: dict[str, list[ContainerCtx]] = {}  # a first board -> the boards its items continue on
        self._spill_lock = asyncio.Lock()
        self._board_of: dict[str, str] = {}  # item id -> its board, for the items this process wrote or read
        self._sub_of: dict[str, str] = {}  # a board -> its subitems board
        self._sub_ready: dict[str, set[str]] = {}  # a subitems board -> the column ids it has
        self._sub_lock = asyncio.Lock()
        self._first_sub: dict[str, asyncio.Lock] = {}  # a board -> held while its first subitem is made
        self._claimed: set[str] = set()  # subitems this process made bare or adopted (see _find_subitem)

    # -- accounting ----------------------------------------------------------------------
    @property
    def calls(self) -> int:
        return self.gate.calls

    @property
    def clock_skew(self) -> float:
        return float(self.client.clock_skew)

    def stop_on(self, stop: asyncio.Event) -> None:
        self.client.limiter.stop = self.client.items.stop = stop

    async def whoami(self) -> Identity:
        data = await self.client.query("whoami")
        me, account = data.get("me") or {}, data.get("account") or {}
        return Identity(
            user=str(me.get("name") or me.get("email") or "?"),
            workspace=str(account.get("name") or ""),
            detail=f"account {account.get('slug') or account.get('id')}",
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- sending -------------------------------------------------------------------------
    async def _query(self, op: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.client.query_text(f"target/{op}", document(op), variables)

    async def _write(
        self,
        op: str,
        what: str,
        key: str,
        variables: dict[str, Any],
        fake: Any,
        *,
        find: Any = None,
    ) -> dict[str, Any]:
        async def send() -> dict[str, Any]:
            data = await self.client.mutate(op, document(op), variables)
            return dict(next(v for k, v in data.items() if k != "complexity") or {})

        result: dict[str, Any] = await self.gate.write("POST", f"mutation {op}", what, key, send, fake, find=find)
        return result

    async def _write_many(
        self, op: str, what: str, key: str, each: list[dict[str, Any]], fake: Any, *, alone: bool = False
    ) -> list[Any]:
        """Mutation `op` once per variables in `each`, aliased into as few requests as the
        plan's `batch` and the per-query complexity cap allow: each mutation is taken to cost
        what `op` cost per mutation last time (its `complexity`), or the documented figure
        before one has been answered. `alone`: a mutation monday.com refuses for its own record
        answers its `RecordRejected` in its place, and the others stand; otherwise the first
        refusal is raised."""
        out: list[Any] = []
        start = 0
        while start < len(each):
            cost = self._cost_each(op)
            size = min(self.batch, mm.per_request(cost))
            chunk = each[start : start + size]
            start += size
            text = aliased(op, len(chunk))
            name = f"{op} x{len(chunk)}"
            self.client.cost_of.setdefault(name, cost * len(chunk))  # what the limiter waits for the first time

            async def send(chunk: list[dict[str, Any]] = chunk, text: str = text, name: str = name) -> list[Any]:
                refused: dict[str, str] | None = {} if alone else None
                data = await self.client.mutate(name, text, aliased_variables(chunk), refused=refused)
                return [
                    RecordRejected(422, refused[f"m{i}"], self.label)
                    if refused and f"m{i}" in refused
                    else dict(data.get(f"m{i}") or {})
                    for i in range(len(chunk))
                ]

            def fakes(fid: str, chunk: list[dict[str, Any]] = chunk) -> list[dict[str, Any]]:
                return [fake(f"{fid}-{i}", v) for i, v in enumerate(chunk)]

            out += await self.gate.write(
                "POST", f"mutation {name}", f"{what} ({len(chunk)} in one request)", key, send, fakes
            )
        return out

    def _cost_each(self, op: str) -> int:
        """What one `op` mutation cost in the last request of it (the client keeps each
        operation's `complexity.query`), aliased or not."""
        costs = []
        for name, cost in self.client.cost_of.items():
            head, _, n = name.partition(" x")
            if head == op and (not n or n.isdigit()):
                costs.append(cost // int(n or 1))
        return max(costs, default=mm.MUTATION_COST)

    # -- people --------------------------------------------------------------------------
    async def users(self) -> list[TargetUser]:
        out: list[TargetUser] = []
        page = 1
        while True:
            data = await self.gate.read(
                "query users",
                "list members",
                "",
                partial(self.client.query, "users", limit=USERS_PAGE, page=page),
            )
            got = data.get("users") or []
            out += [
                TargetUser(id=int(u["id"]), name=str(u.get("name") or ""), email=u.get("email"))
                for u in got
                if isinstance(u, dict) and str(u.get("id", "")).isdigit()
            ]
            if len(got) < USERS_PAGE:
                return out
            page += 1

    async def invite(self, key: str, name: str, email: str) -> TargetUser:
        raise RecordRejected(
            422, "the monday.com target does not invite people: match them to a user or keep a placeholder", self.label
        )

    async def find_guest(self, email: str) -> str | None:
        return None

    async def add_guest(self, key: str, name: str, email: str) -> str:
        raise RecordRejected(
            422, "the monday.com target does not add guests: match them to a user or keep a placeholder", self.label
        )

    # -- tags: a source's labels are the account's tags, in each board's Tags column ------
    async def existing_tags(self) -> dict[str, str]:
        data = await self.gate.read("query tags", "list tags", "", partial(self._query, "tags", {}))
        return {str(t["name"]).lower(): str(t["id"]) for t in data.get("tags") or [] if isinstance(t, dict)}

    def tag_title(self, name: str) -> str:
        return mm.tag_title(name)

    async def create_tag(self, key: str, name: str, color: str | None) -> str:
        """One of the account's tags (monday.com sets its colour itself)."""
        title = self.tag_title(name)

        async def find() -> dict[str, Any] | None:
            tid = (await self.existing_tags()).get(title.lower())
            return {"id": tid} if tid else None

        made = await self._write(
            "create_tag", f"create tag '{title[:40]}'", key, {"tag_name": title}, lambda fid: {"id": fid}, find=find
        )
        return str(made["id"])

    # -- containers (boards) -------------------------------------------------------------
    async def _boards(self, what: str, key: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            data = await self.gate.read(
                "query find_boards",
                what,
                key,
                partial(self._query, "find_boards", {"page": page, "limit": BOARDS_PAGE}),
            )
            got = [b for b in data.get("boards") or [] if isinstance(b, dict)]
            out += got
            if len(got) < BOARDS_PAGE:
                return out
            page += 1

    async def find_container(self, key: str, name: str) -> str | None:
        for b in await self._boards(f"look for board '{name[:40]}'", key):
            if read_marker(b.get("description")) == key:
                return str(b["id"])
        return None

    async def containers_named(self, name: str) -> list[NamedContainer]:
        want = " ".join(mm.item_name(name).split()).lower()  # the name a board is given (blank: the placeholder)
        return [
            NamedContainer(str(b["id"]), str(b.get("name") or ""), read_marker(b.get("description")))
            for b in await self._boards(f"look for boards named '{name[:40]}'", "")
            if " ".join(str(b.get("name") or "").split()).lower() == want
        ]

    async def _schema(self, board_id: str, key: str) -> dict[str, Any]:
        data = await self.gate.read(
            "query board_schema",
            "read the board's groups and columns",
            key,
            lambda: self._query("board_schema", {"board_id": board_id}),
            (lambda: {"boards": [{"id": board_id, "groups": [], "columns": []}]})
            if self.gate.is_placeholder(board_id)
            else None,
        )
        boards = data.get("boards") or []
        if not boards:
            raise UserError(f"The monday.com board {board_id} is gone; run the same command again to make it anew.")
        return dict(boards[0])

    async def ensure_container(self, tpl: Template, existing_id: str | None, tags: dict[str, str]) -> ContainerCtx:
        """Make the board (or complete one a previous run left half-made): its groups, then the
        columns, each set in aliased requests. Idempotent: groups are matched by title in order,
        the adapter's columns by id, field columns by title and type."""
        if existing_id is None:

            async def find() -> dict[str, Any] | None:
                bid = await self.find_container(tpl.key, tpl.name)
                return {"id": bid} if bid else None

            board = await self._write(
                "create_board",
                f"create board '{mm.item_name(tpl.name)[:40]}'",
                tpl.key,
                {
                    "board_name": mm.item_name(tpl.name),
                    "board_kind": self.mapping.board_kind,
                    "description": mm.board_description(tpl, self.source_label),
                },
                lambda fid: {"id": fid},
                find=find,
            )
            board_id = str(board["id"])
            schema: dict[str, Any] = {"groups": [], "columns": [{"id": "name", "title": "Name", "type": "name"}]}
        else:
            board_id = existing_id
            schema = await self._schema(board_id, tpl.key)
        ctx = ContainerCtx(container_id=board_id, key=tpl.key, tags=dict(tags))
        await self._ensure_groups(tpl, board_id, schema, ctx)
        await self._ensure_columns(tpl, board_id, schema, ctx)
        await self._learn_spills(ctx, schema)
        self._learn_subitems_board(board_id, schema)
        self._checked.add(board_id)
        return ctx

    async def _ensure_groups(self, tpl: Template, board_id: str, schema: dict[str, Any], ctx: ContainerCtx) -> None:
        have = [dict(g) for g in schema.get("groups") or []]
        stages = sorted(tpl.stages, key=lambda s: s.position)
        missing = []
        for stage in stages:
            title = mm.item_name(stage.name)
            found = next((g for g in have if g.get("title") == title), None)
            if found is not None:
                have.remove(found)
                ctx.stages[stage.key] = str(found["id"])
            else:
                missing.append(stage)
        made = await self._write_many(
            "create_group",
            "create groups",
            tpl.key,
            [{"board_id": board_id, "group_name": mm.item_name(s.name)} for s in missing],
            lambda fid, v: {"id": fid, "title": v["group_name"]},
        )
        for stage, g in zip(missing, made, strict=True):
            ctx.stages[stage.key] = str(g["id"])
        ctx.stage_order = [ctx.stages[s.key] for s in stages]
        ctx.extra["groups"] = {ctx.stages[s.key]: mm.item_name(s.name) for s in stages}  # a sub-item's Stage

    async def _ensure_columns(self, tpl: Template, board_id: str, schema: dict[str, Any], ctx: ContainerCtx) -> None:
        cols = [dict(c) for c in schema.get("columns") or []]
        by_id = {str(c["id"]): c for c in cols}
        wanted: list[dict[str, Any]] = []
        refs: dict[str, list[str]] = {}  # column key (id or title|type) -> ctx.fields refs
        history = self.mapping.comment_strategy(tpl.key, tpl.source_id) == "field"
        for own in mm.own_columns(tpl, history, checklists=not self.checklists_as_subitems):
            ref = f"{tpl.key}#{own.role}"
            if own.id in by_id:
                ctx.fields[ref] = own.id
                continue
            refs.setdefault(own.id, []).append(ref)
            if len(refs[own.id]) == 1:
                wanted.append(
                    {
                        "board_id": board_id,
                        "title": own.title,
                        "column_type": own.type,
                        "id": own.id,
                        "description": own.note,
                        "defaults": None,
                    }
                )
        titles = mm.column_titles(tpl, self.overrides)
        matched: set[str] = set()  # a column found for one field is no other's
        for f in tpl.fields:
            ctype, title = mm.column_type(f, self.overrides), titles[f.key]
            match = next(
                (c for c in cols if c.get("title") == title and c.get("type") == ctype and str(c["id"]) not in matched),
                None,
            )
            if match is not None:
                ctx.fields[f.key] = str(match["id"])
                matched.add(str(match["id"]))
                continue
            slot = f"{title}|{ctype}"
            refs.setdefault(slot, []).append(f.key)
            if len(refs[slot]) == 1:
                wanted.append(
                    {
                        "board_id": board_id,
                        "title": title,
                        "column_type": ctype,
                        "id": None,
                        "description": None,
                        "defaults": mm.column_defaults(f, ctype),
                    }
                )
        made = await self._write_many(
            "create_column",
            "create columns",
            tpl.key,
            wanted,
            lambda fid, v: {"id": v["id"] or fid, "title": v["title"], "type": v["column_type"]},
        )
        for spec, col in zip(wanted, made, strict=True):
            slot = spec["id"] or f"{spec['title']}|{spec['column_type']}"
            for ref in refs[slot]:
                ctx.fields[ref] = str(col["id"])
            cols.append(col)
        used = set(ctx.fields.values())
        ctx.extra["columns"] = {str(c["id"]): [c.get("title"), c.get("type")] for c in cols if str(c["id"]) in used}

    async def _check_schema(self, ctx: ContainerCtx) -> None:
        """Before the first write into a board this process did not set up: its columns must
        still be those the plan writes into (the dynamic column mapping)."""
        board_id = ctx.container_id
        if board_id in self._checked:
            return
        async with self._check_lock:
            if board_id in self._checked:
                return
            schema = await self._schema(board_id, ctx.key)
            now = {str(c["id"]): (c.get("title"), c.get("type")) for c in schema.get("columns") or []}
            for cid, (title, ctype) in (ctx.extra.get("columns") or {}).items():
                if cid not in now:
                    raise UserError(
                        f"The column '{title}' was deleted from the monday.com board {board_id} since the last run; "
                        f"add it back (type {ctype}) or remove the board's mapping, then run again."
                    )
                if now[cid][0] != title or now[cid][1] != ctype:
                    raise UserError(
                        f"The column '{title}' of the monday.com board {board_id} is now '{now[cid][0]}' "
                        f"({now[cid][1]}); name it '{title}' ({ctype}) again, or remove the board's mapping, "
                        f"then run again."
                    )
            await self._learn_spills(ctx, schema)
            self._learn_subitems_board(board_id, schema)
            self._checked.add(board_id)

    # -- a container past monday.com's items limit continues on boards of its own -------------
    # A board holds at most 10,000 items (ItemsLimitationException). When one refuses an item,
    # the container continues on a board of its own ("<name> (2)", its marker `<key>#board-2`)
    # with the same groups and the same column ids, and the first board's description names
    # it, so a later process learns it from the schema read it makes anyway.
    def _chain(self, ctx: ContainerCtx) -> list[ContainerCtx]:
        """The container's boards, first to last (items go to the last)."""
        return [ctx, *self._spills.get(ctx.container_id, [])]

    async def _learn_spills(self, ctx: ContainerCtx, schema: dict[str, Any]) -> None:
        """The boards a first board's description names, each read once (their group ids)."""
        ids = mm.spill_ids(schema.get("description"))
        if not ids or ids == [b.container_id for b in self._spills.get(ctx.container_id, [])]:
            return
        titles = {str(g["id"]): str(g.get("title") or "") for g in schema.get("groups") or []}
        spills = []
        for bid in ids:
            groups, _ = _group_map(ctx, titles, (await self._schema(bid, ctx.key)).get("groups") or [])
            spills.append(_on_board(ctx, bid, groups))
            self._checked.add(bid)
        self._spills[ctx.container_id] = spills

    async def _next_board(self, ctx: ContainerCtx, full: ContainerCtx) -> ContainerCtx:
        """The board after `full`: found by its marker (a run cut off after making it) or
        made, completed with the first board's groups and columns, named on the first board."""
        async with self._spill_lock:
            chain = self._chain(ctx)
            if chain[-1].container_id != full.container_id:  # another item opened it meanwhile
                return chain[-1]
            n = len(chain) + 1
            first = await self._schema(ctx.container_id, ctx.key)
            key, name = mm.spill_key(ctx.key, n), mm.spill_name(str(first.get("name") or ""), n)
            board_id = await self.find_container(key, name)
            schema: dict[str, Any] = {"groups": [], "columns": []}
            if board_id is None:
                made = await self._write(
                    "create_board",
                    f"open board '{name[:40]}': the one before holds monday.com's most items",
                    key,
                    {
                        "board_name": name,
                        "board_kind": self.mapping.board_kind,
                        "description": mm.spill_description(str(first.get("description") or ""), ctx.key, n),
                    },
                    lambda fid: {"id": fid},
                )
                board_id = str(made["id"])
            else:
                schema = await self._schema(board_id, key)
            titles = {str(g["id"]): str(g.get("title") or "") for g in first.get("groups") or []}
            groups, missing = _group_map(ctx, titles, schema.get("groups") or [])
            made_groups = await self._write_many(
                "create_group",
                "create groups",
                key,
                [{"board_id": board_id, "group_name": titles.get(g) or "Group"} for g in missing],
                lambda fid, v: {"id": fid, "title": v["group_name"]},
            )
            groups.update({g: str(m["id"]) for g, m in zip(missing, made_groups, strict=True)})
            has = {str(c["id"]) for c in schema.get("columns") or []}
            used = set(ctx.fields.values())
            notes = {o.id: o.note for o in mm.OWN}
            await self._write_many(
                "create_column",
                "create columns",
                key,
                [
                    {
                        "board_id": board_id,
                        "title": c.get("title"),
                        "column_type": c.get("type"),
                        "id": str(c["id"]),
                        "description": notes.get(str(c["id"])),
                        "defaults": mm.copied_defaults(c),
                    }
                    for c in first.get("columns") or []
                    if str(c["id"]) in used and str(c["id"]) not in has
                ],
                lambda fid, v: {"id": v["id"]},
            )
            spill = _on_board(ctx, board_id, groups)
            ids = [b.container_id for b in chain[1:]] + [board_id]
            await self._write(
                "update_board",
                f"name the boards the items of '{str(first.get('name') or '')[:40]}' continue on",
                ctx.key,
                {
                    "board_id": ctx.container_id,
                    "board_attribute": "description",
                    "new_value": mm.with_spills(str(first.get("description") or ""), ids),
                },
                lambda fid: {"success": True},
            )
            self._spills[ctx.container_id] = [*chain[1:], spill]
            self._checked.add(board_id)
            return spill

    async def _board_for(self, ctx: ContainerCtx, item_id: str) -> ContainerCtx:
        """The board an item stands on: the first, unless the container has gone past it."""
        await self._check_schema(ctx)
        chain = self._chain(ctx)
        subs = {self._sub_of[b.container_id] for b in chain if b.container_id in self._sub_of}
        if len(chain) == 1 and not subs:
            return ctx
        if item_id not in self._board_of:
            await self.gate.read(
                "query item",
                "find the item's board",
                "",
                lambda: self._item_now(item_id),
                dict if self.gate.is_placeholder(item_id) else None,
            )
        board = self._board_of.get(item_id, chain[-1].container_id)  # a dry run's new item: the last
        if board in subs:  # a source's sub-item: on a subitems board, whose columns are the board's
            return ContainerCtx(container_id=board, key=ctx.key, fields=ctx.fields, tags=ctx.tags, extra=ctx.extra)
        return next((b for b in chain if b.container_id == board), ctx)

    async def container_view(self, container_id: str) -> dict[str, Any]:
        schema = await self._schema(container_id, "")
        return {
            "groups": {str(g["id"]): str(g.get("title") or "") for g in schema.get("groups") or []},
            "columns": {str(c["id"]): str(c.get("title") or "") for c in schema.get("columns") or []},
        }

    async def item_view(self, item_id: str, view: dict[str, Any], users: dict[Any, str]) -> dict[str, Any] | None:
        raw = await self._item_now(item_id)
        if raw is None:
            return None
        values, texts = _values_of(raw), _texts_of(raw)
        people = (values.get(mm.PEOPLE.id) or {}).get("personsAndTeams") or []
        return {
            "name": raw.get("name", ""),
            "description": texts.get(mm.DESCRIPTION.id, ""),
            "stage": view["groups"].get(str((raw.get("group") or {}).get("id")), ""),
            "fields": {
                view["columns"].get(cid, cid): t
                for cid, t in texts.items()
                if t and not cid.startswith("mw_") and cid != "name"
            },
            "assignees": sorted(users.get(int(p["id"]), str(p["id"])) for p in people if isinstance(p, dict)),
            "tags": [t for t in texts.get(mm.LABELS.id, "").split(", ") if t],
            "comments": len(raw.get("updates") or []),
            "files": len(raw.get("assets") or []),
            "updated": raw.get("updated_at"),
        }

    # -- items ---------------------------------------------------------------------------
    def item_name(self, name: str) -> str:
        return mm.item_name(name)

    async def list_items(self, container_id: str) -> list[TargetItem]:
        """Every item of the board, and of the boards its description says its items continue on."""
        if self.gate.is_placeholder(container_id):
            return []
        data = await self.gate.read(
            "query list_items",
            "list the board's items",
            "",
            lambda: self._query("list_items", {"board_id": container_id, "limit": PAGE}),
        )
        board = (data.get("boards") or [{}])[0] or {}
        page = board.get("items_page") or {}
        raw = list(page.get("items") or [])
        cursor = page.get("cursor")
        while cursor:
            data = await self.gate.read(
                "query next_items",
                "list the board's items",
                "",
                partial(self._query, "next_items", {"cursor": cursor, "limit": PAGE}),
            )
            page = data.get("next_items_page") or {}
            raw += page.get("items") or []
            cursor = page.get("cursor")
        self._board_of.update((str(r["id"]), container_id) for r in raw if isinstance(r, dict))
        out = [_item(r) for r in raw if isinstance(r, dict)]
        for spill in mm.spill_ids(board.get("description")):
            out += await self.list_items(spill)
        return out

    def _column_values(
        self, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef], people: Assignees
    ) -> dict[str, Any]:
        """Every column value of the item, in monday.com's write shapes, our marker among them."""
        own = {role: ctx.fields.get(f"{ctx.key}#{role}") for role in (o.role for o in mm.OWN)}
        values: dict[str, Any] = {}
        description = mm.description_text(item, people.placeholders, self.source_label)
        if description and own["description"]:
            values[own["description"]] = {"text": mm.clip(description, mm.LONG_TEXT_LIMIT)}
        for v in item.values:
            f, cid = fields.get(v.field_key), ctx.fields.get(v.field_key)
            if f is None or cid is None:
                continue
            value, _ = mm.value_for(f, mm.column_type(f, self.overrides), v.value)
            if value is not None:
                values[cid] = value
        if people.users and own["people"]:
            values[own["people"]] = {"personsAndTeams": [{"id": int(u), "kind": "person"} for u in people.users]}
        tags = [ctx.tags[k] for k in item.tag_keys if k in ctx.tags]
        if tags and own["labels"]:  # a dry run's tags have placeholder ids: kept as they are
            values[own["labels"]] = {"tag_ids": [int(t) if t.isdigit() else t for t in dict.fromkeys(tags)]}
        if item.due and own["due"]:
            values[own["due"]] = {"date": item.due.strftime("%Y-%m-%d")}
        if item.checklists and own["checklists"]:
            values[own["checklists"]] = {"text": mm.clip(mm.checklist_text(item), mm.LONG_TEXT_LIMIT)}
        if own["marker"]:
            values[own["marker"]] = marker(item.key)  # last: ours
        return values

    @property
    def item_batch(self) -> int:
        """New items aliased into one request: the plan's `batch`, as many as one request may
        cost (the per-query cap) and never more than a minute's budget, at what a `create_item`
        cost last time."""
        return mm.items_per_request(self.batch, self._cost_each("create_item"), self.client.limits.budget)

    def _item_variables(self, board: ContainerCtx, new: NewItem) -> dict[str, Any]:
        """One `create_item`'s variables: on `board` (one of the container's), every value."""
        item = new.item
        return {
            "board_id": board.container_id,
            "group_id": board.stage_of(item),
            "item_name": mm.item_name(item.name),
            "column_values": json.dumps(self._column_values(item, new.ctx, new.fields, new.people), ensure_ascii=False),
        }

    async def create_items(self, news: list[NewItem]) -> list[str | Exception]:
        """Several items of one container, their `create_item` mutations aliased in one request
        (more when the cap is lower than asked) on its last board: an item monday.com refuses
        (a value of the wrong shape) is refused alone and the others are made; those a full
        board refuses go on the next board together."""
        if len(news) == 1:
            n = news[0]
            return [await self.create_item(n.item, n.ctx, n.fields, n.people)]
        ctx = news[0].ctx
        await self._check_schema(ctx)
        out: dict[int, str | Exception] = {}
        board, todo = self._chain(ctx)[-1], list(range(len(news)))
        while todo:
            each = [self._item_variables(board, news[i]) for i in todo]
            names = ", ".join(f"'{v['item_name'][:20]}'" for v in each[:3]) + (", ..." if len(each) > 3 else "")
            made = await self._write_many(
                "create_item",
                f"create items {names}",
                news[todo[0]].item.key,
                each,
                lambda fid, v: {"id": fid},
                alone=True,
            )
            full = []
            for i, variables, got in zip(todo, each, made, strict=True):
                if isinstance(got, RecordRejected) and _full(got):
                    full.append(i)
                elif isinstance(got, Exception):
                    out[i] = got
                else:
                    item_id = out[i] = str(got["id"])
                    self._group_of[item_id] = variables["group_id"]
                    self._board_of[item_id] = board.container_id
            if full:
                board = await self._next_board(ctx, board)
            todo = full
        return [out[i] for i in range(len(news))]

    async def create_item(self, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef], people: Assignees) -> str:
        """On the container's last board; one that refuses it as full is followed by the next."""
        await self._check_schema(ctx)
        board = self._chain(ctx)[-1]
        while True:
            try:
                return await self._create_on(board, item, ctx, fields, people)
            except RecordRejected as e:
                if not _full(e):
                    raise
                board = await self._next_board(ctx, board)

    async def _create_on(
        self, board: ContainerCtx, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef], people: Assignees
    ) -> str:
        variables = self._item_variables(board, NewItem(item, ctx, fields, people))
        group, name = variables["group_id"], variables["item_name"]

        async def find() -> dict[str, Any] | None:
            found = await self._find_items(ctx, [item.key])
            return {"id": found[item.key]} if item.key in found else None

        made = await self._write(
            "create_item", f"create item '{name[:40]}'", item.key, variables, lambda fid: {"id": fid}, find=find
        )
        item_id = str(made["id"])
        self._group_of[item_id] = group
        self._board_of[item_id] = board.container_id
        return item_id

    async def _find_items(self, ctx: ContainerCtx, keys: list[str]) -> dict[str, str]:
        """Source key -> item id, for the items of the container's boards whose marker names
        one of `keys`."""
        column = ctx.fields.get(f"{ctx.key}#{mm.MARKER.role}", mm.MARKER.id)
        out: dict[str, str] = {}
        for board in self._chain(ctx):
            data = await self._query(
                "find_items",
                {
                    "board_id": board.container_id,
                    "column_id": column,
                    "markers": [marker(k) for k in keys],
                    "limit": PAGE,
                },
            )
            for r in (data.get("items_page_by_column_values") or {}).get("items") or []:
                if ref := _item(r).marker:
                    out[ref] = str(r["id"])
                    self._board_of[str(r["id"])] = board.container_id
        return out

    async def update_item(
        self,
        item: Item,
        existing: TargetItem,
        ctx: ContainerCtx,
        fields: dict[str, FieldDef],
        people: Assignees,
        *,
        merge: bool,
    ) -> bool:
        """Write the source's values over the item, or (merge) only into its empty columns.
        The marker column is left as it is on an item someone else made."""
        board = await self._board_for(ctx, existing.id)
        new = NewItem(item, ctx, fields, people)
        values = self._child_values(new) if item.parent_key else self._column_values(item, ctx, fields, people)
        now = existing.prior.get("values") or _values_of(existing.raw)
        if existing.marker != item.key:
            values.pop(ctx.fields.get(f"{ctx.key}#{mm.MARKER.role}", mm.MARKER.id), None)
        if merge:
            values = {k: v for k, v in values.items() if now.get(k) in (None, "", {}, [])}
            if not values:
                return False
        else:
            values["name"] = mm.item_name(item.name)
        await self._write(
            "change_values",
            "merge into the item's empty columns" if merge else "write the source's values over the item",
            item.key,
            {
                "board_id": board.container_id,
                "item_id": existing.id,
                "column_values": json.dumps(values, ensure_ascii=False),
            },
            lambda fid: {"id": existing.id},
        )
        return True

    async def place_item(self, item: Item, item_id: str, ctx: ContainerCtx, flips: dict[str, str]) -> dict[str, str]:
        """The item stands in its stage's group: written there, or moved (one call) when this
        process did not write it there. Comments hang on the item itself. A source's sub-item
        stands under its parent item, in no group of the board."""
        if item.parent_key:
            return dict.fromkeys(ctx.stage_order, item_id)
        group = (await self._board_for(ctx, item_id)).stage_of(item)
        if self._group_of.get(item_id) != group:
            await self._write(
                "move_item",
                "move the item to its stage's group",
                item.key,
                {"item_id": item_id, "group_id": group},
                lambda fid: {"id": item_id},
            )
            self._group_of[item_id] = group
        return dict.fromkeys(ctx.stage_order, item_id)

    async def _item_now(self, item_id: str) -> dict[str, Any] | None:
        data = await self._query("item", {"item_id": item_id, "updates": UPDATES_PER_ITEM})
        items = [i for i in data.get("items") or [] if isinstance(i, dict) and i.get("state") != "deleted"]
        if items and (board := (items[0].get("board") or {}).get("id")):
            self._board_of[item_id] = str(board)
        return items[0] if items else None

    async def read_item(self, item_id: str) -> TargetItem | None:
        raw = await self._item_now(item_id)
        return _item(raw) if raw else None

    async def item_activity(self, item_id: str) -> tuple[TargetItem | None, str | None]:
        """The item, and when anyone last did anything in it: its own change, an update, a
        file, a subitem someone else added. Creating a subitem may move its parent's
        `updated_at` with no change to the parent: when ours explain that time, the item's own
        activity log says when the item itself last changed (sync and rollback then see no
        edit where there was none)."""
        raw = await self._item_now(item_id)
        if raw is None:
            return None, None
        subitems = [x for x in raw.get("subitems") or [] if x.get("state") != "deleted"]
        ours = [str(x.get("created_at") or "") for x in subitems if _marked(x)]
        times = [raw.get("updated_at")]
        if ours and _epoch(times[0]) <= _epoch(max(ours, key=_epoch)) + BUMP_S:
            times = [await self._own_change(raw) or times[0]]
        times += [u.get("created_at") for u in raw.get("updates") or []]
        times += [a.get("created_at") for a in raw.get("assets") or []]
        times += [x.get("created_at") for x in subitems if not _marked(x)]  # someone else's subitem
        return _item(raw), max((t for t in times if t), key=_epoch, default=None)

    async def _own_change(self, raw: dict[str, Any]) -> str | None:
        """When the item itself last changed, by its board's activity log (None: unknown)."""
        board = (raw.get("board") or {}).get("id")
        if not board:
            return None
        data = await self._query("item_log", {"board_ids": [str(board)], "item_ids": [str(raw["id"])]})
        logs = [log for b in data.get("boards") or [] for log in b.get("activity_logs") or []]
        ticks = [int(str(log.get("created_at"))) for log in logs if str(log.get("created_at") or "").isdigit()]
        if not ticks:
            return None
        return datetime.fromtimestamp(max(ticks) / 10_000_000, UTC).isoformat().replace("+00:00", "Z")

    async def restore_item(self, item_id: str, prior: dict[str, Any], flips: dict[str, str]) -> str:
        raw = await self._item_now(item_id)
        if raw is None:
            return "already gone"
        now, was = _values_of(raw), dict(prior.get("values") or {})
        body: dict[str, Any] = {k: was.get(k) for k in set(now) | set(was) if now.get(k) != was.get(k) and k != "name"}
        if prior.get("name") is not None and raw.get("name") != prior["name"]:
            body["name"] = prior["name"]
        if body:
            board = str((raw.get("board") or {}).get("id"))
            await self.client.mutate(
                "change_values",
                document("change_values"),
                {"board_id": board, "item_id": item_id, "column_values": json.dumps(body, ensure_ascii=False)},
            )
        return "restored"

    async def read_back(
        self, item: TargetItem, ctx: ContainerCtx | None, anchor: str | None, *, comments: bool, files: bool
    ) -> ReadBack:
        """What the item holds, in canonical kinds: field values, checklist items, links and a
        run's task lines (its description's) from its columns; comments (by marker) and files
        from one read of the item."""
        out = ReadBack()
        raw = item.raw
        if comments or files or self.checklists_as_subitems or not raw.get("column_values"):
            raw = await self._item_now(item.id) or raw
        texts = _texts_of(raw)
        history = ""  # the Comment history column's text (mapping.comments = "field")
        if ctx is not None:
            own = {ctx.fields.get(f"{ctx.key}#{o.role}"): o.role for o in mm.OWN}
            fields = {cid for ref, cid in ctx.fields.items() if "#" not in ref}
            for cid, text in texts.items():
                if not text:
                    continue
                role = own.get(cid)
                if role == "checklists":
                    out.counts["checklist_item"] += sum(1 for ln in text.splitlines() if ln.startswith("- ["))
                elif role == "links":
                    out.counts["link"] += sum(1 for ln in text.splitlines() if ln.strip())
                elif role == "history":
                    history = text
                elif role == "description":
                    out.counts.update(task_lines.count(text))  # a run's task states, as lines
                elif role is None and cid in fields:
                    out.counts["field_value"] += 1
        if self.checklists_as_subitems:
            out.counts["checklist_item"] += sum(1 for x in raw.get("subitems") or [] if x.get("state") != "deleted")
        if comments:
            # a digest holds a marker per comment, then its own: each counts
            updates = raw.get("updates") or []
            out.comment_markers.update(ref for u in updates for ref in read_markers(u.get("text_body")) or [""])
            out.comment_markers.update(read_markers(history))
            out.counts["comment"] = sum(n for ref, n in out.comment_markers.items() if ref and ":comment:" in ref)
        if files:
            assets = raw.get("assets") or []
            out.file_ids.update(str(a.get("id")) for a in assets)
            out.counts["file"] = len(assets)
        out.text = " ".join(texts.values())
        return out

    # -- sub-items: the source's own, and checklist items (lines of a column or subitems) ----
    @property
    def items_as_subitems(self) -> bool:
        """A source's sub-item (an Asana or ClickUp subtask, a monday.com subitem) is a subitem
        of its parent's item."""
        return True

    @property
    def checklists_as_subitems(self) -> bool:
        """As the plan's [mapping] checklists says: lines of the item's Checklists column (written
        with the item), or one subitem each."""
        return self.mapping.checklists == "subitems"

    def _learn_subitems_board(self, board_id: str, schema: dict[str, Any]) -> None:
        """A board's subitems board, named by its Subitems column (once it has one)."""
        for c in schema.get("columns") or []:
            settings = c.get("settings")
            settings = json.loads(settings or "{}") if isinstance(settings, str) else settings or {}
            if c.get("type") == "subtasks" and settings.get("boardIds"):
                self._sub_of[board_id] = str(settings["boardIds"][0])

    async def _subitem_columns(self, sub_board: str, key: str, wanted: list[dict[str, Any]]) -> None:
        """These columns (`create_column` variables but the board) on a subitems board: made
        once, found on a later run."""
        if {w["id"] for w in wanted} <= self._sub_ready.get(sub_board, set()):
            return
        async with self._sub_lock:
            has = self._sub_ready.get(sub_board)
            if has is None:
                has = {str(c["id"]) for c in (await self._schema(sub_board, key)).get("columns") or []}
            missing = [w for w in wanted if w["id"] not in has]
            await self._write_many(
                "create_column",
                "create the subitems board's columns",
                key,
                [{"board_id": sub_board, "defaults": None, **w} for w in missing],
                lambda fid, v: {"id": v["id"]},
            )
            self._sub_ready[sub_board] = has | {w["id"] for w in missing}

    @staticmethod
    def _subitem_own(own: tuple[mm.OwnColumn, ...] = mm.SUBITEM_OWN) -> list[dict[str, Any]]:
        """Our marker and Done columns: what a checklist item's subitem needs."""
        return [{"title": o.title, "column_type": o.type, "id": o.id, "description": o.note} for o in own]

    def _mirrored(self, ctx: ContainerCtx) -> list[dict[str, Any]]:
        """Our marker, Done and Stage columns and every column the board's items use, with the
        board's ids: a source's sub-item carries the values its parent's kind of item does."""
        notes = {o.id: o.note for o in mm.OWN}
        own = self._subitem_own(mm.CHILD_OWN)
        taken = {w["id"] for w in own}
        return own + [
            {"title": title, "column_type": ctype, "id": cid, "description": notes.get(cid)}
            for cid, (title, ctype) in (ctx.extra.get("columns") or {}).items()
            if cid not in taken
        ]

    async def _board_of_item(self, item_id: str, key: str) -> str:
        if item_id not in self._board_of:
            await self.gate.read(
                "query item",
                "find the item's board",
                key,
                lambda: self._item_now(item_id),
                dict if self.gate.is_placeholder(item_id) else None,
            )
        return self._board_of.get(item_id, "")

    async def _mark_subitem(self, sub_board: str, subitem_id: str, key: str, values: dict[str, Any]) -> None:
        await self._write(
            "change_values",
            "mark the subitem as the migration's",
            key,
            {
                "board_id": sub_board,
                "item_id": subitem_id,
                "column_values": json.dumps(values, ensure_ascii=False),
            },
            lambda fid: {"id": subitem_id},
        )

    async def add_subitem(
        self, item: Item, key: str, title: str, due: Any, item_id: str, owners: list[int | str]
    ) -> str:
        """One checklist item as a subitem of its item, our marker in it."""
        return await self._subitem(item_id, key, title, {mm.MARKER.id: marker(key)}, self._subitem_own())

    async def create_child(self, new: NewItem, parent_id: str) -> str:
        """A source's sub-item as a subitem of its parent's item: every value in the one
        create (the board's columns are mirrored on its subitems board, same ids), Done ticked
        when the source completed it."""
        await self._check_schema(new.ctx)
        return await self._subitem(
            parent_id, new.item.key, new.item.name, self._child_values(new), self._mirrored(new.ctx)
        )

    async def find_child(self, new: NewItem, parent_id: str) -> str | None:
        return await self._find_subitem(new.item.key, parent_id, self._child_values(new), self._mirrored(new.ctx))

    def _child_values(self, new: NewItem) -> dict[str, Any]:
        """Its values as an item's, its stage's name (a subitem stands in no group of the
        board) and Done when the source completed it; the marker stays last."""
        item, own = new.item, {}
        stage = (new.ctx.extra.get("groups") or {}).get(new.ctx.stage_of(item))
        if stage:
            own[mm.STAGE.id] = stage
        if item.completed_at is not None or item.due_complete:
            own[mm.DONE.id] = {"checked": "true"}
        return {**own, **self._column_values(item, new.ctx, new.fields, new.people)}

    async def _subitem(
        self, item_id: str, key: str, title: str, values: dict[str, Any], columns: list[dict[str, Any]]
    ) -> str:
        """A subitem of `item_id` with `values` (our marker last), on a subitems board that has
        `columns`. monday.com makes a board's subitems board with its first subitem, so that
        one is written bare, then given its values once the subitems board has the columns (a
        run cut off between the two finds it as its item's unmarked subitem, `find_subitem`);
        every later one carries its values at once."""
        board = await self._board_of_item(item_id, key)
        if board not in self._sub_of:  # the board's first subitem, made and marked by one item at a time
            async with self._first_sub.setdefault(board, asyncio.Lock()):
                if board not in self._sub_of:
                    made = await self._create_subitem(key, title, item_id, {}, None)
                    subitem_id, sub_board = str(made["id"]), str((made.get("board") or {}).get("id") or "")
                    self._claimed.add(subitem_id)
                    self._board_of[subitem_id] = sub_board
                    await self._subitem_columns(sub_board, key, columns)
                    await self._mark_subitem(sub_board, subitem_id, key, values)
                    self._sub_of[board] = sub_board
                    return subitem_id
        sub_board = self._sub_of[board]
        await self._subitem_columns(sub_board, key, columns)
        made = await self._create_subitem(key, title, item_id, values, sub_board)
        self._board_of[str(made["id"])] = sub_board
        return str(made["id"])

    async def _create_subitem(
        self, key: str, title: str, item_id: str, values: dict[str, Any], sub_board: str | None
    ) -> dict[str, Any]:
        return await self._write(
            "create_subitem",
            f"create subitem '{title[:40]}'",
            key,
            {
                "parent_item_id": item_id,
                "item_name": mm.item_name(title),
                "column_values": json.dumps(values, ensure_ascii=False),
            },
            lambda fid: {"id": fid, "board": {"id": sub_board or f"{fid}-subitems"}},
        )

    async def find_subitem(self, key: str, item_id: str) -> str | None:
        return await self._find_subitem(key, item_id, {mm.MARKER.id: marker(key)}, self._subitem_own())

    async def _find_subitem(
        self, key: str, item_id: str, values: dict[str, Any], columns: list[dict[str, Any]]
    ) -> str | None:
        """The item's subitem with our marker for `key`; else its unmarked one, the board's
        first subitem made by a run cut off before it was given its values: given them now."""
        data: dict[str, Any] = await self.gate.read(
            "query subitems",
            "look for subitem",
            key,
            lambda: self._query("subitems", {"item_id": item_id}),
            (lambda: {"items": []}) if self.gate.is_placeholder(item_id) else None,
        )
        parents = [p for p in data.get("items") or [] if isinstance(p, dict)]
        if not parents:
            return None
        board = str((parents[0].get("board") or {}).get("id") or "")
        unmarked: tuple[str, str] | None = None
        for sub in parents[0].get("subitems") or []:
            if not isinstance(sub, dict) or sub.get("state") == "deleted":
                continue
            sid, on = str(sub["id"]), str((sub.get("board") or {}).get("id") or "")
            self._board_of[sid], self._sub_of[board] = on, on
            text = _texts_of(sub).get(mm.MARKER.id)
            if read_marker(text) == key:
                return sid
            if not text and unmarked is None:
                unmarked = (sid, on)
        if unmarked is None:
            return None
        # Adopted by one sub-item only: another write of this run may be making it (its first
        # subitem, marked under this lock) or adopting it, and two keys on one subitem lose one.
        async with self._first_sub.setdefault(board, asyncio.Lock()):
            if unmarked[0] in self._claimed:
                return None
            self._claimed.add(unmarked[0])
            await self._subitem_columns(unmarked[1], key, columns)
            await self._mark_subitem(unmarked[1], unmarked[0], key, values)
        return unmarked[0]

    async def complete_subitem(self, key: str, subitem_id: str) -> None:
        """Its Done column ticked (again, harmlessly, on a resumed run)."""
        board = await self._board_of_item(subitem_id, key)
        await self._write(
            "change_values",
            "tick the subitem done",
            key,
            {
                "board_id": board,
                "item_id": subitem_id,
                "column_values": json.dumps({mm.DONE.id: {"checked": "true"}}),
            },
            lambda fid: {"id": subitem_id},
        )

    # -- comments (updates on the item) --------------------------------------------------
    async def find_comment(self, comment: Comment, item_id: str, anchor: str) -> str | None:
        raw: dict[str, Any] | None = await self.gate.read(
            "query item",
            "look for comment",
            comment.key,
            lambda: self._item_now(item_id),
            (lambda: {"updates": []}) if self.gate.is_placeholder(item_id) else None,
        )
        for u in (raw or {}).get("updates") or []:
            if read_marker(u.get("text_body")) == comment.key:
                return str(u["id"])
        return None

    async def add_comment(self, comment: Comment, item_id: str, anchor: str) -> str:
        made = await self._write(
            "create_update",
            "post update",
            comment.key,
            {"item_id": item_id, "body": mm.comment_body(comment, self.source_label)},
            lambda fid: {"id": fid},
        )
        return str(made["id"])

    @property
    def comment_limit(self) -> int:
        return mm.COMMENT_LIMIT

    async def add_digest(self, key: str, text: str, item_id: str, anchor: str) -> str:
        made = await self._write(
            "create_update",
            "post comment history",
            key,
            {"item_id": item_id, "body": mm.digest_body(text)},
            lambda fid: {"id": fid},
        )
        return str(made["id"])

    @property
    def history_limit(self) -> int:
        return mm.LONG_TEXT_LIMIT

    async def write_history(self, item_key: str, item_id: str, ctx: ContainerCtx, text: str) -> bool:
        """The history into the board's Comment history column (one call); False when the
        board has none (made before the plan chose the field strategy)."""
        column = ctx.fields.get(f"{ctx.key}#{mm.HISTORY.role}")
        if not column:
            return False
        board = await self._board_for(ctx, item_id)
        await self._write(
            "change_values",
            "write the comment history to the item",
            item_key,
            {
                "board_id": board.container_id,
                "item_id": item_id,
                "column_values": json.dumps({column: {"text": text}}, ensure_ascii=False),
            },
            lambda fid: {"id": item_id},
        )
        return True

    # -- files ---------------------------------------------------------------------------
    async def add_upload(
        self, att: Attachment, chunks: AsyncIterator[bytes], item_id: str, stage_id: str, ctx: ContainerCtx
    ) -> dict[str, Any]:
        column = ctx.fields.get(f"{ctx.key}#{mm.FILES.role}", mm.FILES.id)
        name = att.file_name or att.name or "file"

        async def send() -> dict[str, Any]:
            with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
                async for chunk in chunks:
                    spool.write(chunk)
                spool.seek(0)
                mime = att.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
                text = document("add_file")
                data = await self.client.mutate(
                    "add_file",
                    text,
                    {},
                    path="file",
                    data={"query": text, "variables": json.dumps({"item_id": item_id, "column_id": column})},
                    files={"variables[file]": (name, spool, mime)},
                )
            asset = dict(data.get("add_file_to_column") or {})
            return {"id": str(asset.get("id")), "filename": asset.get("name") or name}

        result: dict[str, Any] = await self.gate.write(
            "POST",
            "mutation add_file",
            f"upload '{name}' ({att.size} bytes)",
            att.key,
            send,
            lambda fid: {"id": fid, "filename": name},
        )
        return result

    async def find_upload(self, att: Attachment, item_id: str, taken: set[str]) -> dict[str, Any] | None:
        raw: dict[str, Any] | None = await self.gate.read(
            "query item",
            "look for uploaded file",
            att.key,
            lambda: self._item_now(item_id),
            (lambda: {"assets": []}) if self.gate.is_placeholder(item_id) else None,
        )
        name = att.file_name or att.name or "file"
        for a in (raw or {}).get("assets") or []:
            if str(a.get("id")) not in taken and a.get("name") == name and a.get("file_size") in (None, att.size):
                return {"id": str(a["id"]), "filename": name}
        return None

    async def attach(
        self,
        item_key: str,
        item_id: str,
        ctx: ContainerCtx,
        uploads: list[dict[str, Any]],
        links: list[tuple[str, str, str]],
    ) -> None:
        """Each file's marker into the File sources column (an asset holds no text) and the
        links into the Links column: one call."""
        values: dict[str, Any] = {}
        sources = ctx.fields.get(f"{ctx.key}#{mm.FILE_SOURCES.role}")
        links_col = ctx.fields.get(f"{ctx.key}#{mm.LINKS.role}")
        if sources and uploads:
            values[sources] = {"text": mm.files_text(uploads)}
        if links_col and links:
            values[links_col] = {"text": mm.links_text(links)}
        board = await self._board_for(ctx, item_id)
        await self._write(
            "change_values",
            f"show {len(uploads)} file(s) and {len(links)} link(s) on the item",
            item_key,
            {
                "board_id": board.container_id,
                "item_id": item_id,
                "column_values": json.dumps(values, ensure_ascii=False),
            },
            lambda fid: {"id": item_id},
        )

    # -- removal -------------------------------------------------------------------------
    def removal(self, target_type: str) -> Removal | None:
        return REMOVAL.get(target_type)

    async def remove(self, target_type: str, target_id: str, anchor: str | None = None) -> str:
        ops = {
            "subitem": ("delete_item", "item_id"),
            "item": ("delete_item", "item_id"),
            "container": ("delete_board", "board_id"),
            "comment": ("delete_update", "id"),
        }
        if target_type not in ops:
            return "nothing"
        op, arg = ops[target_type]
        if target_type == "container":  # the boards its items continue on go with it
            data = await self._query("board_schema", {"board_id": target_id})
            for spill in mm.spill_ids(((data.get("boards") or [{}])[0] or {}).get("description")):
                await self.remove("container", spill)
        try:
            await self.client.mutate(op, document(op), {arg: target_id})
        except RecordRejected as e:  # "does not exist": a rollback cut off after it went
            if e.status in (404, 422):
                return "already gone"
            raise
        return "deleted"


if TYPE_CHECKING:  # the protocol is structural: mypy holds MondayTarget to it here
    _IMPLEMENTS: type[TargetAdapter] = MondayTarget
