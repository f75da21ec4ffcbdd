"""The Trello sandbox's seeded state: boards, lists, labels, members, custom fields, cards
with checklists, field values and attachments, and the board action log.

Everything derives from `random.Random(seed)` so two sandboxes with the same seed and scale
are identical, and ids are Mongo-ObjectId-like (the first 8 hex digits are the creation
Unix time) because Trello's `before`/`since` paging relies on that ordering. Attachment
bytes are not stored: `attachment_chunks` regenerates them from (seed, attachment id).
"""

from __future__ import annotations

import bisect
import hashlib
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

BASE_TS = 1_704_067_200  # 2024-01-01T00:00:00Z: seeded history starts here
SPAN_S = 480 * 86_400  # and spreads over this many seconds

SCALES: dict[str, dict[str, int]] = {
    "small": {"boards": 1, "cards": 40, "comments": 120, "attachments": 15},
    "medium": {"boards": 2, "cards": 2_000, "comments": 6_000, "attachments": 400},
    "large": {"boards": 4, "cards": 10_000, "comments": 30_000, "attachments": 2_000},
}

FIRST = [
    "Alex",
    "Priya",
    "Jonas",
    "Mei",
    "Omar",
    "Sofia",
    "Liam",
    "Aisha",
    "Mateo",
    "Yuki",
    "Noah",
    "Elena",
    "Kwame",
    "Ines",
    "Ravi",
    "Freya",
]
LAST = [
    "Keller",
    "Nair",
    "Berg",
    "Chen",
    "Haddad",
    "Rossi",
    "Walsh",
    "Okafor",
    "Silva",
    "Tanaka",
    "Novak",
    "Dubois",
    "Mensah",
    "García",
    "Iyer",
    "Larsen",
]
BOARDS = [
    "Client Onboarding",
    "Marketing Launch",
    "Hiring Pipeline",
    "Product Roadmap",
    "Office Move",
    "Quarterly Close",
]
LISTS = ["Backlog", "To Do", "Doing", "Review", "Blocked", "Waiting on client", "Done"]
VERBS = [
    "Review",
    "Draft",
    "Ship",
    "Update",
    "Plan",
    "Fix",
    "Approve",
    "Prepare",
    "Send",
    "Audit",
    "Schedule",
    "Design",
]
ADJS = ["quarterly", "new", "urgent", "client", "internal", "final", "revised", "weekly", "legal", "shared"]
NOUNS = [
    "invoice",
    "onboarding email",
    "contract",
    "landing page",
    "budget",
    "offer letter",
    "roadmap",
    "press release",
    "checklist",
    "vendor list",
    "kickoff deck",
    "SLA",
]
COMMENTS = [
    "Looks good, merging.",
    "Can you check the numbers again?",
    "Done ✅",
    "Waiting on the client 🙏",
    "שלום, נבדק ועבר",
    "مراجعة التصميم غدًا",
    "完成了，请确认。",
    "Größe geändert — bitte prüfen 👍",
    "Moved to **Review**.\nSee the attached draft.",
    "@team please take a look",
    "Blocked by legal 🚧",
    "Approved by finance.",
    "Résumé attached; ça marche ?",
]
CHECKLISTS = ["QA", "Launch steps", "Paperwork", "Sign-off"]
ITEMS = ["Test links", "Proofread", "Get approval", "Upload assets", "Notify team", "Update CRM", "Archive drafts"]
LABELS = [
    ("Urgent", "red"),
    ("Client", "green"),
    ("Internal", "blue"),
    ("Bug", "orange"),
    ("Design", "purple"),
    ("", "yellow"),
]
FILES = [
    ("mockup.png", "image/png"),
    ("contract (signed).pdf", "application/pdf"),
    ("notes.txt", "text/plain"),
    ("Résumé.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget 2024.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("screenshot.jpg", "image/jpeg"),
    ("data.csv", "text/csv"),
]
LINKS = [
    "https://docs.google.com/document/d/1AbCdEf/edit",
    "https://www.figma.com/file/XyZ123/Design",
    "https://github.com/acme/site/pull/42",
]

CHUNK = 64 * 1024


def iso(ts: float) -> str:
    """Trello's timestamp format: UTC with milliseconds and a Z."""
    whole = int(ts)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((ts - whole) * 1000):03d}Z"


def id_time(object_id: str) -> int:
    return int(object_id[:8], 16)


@dataclass(slots=True)
class Action:
    """One entry of a board's action log; rendered to Trello's shape on the way out."""

    id: str
    type: str
    date: str
    member_id: str
    board_id: str
    card_id: str | None = None
    list_id: str | None = None
    text: str | None = None
    extra: dict[str, Any] | None = None


@dataclass(slots=True)
class Card:
    data: dict[str, Any]  # the card's own fields as Trello sends them
    checklists: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    field_items: list[dict[str, Any]] = field(default_factory=list)
    comments: int = 0
    corrupt: bool = False

    @property
    def id(self) -> str:
        return self.data["id"]


@dataclass
class Board:
    data: dict[str, Any]
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_ids: list[str] = field(default_factory=list)
    card_ids: list[str] = field(default_factory=list)  # sorted by id (= by creation time)
    actions: list[Action] = field(default_factory=list)  # sorted by id
    action_ids: list[str] = field(default_factory=list)  # parallel to actions, for bisect
    # Whether the card listing nests checklists when asked (`checklists=all`): the spec does
    # not promise it, and real boards answer both ways; the seed decides, board by board.
    nests_checklists: bool = True

    @property
    def id(self) -> str:
        return self.data["id"]

    def add_action(self, action: Action) -> None:
        i = bisect.bisect(self.action_ids, action.id)
        self.action_ids.insert(i, action.id)
        self.actions.insert(i, action)


class IdMaker:
    """ObjectId-like ids: 8 hex of Unix time, 10 random hex, a 6-hex counter."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    def __call__(self, ts: float) -> str:
        self.counter = (self.counter + 1) % 0xFFFFFF
        return f"{int(ts):08x}{self.rng.getrandbits(40):010x}{self.counter:06x}"


@dataclass
class TrelloState:
    seed: int
    scale: str
    me: str
    org: dict[str, Any]
    members: dict[str, dict[str, Any]]
    boards: dict[str, Board]
    cards: dict[str, Card]
    card_board: dict[str, str]
    make_id: IdMaker
    rng: random.Random
    _sha: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id (sandbox_webhooks)
    on_action: Callable[[Action], None] | None = None  # told of every action recorded (webhook deliveries)

    def __getstate__(self) -> dict[str, Any]:
        """The state without its listener: a saved demo world (wizard/sandboxes.py pickles it)
        holds data only; the sandbox it is put back into attaches its own (TrelloSandbox.state)."""
        return {**self.__dict__, "on_action": None}

    def new_id(self) -> str:
        """An id for an object created now: later than every seeded id."""
        return self.make_id(max(time.time(), BASE_TS + SPAN_S + 86_400))

    def attachment_sha256(self, att: dict[str, Any]) -> str:
        if att["id"] not in self._sha:
            h = hashlib.sha256()
            for chunk in attachment_chunks(self.seed, att["id"], att["bytes"] or 0):
                h.update(chunk)
            self._sha[att["id"]] = h.hexdigest()
        return self._sha[att["id"]]


def attachment_chunks(seed: int, attachment_id: str, size: int, start: int = 0) -> Iterator[bytes]:
    """The attachment's bytes from `start`, generated chunk by chunk: never all in memory."""
    index, offset = divmod(start, CHUNK)
    pos = index * CHUNK
    while pos < size:
        block = random.Random(f"{seed}:{attachment_id}:{index}").randbytes(min(CHUNK, size - pos))
        yield block[offset:] if offset else block
        offset = 0
        index += 1
        pos += CHUNK


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:40]


def _short_link(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(8))


def build_state(seed: int = 1, scale: str = "small") -> TrelloState:
    """Seed a whole account deterministically; `large` builds in a few seconds."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    sizes = SCALES[scale]
    rng = random.Random(seed)
    make_id = IdMaker(rng)
    members: dict[str, dict[str, Any]] = {}
    people = [(f, s) for f in FIRST for s in LAST]
    rng.shuffle(people)
    for i, (first, last) in enumerate(people[: 6 + 2 * sizes["boards"]]):
        mid = make_id(BASE_TS - 400 * 86_400 + i * 3_600)
        members[mid] = {
            "id": mid,
            "fullName": f"{first} {last}",
            "username": f"{first}{last}".lower().replace("í", "i") + str(i),
            "initials": first[0] + last[0],
            "avatarHash": None,
            "avatarUrl": None,
            "memberType": "normal",
            "confirmed": True,
            "url": f"https://trello.com/u/{first.lower()}{i}",
            "email": None,
        }
    me = next(iter(members))
    members[me]["email"] = f"{members[me]['fullName'].split()[0].lower()}@example.com"
    org_id = make_id(BASE_TS - 300 * 86_400)
    org = {
        "id": org_id,
        "name": "acmeconsulting",
        "displayName": "Acme Consulting",
        "url": "https://trello.com/w/acmeconsulting",
    }
    state = TrelloState(seed, scale, me, org, members, {}, {}, {}, make_id, rng)
    for b in range(sizes["boards"]):
        _seed_board(state, b, sizes)
    for board in state.boards.values():
        board.card_ids.sort()
        pairs = sorted(zip(board.action_ids, board.actions, strict=True), key=lambda p: p[0])
        board.action_ids = [p[0] for p in pairs]
        board.actions = [p[1] for p in pairs]
    return state


def _share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


def _seed_board(state: TrelloState, b: int, sizes: dict[str, int]) -> None:
    rng, make_id = state.rng, state.make_id
    created = BASE_TS + b * 86_400
    bid = make_id(created)
    name = BOARDS[b % len(BOARDS)] + (f" {b // len(BOARDS) + 1}" if b >= len(BOARDS) else "")
    short = _short_link(rng)
    board = Board(
        {
            "id": bid,
            "name": name,
            "desc": f"Everything for {name.lower()}.",
            "descData": None,
            "closed": False,
            "idOrganization": state.org["id"],
            "idEnterprise": None,
            "pinned": False,
            "starred": False,
            "url": f"https://trello.com/b/{short}/{_slug(name)}",
            "shortUrl": f"https://trello.com/b/{short}",
            "shortLink": short,
            "idMemberCreator": state.me,
            "dateLastActivity": iso(created + SPAN_S),
            "dateLastView": iso(created + SPAN_S),
            "subscribed": False,
            "prefs": {
                "permissionLevel": "org",
                "hideVotes": False,
                "voting": "disabled",
                "comments": "members",
                "invitations": "members",
                "selfJoin": True,
                "cardCovers": True,
                "isTemplate": False,
                "cardAging": "regular",
                "calendarFeedEnabled": False,
                "background": f"{created:08x}" + "b" * 16,
            },  # an uploaded background image
            "labelNames": {c: n for n, c in LABELS},
        }
    )
    state.boards[bid] = board
    others = [m for m in state.members if m != state.me]
    board.member_ids = [state.me] + rng.sample(others, min(len(others), rng.randint(5, 8)))
    n_lists = rng.randint(4, 7)
    names = rng.sample(LISTS, n_lists - 1) + ["Old sprint"]
    for i, lname in enumerate(names):
        lid = make_id(created + 60 + i)
        board.lists[lid] = {
            "id": lid,
            "name": lname,
            "closed": lname == "Old sprint",
            "pos": 16384 * (i + 1),
            "idBoard": bid,
            "subscribed": False,
            "softLimit": None,
        }
    for i, (lname, color) in enumerate(LABELS):
        lab = make_id(created + 30 + i)
        board.labels[lab] = {"id": lab, "idBoard": bid, "name": lname, "color": color}
    _seed_fields(state, board, created)
    n_cards = _share(sizes["cards"], sizes["boards"], b)
    list_ids = list(board.lists)
    label_ids = list(board.labels)
    span = SPAN_S - 120 * 86_400
    for i in range(n_cards):
        ts = created + 3_600 + span * i / max(1, n_cards) + rng.random() * 60
        _seed_card(state, board, i + 1, ts, rng.choice(list_ids), label_ids)
    _seed_real_shapes(state, board)
    card_ids = sorted(c for c in board.card_ids)
    n_comments = _share(sizes["comments"], sizes["boards"], b)
    for _ in range(n_comments):
        cid = rng.choice(card_ids)
        card = state.cards[cid]
        ts = id_time(cid) + rng.random() * (BASE_TS + SPAN_S - id_time(cid))
        text = rng.choice(COMMENTS) if rng.random() < 0.7 else f"{rng.choice(VERBS)} the {rng.choice(NOUNS)} by Friday?"
        card.comments += 1
        board.actions.append(
            Action(
                make_id(ts), "commentCard", iso(ts), rng.choice(board.member_ids), bid, cid, card.data["idList"], text
            )
        )
    board.action_ids = [a.id for a in board.actions]
    n_atts = _share(sizes["attachments"], sizes["boards"], b)
    for k in range(n_atts):
        cid = rng.choice(card_ids)
        _seed_attachment(state, state.cards[cid], b == 0 and k == 0, k)


LONG_NAME_CHARS = 16_384


def _seed_real_shapes(state: TrelloState, board: Board) -> None:
    """What a real workspace holds and a tidy seed would not, fixed by the seed without
    drawing on its random stream (so every other seeded value stays as it was): a board
    whose listing does not nest checklists (every other board, by seed), a card whose name
    is only spaces, one with a 16,384-character name, and a whole number in a number field
    (Trello sends "6", not "6.0"). Cards in an archived list come from "Old sprint"."""
    index = list(state.boards).index(board.id)
    board.nests_checklists = (state.seed + index) % 2 == 0
    cards = [
        state.cards[c]
        for c in board.card_ids  # on the board as Trello shows it
        if not state.cards[c].data["closed"] and not board.lists[state.cards[c].data["idList"]]["closed"]
    ]
    if len(cards) >= 3:
        cards[1].data["name"] = "   "
        word = cards[2].data["name"] + " "
        cards[2].data["name"] = (word * (LONG_NAME_CHARS // len(word) + 1))[:LONG_NAME_CHARS]
    number = next((f["id"] for f in board.fields.values() if f["type"] == "number"), None)
    for card in cards[:3]:
        if number and not any(i["idCustomField"] == number for i in card.field_items):
            card.field_items.append(
                {
                    "id": f"{card.id[:18]}ffff{len(card.field_items):02x}",
                    "idCustomField": number,
                    "idModel": card.id,
                    "modelType": "card",
                    "value": {"number": "6"},
                }
            )


def _seed_fields(state: TrelloState, board: Board, created: int) -> None:
    make_id = state.make_id
    specs = [
        ("Priority", "list"),
        ("Estimate (h)", "number"),
        ("Approved", "checkbox"),
        ("Client ref", "text"),
        ("Go-live", "date"),
    ]
    for i, (fname, ftype) in enumerate(specs):
        fid = make_id(created + 90 + i)
        field_def: dict[str, Any] = {
            "id": fid,
            "idModel": board.id,
            "modelType": "board",
            "fieldGroup": hashlib.sha256(f"{state.seed}:{fid}".encode()).hexdigest(),
            "display": {"cardFront": True},
            "name": fname,
            "pos": 16384 * (i + 1),
            "type": ftype,
            "isSuggestedField": False,
        }
        if ftype == "list":
            field_def["options"] = [
                {
                    "id": make_id(created + 95 + j),
                    "idCustomField": fid,
                    "value": {"text": t},
                    "color": c,
                    "pos": 16384 * (j + 1),
                }
                for j, (t, c) in enumerate(
                    [("Low", "green"), ("Medium", "yellow"), ("High", "orange"), ("Urgent", "red")]
                )
            ]
        board.fields[fid] = field_def


def _seed_card(state: TrelloState, board: Board, short_id: int, ts: float, list_id: str, label_ids: list[str]) -> None:
    rng, make_id = state.rng, state.make_id
    cid = make_id(ts)
    name = f"{rng.choice(VERBS)} {rng.choice(ADJS)} {rng.choice(NOUNS)}"
    short = _short_link(rng)
    due = iso(ts + rng.randint(3, 60) * 86_400) if rng.random() < 0.4 else None
    data: dict[str, Any] = {
        "id": cid,
        "idShort": short_id,
        "shortLink": short,
        "name": name,
        "desc": ""
        if rng.random() < 0.3
        else f"Please {name.lower()} before the **{rng.choice(ADJS)}** review.\n\n- owner: see members",
        "closed": rng.random() < 0.06,
        "idBoard": board.id,
        "idList": list_id,
        "pos": 16384.0 * short_id,
        "dateLastActivity": iso(ts + rng.randint(0, 90) * 86_400),
        "due": due,
        "start": None,
        "dueComplete": bool(due) and rng.random() < 0.3,
        "dueReminder": 1440 if due and rng.random() < 0.5 else None,
        "idMembers": rng.sample(board.member_ids, rng.randint(0, 2)),
        "idLabels": rng.sample(label_ids, rng.choice([0, 0, 1, 1, 2])),
        "url": f"https://trello.com/c/{short}/{short_id}-{_slug(name)}",
        "shortUrl": f"https://trello.com/c/{short}",
        "isTemplate": False,
        "cardRole": None,
        "idAttachmentCover": None,
        "subscribed": False,
    }
    card = Card(data)
    state.cards[cid] = card
    state.card_board[cid] = board.id
    board.card_ids.append(cid)
    board.actions.append(Action(cid, "createCard", iso(ts), rng.choice(board.member_ids), board.id, cid, list_id))
    if rng.random() < 0.3:
        for k in range(rng.choice([1, 1, 2])):
            kid = make_id(ts + 1 + k)
            items = [
                {
                    "id": make_id(ts + 2 + k),
                    "idChecklist": kid,
                    "name": rng.choice(ITEMS),
                    "nameData": None,
                    "pos": 16384 * (j + 1),
                    "state": "complete" if rng.random() < 0.4 else "incomplete",
                    "due": None,
                    "dueReminder": None,
                    "idMember": rng.choice(board.member_ids) if rng.random() < 0.2 else None,
                }
                for j in range(rng.randint(2, 6))
            ]
            card.checklists.append(
                {
                    "id": kid,
                    "name": rng.choice(CHECKLISTS),
                    "idBoard": board.id,
                    "idCard": cid,
                    "pos": 16384 * (k + 1),
                    "checkItems": items,
                }
            )
    for fdef in board.fields.values():
        if rng.random() >= 0.5:
            continue
        item: dict[str, Any] = {"id": make_id(ts + 5), "idCustomField": fdef["id"], "idModel": cid, "modelType": "card"}
        t = fdef["type"]
        if t == "list":
            item["idValue"] = rng.choice(fdef["options"])["id"]
        elif t == "number":
            item["value"] = {"number": str(rng.choice([1, 2, 3, 5, 8, 13, 2.5]))}
        elif t == "checkbox":
            item["value"] = {"checked": "true"}
        elif t == "text":
            item["value"] = {"text": f"REF-{rng.randint(1000, 9999)}"}
        else:
            item["value"] = {"date": iso(ts + rng.randint(5, 90) * 86_400)}
        card.field_items.append(item)


def _seed_attachment(state: TrelloState, card: Card, zero: bool, k: int) -> None:
    rng = state.rng
    ts = id_time(card.id) + rng.randint(60, 30 * 86_400)
    aid = state.make_id(ts)
    if not zero and (k == 2 or rng.random() < 0.1):  # every board has link attachments
        link = rng.choice(LINKS)
        att = {
            "id": aid,
            "name": link,
            "fileName": None,
            "bytes": None,
            "mimeType": "",
            "date": iso(ts),
            "idMember": rng.choice(card.data["idMembers"] or [state.me]),
            "isUpload": False,
            "edgeColor": None,
            "pos": 16384 * (len(card.attachments) + 1),
            "previews": [],
            "url": link,
        }
    else:
        fname, mime = ("empty.txt", "text/plain") if zero else rng.choice(FILES)
        size = 0 if zero else (2 * 1024 * 1024 + 17 if k == 1 else int(1024 * 200 ** rng.random()))
        att = {
            "id": aid,
            "name": fname,
            "fileName": fname,
            "bytes": size,
            "mimeType": mime,
            "date": iso(ts),
            "idMember": rng.choice(card.data["idMembers"] or [state.me]),
            "isUpload": True,
            "edgeColor": None,
            "pos": 16384 * (len(card.attachments) + 1),
            "previews": [],
            "url": None,
        }
    card.attachments.append(att)
