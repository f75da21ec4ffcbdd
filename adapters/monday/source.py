"""monday.com as a migration source.

Calls are few by design: one `Board` query carries the board, its groups, columns, owners
and subscribers and the first page of items (with their values, subitems and files); the
rest of the items come `next_items_page` by cursor, as many a page as the board holds (at
most 500); comments come from the board's own update listing (and its subitems board's),
500 a page, instead of one listing per item. A cursor lives 60 minutes: when monday.com says
it has expired, the listing starts again and the items already yielded are skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from adapters.monday import mapping
from adapters.monday.client import DEFAULT_PLAN, CursorExpired, MondayClient
from adapters.monday.documents import API_VERSION
from adapters.monday.wire import MActivityLog, MAsset, MBoard, MColumn, MUpdate, MUser
from wizard import paging
from wizard.adapter import (
    ChangeSet,
    Container,
    Extracted,
    Identity,
    SourceAdapter,
    SourceLeftOut,
    SourceLoss,
    SourceRejected,
    StatedItem,
)
from wizard.errors import CredentialError, PermissionDenied, VendorDataError
from wizard.events import EventSink
from wizard.http import ObjectUnavailable
from wizard.model import Attachment, Capability, Item, Person
from wizard.paging import PageNumber

PAGE = 500  # items_page's maximum
UPDATES_PAGE = 500
STATED_PAGE = 500  # items per page of the count query (updates nested: about 2M points, under the 5M cap)
STATED_UPDATES = 100  # an item with more has the rest counted by ItemUpdateIds
BOARDS_PAGE = 100
ROOT_ITEMS = 100  # the root items query reads at most 100 ids
ARCHIVED = "archived in the source"  # or in an archived group or board: hidden from the board's listing
HIDDEN_SUBITEM_POSITION = 1_000  # an archived subitem comes after its parent's live ones
ACTIVITY_PAGE = 500  # activity-log lines a page (default 25; the log answers 10,000 at most)
EPOCH_TICKS = "0" * 17  # the cursor of a board whose log is empty: every later line is a change
GONE_EVENTS = ("archive_pulse", "delete_pulse", "move_pulse_from_board")  # no longer among the board's live items
USERS_PAGE = 1000


class MondaySource(SourceAdapter):
    system = "monday"
    label = "monday.com"
    credential_parts = ("token",)
    fills: ClassVar[frozenset[Capability]] = frozenset(
        {
            "created_at",
            "due",
            "item_assignees",
            "relations",
            "fields",
            "field_values",
            "subitems",
            "comments",
            "attachments",
            "archived",
        }
    )

    cursor_ordered = True  # activity-log times: 17 digits, later is larger
    client: MondayClient

    def __init__(
        self, client: MondayClient, *, stages: str = mapping.GROUP_STAGES, stage_column: str | None = None
    ) -> None:
        self.client = client
        self.stages = stages  # the board's groups, or the labels of a status column
        self.stage_column = stage_column  # that column's id; None: each board's first status column
        self._people: list[Person] | None = None
        self._sizes: dict[str, int] = {}  # items_count per board, from the board listing

    @classmethod
    def connect(
        cls,
        base_url: str,
        credentials: dict[str, str],
        *,
        profile: str,
        sink: EventSink | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        **kw: Any,
    ) -> MondaySource:
        if not credentials.get("token"):
            raise CredentialError(
                f"The monday.com credential of profile '{profile}' has no token; log in again with a personal API "
                f"token (monday.com: your avatar > Developers > My access tokens)."
            )
        stages = kw.pop("stages", None) or mapping.GROUP_STAGES
        stage_column = kw.pop("stage_column", None) or None
        client = MondayClient(
            base_url,
            credentials["token"],
            profile=profile,
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            api_version=kw.pop("api_version", None) or API_VERSION,
            window_scale=float(kw.pop("window_scale", 1.0) or 1.0),
            plan=kw.pop("plan", None) or DEFAULT_PLAN,
            **kw,
        )
        return cls(client, stages=stages, stage_column=stage_column)

    # -- who and what ----------------------------------------------------------------------
    async def whoami(self) -> Identity:
        data = await self.client.query("whoami")
        me, account = data.get("me"), data.get("account")
        if not isinstance(me, dict) or not isinstance(account, dict):
            raise VendorDataError("monday.com answered 'who am I' without the user and the account.")
        user = mapping.parse(MUser, me, "user")
        if isinstance(user, SourceRejected):
            raise VendorDataError("monday.com answered 'who am I' with a user record that cannot be read.")
        tier = f", {account['tier']} plan" if account.get("tier") else ""
        return Identity(
            user=user.name,
            workspace=f"{account.get('name', '')} ({account.get('slug', '')}{tier})",
            detail=user.email or "",
        )

    async def _boards(self) -> AsyncIterator[MBoard]:
        async for raw in self._records("boards", PageNumber(BOARDS_PAGE, records_path="boards"), "the board list"):
            parsed = mapping.parse(MBoard, raw, "board")
            if not isinstance(parsed, SourceRejected):
                yield parsed

    def _records(self, op: str, paginator: PageNumber, what: str, **variables: Any) -> AsyncIterator[Any]:
        """Every record of a page-numbered listing (`paging.records` runs the loop)."""

        async def fetch(params: dict[str, Any]) -> Any:
            return await self.client.query(op, **variables, **params)

        return paging.records(fetch, paginator, what=what, label=self.label)

    async def containers(self) -> list[Container]:
        """Every main, shareable and private board the token sees, named with its workspace;
        archived ones shown as such, deleted ones and the boards that hold subitems left out."""
        out = []
        async for b in self._boards():
            if b.items_count is not None:
                self._sizes[b.id] = b.items_count
            if b.state == "deleted" or b.type not in (None, "board"):
                continue
            kind = {"private": "private", "share": "shareable"}.get(b.board_kind, "main")
            out.append(
                Container(
                    key=mapping.key("board", b.id),
                    id=b.id,
                    name=(b.name if kind == "main" else f"{b.name} ({kind})")
                    + (f" · {b.workspace.name}" if b.workspace and b.workspace.name else ""),
                    closed=b.state != "active",
                    url=b.url,
                )
            )
        return out

    async def _account_people(self) -> list[Person]:
        if self._people is None:
            people: list[Person] = []
            async for raw in self._records("users", PageNumber(USERS_PAGE, records_path="users"), "the people"):
                user = mapping.parse(MUser, raw, "user")
                if not isinstance(user, SourceRejected):
                    people.append(mapping.person(user))
            self._people = people
        return self._people

    # -- extraction ------------------------------------------------------------------------
    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        count = self._sizes.get(container_id)
        if count is None:
            count = await self._items_count(container_id)
        limit = max(1, min(PAGE, count or PAGE))
        data = await self.client.query("board", board_id=container_id, limit=limit)
        boards = data.get("boards")
        if not isinstance(boards, list) or not boards or not isinstance(boards[0], dict):
            raise VendorDataError(f"monday.com answered board {container_id} with no board.")
        raw_board = boards[0]
        board = mapping.parse(MBoard, raw_board, "board")
        if isinstance(board, SourceRejected):
            raise VendorDataError(board.reason)
        if board.state != "active" and not include_archived:
            # Left out whole, as monday.com's own board list hides it: no template, nothing on it.
            yield SourceLeftOut(
                mapping.key("board", board.id),
                "container",
                f"the board is {board.state}, and the plan leaves archived records out",
            )
            return
        people = await self._account_people()
        known = {p.key for p in people}
        stage_col = mapping.stage_column_of(board.columns, self.stages, self.stage_column)
        yield mapping.board_to_template(board, people, stage_col)
        if self.stages == mapping.STATUS_STAGES and stage_col is None:
            named = f" '{self.stage_column}'" if self.stage_column else ""
            yield SourceLoss(
                mapping.key("board", board.id),
                "stage",
                f"board '{board.name}' has no status column{named}",
                "its groups are its steps instead",
            )
        columns: dict[str, MColumn] = {c.id: c for c in board.columns}

        read = _BoardRead(board, columns, stage_col, known)
        first = raw_board.get("items_page") or {}
        async for raw in self._items(container_id, first, limit):
            for obj in read.item(raw):
                yield obj
        if include_archived:
            # monday.com's item listing hides archived items (and those of archived groups and
            # boards): its activity log names every item the board has had, and the root
            # `items` query reads the ones not listed.
            items, subitems = await self._hidden(container_id, read.seen_ids())
            live_groups = {g.id for g in board.groups if not g.archived}
            async for raw in self._items_by_ids(items):
                closed = _hidden_why(raw, board.state, live_groups) is not None  # else a live item the listing missed
                for obj in read.item(raw, closed=closed):
                    yield obj
            hidden = [
                s
                for s, parent in subitems.items()
                if parent in read.items and mapping.key("subitem", s) not in read.item_keys
            ]
            async for raw in self._items_by_ids(hidden):
                parent = read.items.get(subitems.get(str(raw.get("id")), ""))
                if parent is not None:
                    for obj in read.subitem(raw, parent, HIDDEN_SUBITEM_POSITION, closed=True):
                        yield obj
        item_keys, quarantined, assets = read.item_keys, read.quarantined, read.assets

        board_ids = [container_id]
        sub_board = _subitems_board(board)
        if sub_board and any(k.startswith("monday:subitem:") for k in item_keys) | bool(quarantined):
            board_ids.append(sub_board)
        async for up in self._updates(board_ids):
            on = up.item_id or ""
            item_key = next((k for k in (mapping.key("item", on), mapping.key("subitem", on)) if k in item_keys), None)
            if item_key is None:
                if on in quarantined:
                    yield _orphan(mapping.key("comment", up.id), "comment", f"monday:item:{on}")
                    for r in up.replies or []:
                        yield _orphan(mapping.key("comment", r.id), "comment", f"monday:item:{on}")
                continue  # an update of an archived or deleted item: left out with it
            yield mapping.map_comment(up, item_key)
            for r in up.replies or []:
                yield mapping.map_comment(r, item_key, "↳ ")
            for a in [*(up.assets or []), *(a for r in up.replies or [] for a in r.assets or [])]:
                k = mapping.key("attachment", a.id)
                if k not in assets:
                    assets[k] = mapping.map_asset(a, item_key)
        for att in assets.values():
            yield att

    async def _hidden(self, board_id: str, listed: set[str]) -> tuple[list[str], dict[str, str]]:
        """The items the board's activity log names that its listing did not give (archived,
        in an archived group or on an archived board; deleted ones are gone), and its subitems
        likewise, each with its parent's id."""
        items: dict[str, None] = {}
        subitems: dict[str, str] = {}
        gone: set[str] = set()
        async for log in self._activity(board_id, None):
            data = log.payload()
            pulse = str(data.get("pulse_id") or "")
            if log.entity != "pulse" or not pulse or pulse in listed:
                continue
            if log.event == "delete_pulse":
                gone.add(pulse)
            elif data.get("parent_item_id") is not None:
                subitems[pulse] = str(data["parent_item_id"])
            else:
                items[pulse] = None
        return sorted(set(items) - gone, key=int), {s: p for s, p in subitems.items() if s not in gone}

    async def _items_by_ids(
        self, ids: list[str], op: str = "items_by_ids", **variables: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """These items, archived ones too, read at the root 100 at a time (its limit)."""
        for n in range(0, len(ids), ROOT_ITEMS):
            chunk = ids[n : n + ROOT_ITEMS]
            data = await self.client.query(op, ids=chunk, limit=len(chunk), **variables)
            for raw in data.get("items") or []:
                if isinstance(raw, dict):
                    yield raw

    async def _items_count(self, board_id: str) -> int | None:
        """How many items the board holds, to size the first page (complexity is charged by the
        page size asked for, not by what comes back)."""
        boards = (await self.client.query("board_size", board_id=board_id)).get("boards") or []
        count = boards[0].get("items_count") if boards and isinstance(boards[0], dict) else None
        return count if isinstance(count, int) else None

    async def _items(self, board_id: str, first: dict[str, Any], limit: int) -> AsyncIterator[dict[str, Any]]:
        """Every item, a page at a time; a cursor that expired restarts the listing."""
        page = first
        restarts = 0
        while True:
            items = page.get("items")
            if not isinstance(items, list):
                raise VendorDataError(f"monday.com answered the items of board {board_id} with no list.")
            for raw in items:
                yield raw
            cursor = page.get("cursor")
            if not cursor:
                return
            try:
                data = await self.client.query("next_items", cursor=cursor, limit=PAGE)
                page = data.get("next_items_page") or {}
                restarts = 0
            except CursorExpired:
                restarts += 1
                if restarts > 2:
                    raise VendorDataError(
                        f"monday.com keeps refusing the item cursors of board {board_id} as expired, even fresh ones."
                    ) from None
                data = await self.client.query("board", board_id=board_id, limit=PAGE)
                page = ((data.get("boards") or [{}])[0] or {}).get("items_page") or {}

    async def _updates(self, board_ids: list[str]) -> AsyncIterator[MUpdate]:
        for board_id in board_ids:
            paginator = PageNumber(UPDATES_PAGE, records_path="boards.0.updates")
            async for raw in self._records(
                "board_updates", paginator, f"the updates of board {board_id}", board_ids=[board_id]
            ):
                parsed = mapping.parse(MUpdate, raw, "comment")
                if not isinstance(parsed, SourceRejected):
                    yield parsed

    # -- what monday.com states of itself --------------------------------------------------
    async def stated_counts(self, container_id: str) -> list[StatedItem]:
        """Per item and per active subitem, monday.com's own counts, read apart from the
        extraction: its updates with their replies, and the item's files (its assets, from its
        columns and its updates)."""
        out: list[StatedItem] = []
        data = await self.client.query(
            "stated_counts", board_id=container_id, limit=STATED_PAGE, updates_limit=STATED_UPDATES
        )
        boards = data.get("boards") or []
        if not boards:
            raise VendorDataError(f"monday.com answered board {container_id} with no board.")
        columns = [
            c
            for c in (mapping.parse(MColumn, c, "column") for c in boards[0].get("columns") or [])
            if isinstance(c, MColumn)
        ]
        by_status = mapping.stage_column_of(columns, self.stages, self.stage_column)
        stage_id = by_status.id if by_status else None
        page = boards[0].get("items_page") or {}
        seen: set[str] = set()
        while True:
            for raw in page.get("items") or []:
                if not isinstance(raw, dict) or str(raw.get("id")) in seen:
                    continue
                seen.add(str(raw.get("id")))
                out += _stated(await self._all_updates(raw), stage_id)
            cursor = page.get("cursor")
            if not cursor:
                break
            try:
                page = (
                    await self.client.query(
                        "stated_next", cursor=cursor, limit=STATED_PAGE, updates_limit=STATED_UPDATES
                    )
                ).get("next_items_page") or {}
            except CursorExpired:
                page = (
                    (
                        await self.client.query(
                            "stated_counts", board_id=container_id, limit=STATED_PAGE, updates_limit=STATED_UPDATES
                        )
                    ).get("boards")
                    or [{}]
                )[0].get("items_page") or {}
        # What the listing hides (archived items, and those of archived groups and boards),
        # named by the board's activity log and read by id: stated as archived.
        # An item the listing left out that monday.com says is live (active, in a live group of a
        # live board) is stated as live: verify then finds it missing, never "archived".
        board = boards[0]
        live_groups = {g.get("id") for g in board.get("groups") or [] if isinstance(g, dict) and not g.get("archived")}
        listed_live = sum(1 for s in out if s.key.startswith("monday:item:"))
        items, subitems = await self._hidden(container_id, {s.key.rsplit(":", 1)[1] for s in out})
        async for raw in self._items_by_ids(items, "stated_by_ids", updates_limit=STATED_UPDATES):
            listed_live += (
                _hidden_why(raw, "active", live_groups) is None
            )  # what items_count counts, whatever the board
            out += _stated(await self._all_updates(raw), stage_id, _hidden_why(raw, board.get("state"), live_groups))
        keys = {s.key for s in out}
        subs = [
            x for x, p in subitems.items() if mapping.key("item", p) in keys and mapping.key("subitem", x) not in keys
        ]
        async for raw in self._items_by_ids(subs, "stated_by_ids", updates_limit=STATED_UPDATES):
            out.append(_stated_one("subitem", raw, files=0, values=0, archived=ARCHIVED))
        # items_count: the live items monday.com counts on the board, whether or not anything named them
        counted = board.get("items_count")
        for n in range(max(0, counted - listed_live) if isinstance(counted, int) else 0):
            out.append(
                StatedItem(
                    mapping.key("item", f"unlisted-{container_id}-{n + 1}"),
                    "(an item monday.com counts on the board but did not list)",
                    {},
                )
            )
        return out

    async def _all_updates(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The item as stated, with its updates past the first nested page when it has more."""
        if len(raw.get("updates") or []) < STATED_UPDATES:
            return raw
        return {**raw, "updates": (raw.get("updates") or []) + await self._more_updates(str(raw["id"]))}

    async def _more_updates(self, item_id: str) -> list[dict[str, Any]]:
        """The updates of an item past the first nested page, page by page."""
        more: list[dict[str, Any]] = []
        page = 2
        while True:
            items = (
                await self.client.query("item_update_ids", item_ids=[item_id], limit=STATED_UPDATES, page=page)
            ).get("items") or []
            got = [u for u in ((items[0] or {}).get("updates") or []) if isinstance(u, dict)] if items else []
            more += got
            if len(got) < STATED_UPDATES:
                return more
            page += 1

    # -- sync ------------------------------------------------------------------------------
    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        """Items (and subitems) created, changed, moved, archived or deleted after `cursor`, from
        the board's activity log. The cursor is the newest log's `created_at` (17-digit unix
        time, so later is larger). With no cursor, nothing is reported and the cursor is the
        newest log (or the epoch, for a board with none), the baseline for the next call.
        monday.com gives at most 10,000 logs and keeps updates out of the log: the full re-read
        and the content hashes confirm each change and find what the log leaves out."""
        if cursor is None:
            newest = [log async for log in self._activity(container_id, None, page_size=1, pages=1)]
            return ChangeSet(cursor=newest[0].created_at if newest else EPOCH_TICKS)
        since = int(cursor) if cursor.isdigit() else 0
        logs = [
            log
            async for log in self._activity(container_id, _iso_of_ticks(since))
            if log.created_at.isdigit() and int(log.created_at) > since
        ]
        changes = ChangeSet(cursor=cursor)
        for log in sorted(logs, key=lambda g: int(g.created_at)):
            changes.cursor = log.created_at
            _apply_log(changes, log)
        return changes

    async def _activity(
        self, board_id: str, since: str | None, page_size: int = ACTIVITY_PAGE, pages: int | None = None
    ) -> AsyncIterator[MActivityLog]:
        """The board's activity logs (newest first) from `since` (ISO 8601), `pages` pages at most."""
        paginator = PageNumber(page_size, records_path="boards.0.activity_logs")
        n = 0
        async for raw in self._records(
            "activity_logs", paginator, f"the activity log of board {board_id}", board_ids=[board_id], **{"from": since}
        ):
            n += 1
            log = mapping.parse(MActivityLog, raw, "activity log")
            if not isinstance(log, SourceRejected):
                yield log
            if pages is not None and n >= pages * page_size:
                return

    # -- files -----------------------------------------------------------------------------
    async def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        """The file from its public URL; a URL refused (they are signed for an hour) is asked
        for again once, and a file refused even then is unavailable (quarantined alone)."""
        url = attachment.url or await self._fresh_url(attachment)
        for attempt in range(2):
            try:
                async for chunk in self.client.download(url, size=attachment.size, mime_type=attachment.mime_type):
                    yield chunk
                return
            except PermissionDenied:
                if attempt:
                    raise ObjectUnavailable(
                        f"monday.com refused file {attachment.source_id} even from a fresh public URL"
                    ) from None
                url = await self._fresh_url(attachment)

    async def _fresh_url(self, attachment: Attachment) -> str:
        data = await self.client.query("asset", asset_id=attachment.source_id)
        fresh = [a for a in data.get("assets") or [] if isinstance(a, dict) and a.get("public_url")]
        if not fresh:
            raise ObjectUnavailable(f"monday.com no longer has file {attachment.source_id}")
        return str(fresh[0]["public_url"])


class _BoardRead:
    """What one board's extraction has met so far: items and subitems yielded (what comments
    and files may hang on), items refused (what hangs on them is refused too), files by key."""

    def __init__(self, board: MBoard, columns: dict[str, MColumn], stage_col: MColumn | None, known: set[str]) -> None:
        self.board, self.columns, self.stage_col, self.known = board, columns, stage_col, known
        self.items: dict[str, Item] = {}  # by monday.com id
        self.item_keys: set[str] = set()
        self.quarantined: set[str] = set()
        self.assets: dict[str, Attachment] = {}
        self.position = 0

    def seen_ids(self) -> set[str]:
        return {k.rsplit(":", 1)[1] for k in self.item_keys} | self.quarantined

    def item(self, raw: Any, closed: bool = False) -> Iterator[Extracted]:
        """An item of the listing, then its subitems; its files are kept for the end."""
        item = mapping.map_item(raw, self.board, self.columns, self.stage_col, self.position, self.known)
        self.position += 1
        subs = [x for x in raw.get("subitems") or [] if isinstance(x, dict)] if isinstance(raw, dict) else []
        if isinstance(item, SourceRejected):
            yield item
            self.quarantined.add(str(raw.get("id")) if isinstance(raw, dict) else "")
            for x in subs:
                self.quarantined.add(str(x.get("id")))
                yield _orphan(mapping.key("subitem", str(x.get("id"))), "subitem", item.key)
            for a in raw.get("assets") or [] if isinstance(raw, dict) else []:
                if isinstance(a, dict):
                    yield _orphan(mapping.key("attachment", str(a.get("id"))), "attachment", item.key)
            return
        if item.key in self.item_keys:
            return  # a restarted listing (its cursor expired) gives the first items again
        if closed:
            item = item.model_copy(update={"closed": True})
        self.item_keys.add(item.key)
        self.items[item.key.rsplit(":", 1)[1]] = item
        yield item
        for n, x in enumerate(subs):
            if (x.get("state") or "active") == "active":
                yield from self.subitem(x, item, n)
        for a in raw.get("assets") or []:
            parsed = mapping.parse(MAsset, a, "attachment")
            if isinstance(parsed, SourceRejected):
                yield parsed
            elif mapping.key("attachment", parsed.id) not in self.assets:
                self.assets[mapping.key("attachment", parsed.id)] = mapping.map_asset(parsed, item.key)

    def subitem(self, raw: Any, parent: Item, position: int, closed: bool = False) -> Iterator[Extracted]:
        sub = mapping.map_subitem(raw, parent, position, self.known)
        if isinstance(sub, SourceRejected):
            yield sub
            return
        if sub.key in self.item_keys:
            return
        self.item_keys.add(sub.key)
        yield sub.model_copy(update={"closed": True}) if closed or parent.closed else sub


def _orphan(key: str, kind: str, item_key: str) -> SourceRejected:
    return SourceRejected(key, kind, f"This {kind} belongs to {item_key}, which was quarantined as malformed.")


def _iso_of_ticks(t: int) -> str:
    """17-digit activity-log time as the ISO 8601 second it falls in (`from` is inclusive)."""
    return datetime.fromtimestamp(t // 10_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _apply_log(changes: ChangeSet, log: MActivityLog) -> None:
    """One log line into the change set: an item's (or a subitem's) creation or edit is a
    change, its archiving or deletion takes it out of the board's live items."""
    data = log.payload()
    pulse = data.get("pulse_id")
    if log.entity != "pulse" or pulse is None:
        return
    kind = "subitem" if data.get("parent_item_id") is not None else "item"
    key = mapping.key(kind, str(pulse))
    if log.event in GONE_EVENTS:
        changes.deleted_item_ids.add(key)
        changes.changed_item_ids.discard(key)
    else:
        changes.changed_item_ids.add(key)
        changes.deleted_item_ids.discard(key)


def _subitems_board(board: MBoard) -> str | None:
    """The board that holds this board's subitems: named in its subitems column's settings."""
    for c in board.columns:
        ids = mapping.settings(c).get("boardIds") if c.type == "subtasks" else None
        if isinstance(ids, list) and ids:
            return str(ids[0])
    return None


def _hidden_why(raw: dict[str, Any], board_state: Any, live_groups: set[Any]) -> str | None:
    """Why the board's listing hid this item (archived: it, its group or its board), or None
    when monday.com says it is live."""
    group = raw.get("group")
    in_live_group = isinstance(group, dict) and group.get("id") in live_groups
    live = (raw.get("state") or "active") == "active" and in_live_group and (board_state or "active") == "active"
    return None if live else ARCHIVED


def _stated(it: dict[str, Any], stage_id: str | None, archived: str | None = None) -> list[StatedItem]:
    """The item's own counts, and each active subitem's (an item of its own, archived with it)."""
    out = [_stated_one("item", it, files=len(it.get("assets") or []), values=_filled(it, stage_id), archived=archived)]
    for s in it.get("subitems") or []:
        if isinstance(s, dict):
            out.append(_stated_one("subitem", s, files=0, values=0, archived=archived))
    return out


def _filled(it: dict[str, Any], stage_id: str | None) -> int:
    """The item's column values that monday.com shows filled (their display text), in the
    columns that are fields: not its files, its subitems, or the status column its stages
    come from."""
    return sum(
        1
        for cv in it.get("column_values") or []
        if isinstance(cv, dict)
        and cv.get("type") not in mapping.NOT_FIELDS
        and cv.get("id") != stage_id
        and (cv.get("text") or cv.get("display_value"))
    )


def _stated_one(kind: str, it: dict[str, Any], files: int, values: int, archived: str | None = None) -> StatedItem:
    updates = [u for u in it.get("updates") or [] if isinstance(u, dict)]
    comments = sum(1 + len(u.get("replies") or []) for u in updates)
    return StatedItem(
        mapping.key(kind, str(it.get("id"))),
        str(it.get("name") or ""),
        {"comment": comments, "file": files, "field_value": values},
        archived or (None if (it.get("state") or "active") == "active" else ARCHIVED),
    )
