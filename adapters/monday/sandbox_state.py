"""The monday.com sandbox's seeded state: an account with users, workspaces, boards (main,
private, shareable; archived and deleted ones), groups, typed columns with their settings,
items with column values in monday.com's own JSON shapes, subitems on their own board,
updates with replies and files, and item links.

Everything derives from `random.Random(seed)`, so two sandboxes with the same seed and scale
are identical. File bytes are not stored: `asset_bytes` regenerates them from (seed, id).
The awkward shapes a real account has are seeded on purpose: unicode, right-to-left, emoji,
255-character and blank names, archived and deleted items, groups and boards, an empty board
and an empty group, a column type our mapping does not know, values stored as bare JSON
strings, an item with more updates than one nested page, and a file whose download fails.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BASE_TS = 1_704_067_200  # 2024-01-01T00:00:00Z
SPAN_S = 480 * 86_400

SCALES: dict[str, dict[str, Any]] = {
    # items per board (the first boards carry the load), updates and files per item on average
    "small": {"boards": [30, 12, 6, 5], "updates": 2.0, "files": 0.25, "subitems": 0.3},
    "medium": {"boards": [900, 600, 300, 150, 50], "updates": 2.5, "files": 0.2, "subitems": 0.3},
    "large": {"boards": [4000, 3000, 2000, 1000, 100], "updates": 3.1, "files": 0.21, "subitems": 0.3},
}

FIRST = ["Alex", "Priya", "Jonas", "Mei", "Omar", "Sofia", "Liam", "Aisha", "Mateo", "Yuki", "Noah", "Elena"]
LAST = ["Keller", "Nair", "Berg", "Chen", "Haddad", "Rossi", "Walsh", "Okafor", "Silva", "Tanaka", "Novak", "García"]
BOARD_NAMES = ["Client onboarding", "Marketing launch", "Hiring pipeline", "Product roadmap", "Office move"]
GROUPS = ["Intake", "In progress", "Review", "Waiting on client", "Done"]
VERBS = ["Review", "Draft", "Ship", "Update", "Plan", "Fix", "Call", "Prepare", "Approve", "Send"]
NOUNS = ["contract", "invoice", "brief", "deck", "budget", "welcome pack", "proposal", "report", "roadmap"]
AWKWARD_NAMES = [
    "طلب العميل الجديد",  # right-to-left
    "🚀 Launch 🎉 party",
    "Zürich Straße — Übergabe",
    "",  # blank
    "   ",
    "L" + "o" * 252 + "ng",  # 255 characters, monday.com's longest
    'Quote "this" & <that>',
]
STATUS_LABELS = {"0": "Working on it", "1": "Done", "2": "Stuck", "5": ""}
STATUS_COLORS = {"0": "#fdab3d", "1": "#00c875", "2": "#df2f4a", "5": "#c4c4c4"}
GROUP_COLORS = ["#579bfc", "#a25ddc", "#fdab3d", "#00c875", "#e2445c", "#037f4c"]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    id: str
    name: str
    email: str
    enabled: bool = True
    is_guest: bool = False
    created_at: str = ""
    title: str = ""
    kind: str = "member"


@dataclass
class Workspace:
    id: str
    name: str
    kind: str = "open"
    state: str = "active"
    description: str = ""


@dataclass
class Group:
    id: str
    title: str
    color: str
    position: str
    archived: bool = False
    deleted: bool = False


@dataclass
class Column:
    id: str
    title: str
    type: str
    settings: dict[str, Any] = field(default_factory=dict)
    archived: bool = False
    description: str | None = None
    width: int | None = None


@dataclass
class Asset:
    id: str
    name: str
    file_extension: str
    file_size: int
    created_at: str
    uploaded_by: str
    item_id: str
    broken: bool = False  # its download always fails (a file the vendor lost)


@dataclass
class Reply:
    id: str
    body: str
    text_body: str
    creator_id: str
    created_at: str
    asset_ids: list[str] = field(default_factory=list)


@dataclass
class Update:
    id: str
    item_id: str
    body: str
    text_body: str
    creator_id: str
    created_at: str
    replies: list[Reply] = field(default_factory=list)
    asset_ids: list[str] = field(default_factory=list)


@dataclass
class Item:
    id: str
    board_id: str
    group_id: str
    name: str
    created_at: str
    updated_at: str
    creator_id: str
    state: str = "active"  # active | archived | deleted
    values: dict[str, Any] = field(default_factory=dict)  # column id -> monday.com's stored JSON value
    parent_id: str | None = None
    subitem_ids: list[str] = field(default_factory=list)
    update_ids: list[str] = field(default_factory=list)
    asset_ids: list[str] = field(default_factory=list)  # files in its file columns


@dataclass
class Board:
    id: str
    name: str
    board_kind: str  # public | private | share
    state: str  # active | archived | deleted
    workspace_id: str | None
    created_at: str
    updated_at: str
    creator_id: str
    description: str = ""
    type: str = "board"  # board | sub_items_board
    groups: list[Group] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)  # in board order
    owner_ids: list[str] = field(default_factory=list)
    subscriber_ids: list[str] = field(default_factory=list)
    subitems_board_id: str | None = None
    tag_ids: list[int] = field(default_factory=list)


@dataclass
class Tag:
    id: int
    name: str
    color: str


@dataclass
class ActivityLog:
    """One line of a board's activity log, as monday.com records it: `created_at` in 17-digit
    unix time (tenths of a microsecond), `data` the event's JSON (serialised when read)."""

    id: str
    board_id: str
    event: str  # create_pulse, update_name, update_column_value, move_pulse_into_group, archive_pulse, ...
    entity: str  # pulse | board
    data: dict[str, Any]
    created_at: int
    user_id: str


def ticks(ts: float) -> int:
    """A unix time in monday.com's activity-log form: 17 digits, tenths of a microsecond."""
    return round(ts * 10_000_000)


@dataclass
class MondayState:
    seed: int
    scale: str
    account_id: int
    account_name: str
    slug: str
    me_id: str
    tier: str = "pro"
    # creating a subitem moves its parent's updated_at (the vendor's docs say neither way): off
    # unless asked for (`POST /_sandbox/options {"subitem_bumps_parent": true}`)
    subitem_bumps_parent: bool = False
    users: dict[str, User] = field(default_factory=dict)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    updates: dict[str, Update] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    tags: dict[int, Tag] = field(default_factory=dict)
    activity: dict[str, list[ActivityLog]] = field(default_factory=dict)  # per board, oldest first
    unlisted: set[str] = field(default_factory=set)  # a fault: live items the board's listing leaves out
    next_id: int = 1_800_000_000
    # What the API made (boards, groups, columns, items, updates, files), apart from the seed:
    # the export lists these as a target's objects. An uploaded file's bytes are kept as sha256.
    made: set[str] = field(default_factory=set)
    uploads: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id (sandbox_webhooks)
    # told of every item event (an activity-log line's event and data) and every update posted
    # ("create_update"), for webhook deliveries
    on_event: Callable[[str, Item, dict[str, Any]], None] | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The state without its listener: a saved demo world (wizard/sandboxes.py pickles it)
        holds data only; the sandbox it is put back into attaches its own (MondaySandbox.state)."""
        return {**self.__dict__, "on_event": None}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.__dict__.update({"webhooks": {}, **saved})  # a world saved before webhooks has none

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def board_of(self, item: Item) -> Board:
        return self.boards[item.board_id]

    def log_item(
        self, item: Item, event: str, at: float | None = None, user_id: str | None = None, **data: Any
    ) -> ActivityLog:
        """Record an event of an item in its board's activity log, as monday.com does for every
        change made in the product or through the API; a subitem's events go to its parent's
        board with `parent_item_id` and `parent_board_id`. `at`: when (now if None)."""
        board_id = item.board_id
        about: dict[str, Any] = {"board_id": int(board_id), "group_id": item.group_id}
        if item.parent_id is not None:
            parent = self.items[item.parent_id]
            board_id = parent.board_id
            about.update(parent_item_id=int(parent.id), parent_board_id=int(parent.board_id))
        about.update(pulse_id=int(item.id), pulse_name=item.name)
        logs = self.activity.setdefault(board_id, [])
        seq = sum(map(len, self.activity.values()))
        log = ActivityLog(
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"monday-sandbox:{self.seed}:{seq}")),
            board_id,
            event,
            "pulse",
            {**about, **data},
            ticks(time.time() if at is None else at),
            user_id or self.me_id,
        )
        bisect.insort(logs, log, key=lambda g: g.created_at)  # kept in time order, as seeding is not
        if self.on_event is not None:
            self.on_event(event, item, log.data)
        return log

    def post_update(self, up: Update) -> None:
        """An update posted on an item now (kept in its updates, not in the activity log)."""
        item = self.items[up.item_id]
        self.updates[up.id] = up
        item.update_ids.append(up.id)
        item.updated_at = up.created_at
        if self.on_event is not None:
            self.on_event("create_update", item, {"update_id": up.id})

    def item_archived(self, item: Item) -> bool:
        """Hidden from `items_page`: the item, its group or its board is archived or deleted
        (a subitem goes with its parent)."""
        if item.state != "active":
            return True
        board = self.boards[item.board_id]
        if board.state != "active":
            return True
        group = next((g for g in board.groups if g.id == item.group_id), None)
        if group is not None and (group.archived or group.deleted):
            return True
        if item.parent_id is not None:
            return self.item_archived(self.items[item.parent_id])
        return False


def asset_bytes(seed: int, asset_id: str, size: int) -> Iterator[bytes]:
    """The file's bytes, regenerated from (seed, id), in chunks of 64 KiB."""
    block = hashlib.sha256(f"{seed}:{asset_id}".encode()).digest() * 2048  # 64 KiB
    left = size
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n


def build_state(seed: int = 1, scale: str = "small") -> MondayState:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    rng = random.Random(seed)
    sizes = SCALES[scale]
    st = MondayState(seed, scale, 9_000_000 + seed, "Acme Consulting", "acme", me_id="")
    for i in range(12):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 5) % len(LAST)]
        uid = str(40_000_000 + i)
        name = f"{first} {last}"
        if i == 10:
            name = "نور الهدى"  # right-to-left
        st.users[uid] = User(uid, name, f"{first.lower()}.{last.lower()}@acme.example", created_at=iso(BASE_TS))
    st.users["40000011"].enabled = False  # a deactivated person still named on old items
    st.me_id = "40000000"
    st.workspaces["1000"] = Workspace("1000", "Main workspace")
    st.workspaces["1001"] = Workspace("1001", "Client work 🤝", kind="closed")
    for i, (name, color) in enumerate([("urgent", "#e2445c"), ("vip", "#a25ddc"), ("läuft", "#00c875")]):
        st.tags[100 + i] = Tag(100 + i, name, color)

    kinds = ["public", "private", "share", "public", "public"]
    for b, count in enumerate(sizes["boards"]):
        _seed_board(st, rng, BOARD_NAMES[b % len(BOARD_NAMES)], kinds[b % len(kinds)], count, sizes, b)
    # an empty board, an archived board with items, a deleted board
    _seed_board(st, rng, "Empty board", "public", 0, sizes, 90)
    _seed_board(st, rng, "Old projects (archived)", "public", 4, sizes, 91, state="archived")
    _seed_board(st, rng, "Deleted board", "public", 2, sizes, 92, state="deleted")
    _seed_links(st, rng)
    return st


def _columns(st: MondayState, b: int) -> list[Column]:
    dropdown = {"labels": [{"id": 1, "name": "Web"}, {"id": 2, "name": "Referral"}, {"id": 3, "name": "Event"}]}
    return [
        Column("name", "Name", "name"),
        Column("status", "Status", "status", {"labels": STATUS_LABELS, "labels_colors": STATUS_COLORS}),
        Column("person", "Owner", "people"),
        Column("date4", "Due", "date"),
        Column("timeline", "Timeline", "timeline"),
        Column("numbers", "Budget", "numbers", {"unit": {"symbol": "$"}}),
        Column("text", "Client", "text"),
        Column("long_text", "Notes", "long_text"),
        Column("email", "Email", "email"),
        Column("phone", "Phone", "phone"),
        Column("link", "Website", "link"),
        Column("checkbox", "Signed", "checkbox"),
        Column("rating", "Priority", "rating", {"max": 5}),
        Column("tags", "Tags", "tags"),
        Column("dropdown", "Source", "dropdown", dropdown),
        Column("files", "Files", "file"),
        Column("connect", "Related", "board_relation", {"boardIds": [], "allowMultipleItems": True}),
        Column("dependency", "Depends on", "dependency"),
        Column("mirror", "Related status", "mirror", {"relation_column": {"connect": True}}),
        Column("world_clock", "Client time zone", "world_clock"),  # a type our mapping does not know
        Column("old_text", "Old column", "text", archived=True),
    ]


def _seed_board(
    st: MondayState,
    rng: random.Random,
    name: str,
    kind: str,
    count: int,
    sizes: dict[str, Any],
    b: int,
    state: str = "active",
) -> None:
    bid = st.new_id()
    created = BASE_TS + b * 86_400
    board = Board(
        bid,
        name,
        kind,
        state,
        workspace_id="1001" if b % 2 else "1000",
        created_at=iso(created),
        updated_at=iso(created + SPAN_S),
        creator_id=st.me_id,
        description=f"{name}, as the team runs it",
        owner_ids=[st.me_id],
        subscriber_ids=sorted(rng.sample(sorted(st.users), 4)),
        tag_ids=sorted(st.tags),
    )
    st.boards[bid] = board
    if count == 0 and state == "active":
        board.groups = [Group("topics", "Group Title", GROUP_COLORS[0], "65536")]
        board.columns = [Column("name", "Name", "name")]
        return
    board.columns = _columns(st, b)
    for g, title in enumerate(GROUPS):
        gid = "topics" if g == 0 else f"group_{g}_{bid[-4:]}"
        board.groups.append(Group(gid, title, GROUP_COLORS[g % len(GROUP_COLORS)], str(65536 * (g + 1))))
    if count >= 20:
        board.groups.append(Group(f"empty_{bid[-4:]}", "Nothing here yet", "#c4c4c4", str(65536 * 7)))
        board.groups.append(Group(f"old_{bid[-4:]}", "Last year (archived)", "#808080", str(65536 * 8), archived=True))
    sub = subitems_board(st, board)
    live_groups = [g for g in board.groups if not g.archived and not g.id.startswith("empty_")]
    for n in range(count):
        ts = created + rng.randrange(SPAN_S // 2)
        group = live_groups[n % len(live_groups)] if not (count >= 20 and n % 17 == 16) else board.groups[-1]
        iname = f"{rng.choice(VERBS)} {rng.choice(NOUNS)} #{n + 1}"
        if b == 0 and n < len(AWKWARD_NAMES):
            iname = AWKWARD_NAMES[n]
        item = Item(st.new_id(), bid, group.id, iname, iso(ts), iso(ts + rng.randrange(86_400 * 30)), st.me_id)
        if n % 29 == 7:
            item.state = "archived"
        elif n % 53 == 11:
            item.state = "deleted"
        st.items[item.id] = item
        board.item_ids.append(item.id)
        _seed_values(st, rng, board, item, n, ts)
        _seed_log(st, item, ts)
        if rng.random() < sizes["subitems"]:
            for k in range(rng.randint(1, 3)):
                s = Item(
                    st.new_id(),
                    sub.id,
                    "topics",
                    f"Step {k + 1} of {item.name[:40] or 'item'}",
                    item.created_at,
                    item.updated_at,
                    st.me_id,
                    parent_id=item.id,
                )
                s.values = {"status": {"index": rng.choice([0, 1])}, "person": _people(rng, st)}
                if k == 2:
                    s.state = "archived"
                st.items[s.id] = s
                sub.item_ids.append(s.id)
                item.subitem_ids.append(s.id)
                _seed_log(st, s, ts)
                if rng.random() < 0.2:
                    _seed_update(st, rng, s, ts + 3600, files=False)
        n_updates = _poisson(rng, sizes["updates"])
        if b == 0 and n == 8:
            n_updates = 120  # more than one nested page of updates
        for u in range(n_updates):
            _seed_update(st, rng, item, ts + 600 * (u + 1))


def _seed_log(st: MondayState, item: Item, ts: float) -> None:
    """An item's history as its board's activity log holds it: created, and then archived or
    deleted if it was."""
    st.log_item(item, "create_pulse", at=ts, user_id=item.creator_id)
    if item.state in ("archived", "deleted"):
        event = "archive_pulse" if item.state == "archived" else "delete_pulse"
        st.log_item(item, event, at=ts + 86_400, user_id=item.creator_id)


def _people(rng: random.Random, st: MondayState) -> dict[str, Any]:
    ids = rng.sample(sorted(st.users), rng.choice([1, 1, 2]))
    return {"personsAndTeams": [{"id": int(i), "kind": "person"} for i in ids]}


def _seed_values(st: MondayState, rng: random.Random, board: Board, item: Item, n: int, ts: float) -> None:
    day = datetime.fromtimestamp(ts + 86_400 * rng.randrange(60), UTC).strftime("%Y-%m-%d")
    v: dict[str, Any] = {
        "status": {"index": rng.choice([0, 1, 2]), "post_id": None, "changed_at": iso(ts)},
        "person": _people(rng, st),
        "date4": {"date": day, "icon": None},
        "numbers": str(rng.randrange(100, 90_000)),  # monday.com stores numbers as a JSON string
        "text": f"{rng.choice(FIRST)} {rng.choice(LAST)} Ltd",
        "checkbox": {"checked": "true"} if rng.random() < 0.5 else None,
        "rating": {"rating": rng.randint(1, 5)},
    }
    if n % 3 == 0:
        v["timeline"] = {"from": day, "to": day, "changed_at": iso(ts)}
        v["long_text"] = {"text": "Line one\nLine two — ünïcode"}
        v["email"] = {"email": f"client{n}@example.com", "text": f"client{n}@example.com"}
        v["phone"] = {"phone": "+15550100", "countryShortName": "US"}
        v["link"] = {"url": "https://example.com/brief", "text": "Brief"}
        v["tags"] = {"tag_ids": [100, 102]}
        v["dropdown"] = {"ids": [1, 3]}
        v["world_clock"] = {"timezone": "Europe/Paris"}
    if n % 11 == 5:
        v["date4"] = day  # a value given as a bare string, as old items hold it
    if n % 4 == 1 and rng.random() < 0.9:
        v["status"] = {"index": 5}  # the blank label
    item.values = {k: val for k, val in v.items() if val is not None}
    if rng.random() < SCALES[st.scale]["files"] or (board.name == BOARD_NAMES[0] and n == 2):
        files = []
        for _ in range(rng.choice([1, 1, 2])):
            a = _asset(st, rng, item, ts)
            files.append(
                {
                    "name": a.name,
                    "assetId": int(a.id),
                    "isImage": "false",
                    "fileType": "ASSET",
                    "createdAt": int(ts * 1000),
                    "createdBy": a.uploaded_by,
                }
            )
            item.asset_ids.append(a.id)
        item.values["files"] = {"files": files}


def _asset(st: MondayState, rng: random.Random, item: Item, ts: float) -> Asset:
    ext = rng.choice(["pdf", "png", "docx", "csv"])
    stem = rng.choice(["contract", "brief", "photo", "Übersicht", "notes 2024", "..", "a/b"])
    a = Asset(
        st.new_id(), f"{stem}.{ext}", ext, rng.randrange(200, 40_000), iso(ts), rng.choice(sorted(st.users)), item.id
    )
    st.assets[a.id] = a
    return a


def _seed_update(st: MondayState, rng: random.Random, item: Item, ts: float, files: bool = True) -> None:
    text = f"{rng.choice(VERBS)} the {rng.choice(NOUNS)} — done by {rng.choice(FIRST)}"
    if rng.random() < 0.05:
        text = "مرحبا 👋 <b>bold</b> & more"
    up = Update(st.new_id(), item.id, f"<p>{_html(text)}</p>", text, rng.choice(sorted(st.users)), iso(ts))
    if rng.random() < 0.2:
        for r in range(rng.randint(1, 2)):
            rt = f"Reply {r + 1}: agreed"
            up.replies.append(
                Reply(st.new_id(), f"<p>{rt}</p>", rt, rng.choice(sorted(st.users)), iso(ts + 60 * (r + 1)))
            )
    if files and rng.random() < 0.03:
        up.asset_ids.append(_asset(st, rng, item, ts).id)
    st.updates[up.id] = up
    item.update_ids.append(up.id)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _poisson(rng: random.Random, mean: float) -> int:
    return max(0, round(rng.gauss(mean, mean / 2)))


def _seed_links(st: MondayState, rng: random.Random) -> None:
    """Board relations and dependencies between items of the same board (and one to another
    board), and the mirror column showing the linked items' status."""
    mains = [b for b in st.boards.values() if b.type == "board" and b.item_ids]
    for board in mains:
        others = [i for i in board.item_ids if st.items[i].state == "active"]
        for col in board.columns:
            if col.id == "connect":
                col.settings["boardIds"] = sorted({board.id, mains[0].id})
        for n, iid in enumerate(others):
            if n % 5 == 2 and len(others) > 3:
                item = st.items[iid]
                linked = rng.sample([o for o in others if o != iid], 2)
                item.values["connect"] = {"linkedPulseIds": [{"linkedPulseId": int(x)} for x in linked]}
                if n % 10 == 2:
                    item.values["dependency"] = {"linkedPulseIds": [{"linkedPulseId": int(linked[0])}]}


def value_json(value: Any) -> str | None:
    """The `value` field as monday.com sends it: its stored JSON, as a string."""
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def subitems_board(st: MondayState, board: Board) -> Board:
    """A board's subitems board, as monday.com makes it with the board's first subitem: its
    own columns (Owner, Status, Date), named by the board's Subitems column."""
    sub = Board(
        st.new_id(),
        f"Subitems of {board.name}",
        board.board_kind,
        board.state,
        board.workspace_id,
        board.created_at,
        board.updated_at,
        st.me_id,
        type="sub_items_board",
        groups=[Group("topics", "Subitems", GROUP_COLORS[0], "65536")],
        columns=[
            Column("name", "Name", "name"),
            Column("status", "Status", "status", {"labels": dict(STATUS_LABELS), "labels_colors": dict(STATUS_COLORS)}),
            Column("person", "Owner", "people"),
            Column("date0", "Date", "date"),
        ],
    )
    st.boards[sub.id] = sub
    board.subitems_board_id = sub.id
    board.columns.insert(
        1, Column("subitems", "Subitems", "subtasks", {"boardIds": [sub.id], "allowMultipleItems": True})
    )
    return sub
