"""The Pipefy sandbox's seeded state: an organization with members, pipes with their start
form, phases in order (a done phase last) with their own fields, labels, cards standing in a
phase with their phase history, field values as Pipefy stores them (always a string; a JSON
array in a string for the multi-valued types), assignees, labels, comments, files and
connected cards.

Everything derives from `random.Random(seed)`, so two sandboxes with the same seed and scale
are identical. File bytes are not stored: `file_bytes` regenerates them from (seed, path).
The awkward shapes a real account has are seeded on purpose: unicode, right-to-left, emoji,
very long and blank names, deleted cards (Pipefy lists them nowhere), an empty pipe and an
empty phase, a field type our mapping does not know, multi-values as JSON-array strings,
a card with no value at all, and (through `/_sandbox/corrupt`) a file whose download fails.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BASE_TS = 1_704_067_200  # 2024-01-01T00:00:00Z
SPAN_S = 400 * 86_400

SCALES: dict[str, dict[str, Any]] = {
    # cards per pipe (the first pipes carry the load), comments and files per card on average
    "small": {"pipes": [30, 12, 6], "comments": 1.5, "files": 0.25},
    "medium": {"pipes": [500, 300, 150, 50], "comments": 2.0, "files": 0.2},
    "large": {"pipes": [4000, 3000, 2000, 1000, 500], "comments": 3.0, "files": 0.2},
}

FIRST = ["Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabi", "Hugo", "Iara", "João", "Kenji", "Lúcia"]
LAST = ["Lima", "Souza", "Costa", "Rocha", "Alves", "Pereira", "Ito", "Gomes", "Ribeiro", "Martins", "Dias"]
PIPE_NAMES = ["Purchasing", "Recruitment 🧑‍💼", "Customer support", "Contracts", "Onboarding"]
PHASES = ["Triage", "Approval", "Doing", "Waiting on supplier"]
VERBS = ["Buy", "Review", "Renew", "Quote", "Approve", "Ship", "Hire", "Fix", "Sign"]
NOUNS = ["laptops", "office chairs", "licence", "contract", "invoice", "candidate", "ticket", "supplier"]
AWKWARD_TITLES = [
    "طلب شراء جديد",  # right-to-left
    "🚀 Launch 🎉 kit",
    "São Paulo — Übergabe",
    "",  # blank
    "   ",
    "L" + "o" * 298 + "ng",  # 300 characters
    'Quote "this" & <that>',
]
LABELS = [("Urgent", "#ff0000"), ("VIP", "#a25ddc"), ("Baixa prioridade", "#00c875"), ("", "#cccccc")]
UNKNOWN_TYPE = "dynamic_content"  # a field type our mapping does not know


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    id: str
    name: str
    email: str
    username: str = ""


@dataclass
class Field:
    id: str  # the slug Pipefy gives a field ("supplier"), unique in its pipe
    label: str
    type: str
    internal_id: str
    options: list[str] = field(default_factory=list)
    required: bool = False
    description: str = ""


@dataclass
class Phase:
    id: str
    name: str
    index: float
    done: bool = False
    fields: list[Field] = field(default_factory=list)
    description: str = ""


@dataclass
class Label:
    id: str
    name: str
    color: str


@dataclass
class Comment:
    id: str
    card_id: str
    text: str
    author_id: str
    created_at: str


@dataclass
class File:
    """A card's file: Pipefy names it by its storage path; its URL is presigned and expires."""

    path: str
    card_id: str
    field_id: str
    phase_id: str | None
    created_at: str
    author_id: str
    size: int
    broken: bool = False  # its download always fails (a file the storage lost)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class Card:
    id: str
    pipe_id: str
    title: str
    phase_id: str
    created_at: str
    updated_at: str
    creator_id: str
    due_date: str | None = None
    finished_at: str | None = None
    assignee_ids: list[str] = field(default_factory=list)
    label_ids: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # field id -> the string Pipefy stores
    history: list[tuple[str, str, str | None]] = field(default_factory=list)  # (phase, first in, last out)
    comment_ids: list[str] = field(default_factory=list)
    file_paths: list[str] = field(default_factory=list)
    connected_ids: list[str] = field(default_factory=list)  # cards this one connects to (a connector field)
    deleted: bool = False


@dataclass
class Pipe:
    id: str
    name: str
    start_form_phase_id: str
    created_at: str
    description: str = ""
    start_fields: list[Field] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    member_ids: list[str] = field(default_factory=list)
    card_ids: list[str] = field(default_factory=list)  # in creation order

    def fields(self) -> list[Field]:
        return [*self.start_fields, *(f for p in self.phases for f in p.fields)]


@dataclass
class PipefyState:
    seed: int
    scale: str
    org_id: str
    org_name: str
    me_id: str
    plan_name: str = "Business"
    users: dict[str, User] = field(default_factory=dict)
    pipes: dict[str, Pipe] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)  # by path
    next_id: int = 300_000_000
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id (sandbox_webhooks)

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.__dict__.update({"webhooks": {}, **saved})  # a world saved before webhooks has none

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def live_cards(self, pipe: Pipe) -> list[Card]:
        return [self.cards[c] for c in pipe.card_ids if not self.cards[c].deleted]

    def phase_of(self, card: Card) -> Phase | None:
        return next((p for p in self.pipes[card.pipe_id].phases if p.id == card.phase_id), None)


def file_key(card_id: str, path: str) -> str:
    """How a file is named in the manifest: Pipefy gives a file no id, only its storage path."""
    return f"{card_id}-{hashlib.sha256(path.encode()).hexdigest()[:12]}"


def file_bytes(seed: int, path: str, size: int) -> Iterator[bytes]:
    """The file's bytes, regenerated from (seed, path), in chunks of 64 KiB."""
    block = hashlib.sha256(f"{seed}:{path}".encode()).digest() * 2048
    left = size
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n


def build_state(seed: int = 1, scale: str = "small") -> PipefyState:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    rng = random.Random(seed)
    sizes = SCALES[scale]
    st = PipefyState(seed, scale, str(300_100 + seed), "Acme Compras 🛒", me_id="")
    for i in range(10):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 3) % len(LAST)]
        uid = str(301_000_200 + i)
        name = "نور الهدى" if i == 8 else f"{first} {last}"
        st.users[uid] = User(uid, name, f"{first.lower()}.{last.lower()}@acme.example", f"{first.lower()}{i}")
    st.me_id = "301000200"
    for b, count in enumerate(sizes["pipes"]):
        _seed_pipe(st, rng, PIPE_NAMES[b % len(PIPE_NAMES)], count, sizes, b)
    _seed_pipe(st, rng, "Empty pipe", 0, sizes, 90)
    _seed_connections(st, rng)
    return st


def _fields(st: PipefyState, pipe_id: str) -> tuple[list[Field], dict[str, list[Field]]]:
    """The start form's fields, and each phase's own (by the phase's name)."""

    def f(slug: str, label: str, ftype: str, options: list[str] | None = None, **kw: Any) -> Field:
        return Field(slug, label, ftype, st.new_id(), options or [], **kw)

    start = [
        f("supplier", "Supplier", "short_text", required=True),
        f("description", "What do you need?", "long_text"),
        f("amount", "Amount", "currency"),
        f("quantity", "Quantity", "number"),
        f("needed_by", "Needed by", "date"),
        f("category", "Category", "select", ["Hardware", "Software", "Services"]),
        f("contact_email", "Contact e-mail", "email"),
        f("documents", "Documents", "attachment"),
        f("score", "Score", UNKNOWN_TYPE),
        f("notice", "Please fill every field", "statement"),  # shown on the form, holds no value
    ]
    per_phase = {
        "Approval": [
            f("approvers", "Approvers", "assignee_select"),
            f("checks", "Checks done", "checklist_vertical", ["Budget", "Legal", "Security"]),
            f("approved_at", "Approved at", "datetime"),
        ],
        "Doing": [
            f("priority", "Priority", "radio_horizontal", ["Low", "Medium", "High"]),
            f("tags", "Tags", "label_select"),
            f("related", "Related requests", "connector"),
            # Pipefy keeps a field's label apart per phase: two phases may each have a "Notes"
            f("doing_notes", "Notes", "long_text"),
        ],
        "Triage": [
            f("phone", "Phone", "phone"),
            f("", "Blank-named field slug", "short_text"),
            f("triage_notes", "Notes", "long_text"),
        ],
        # the start form's label again, of another type
        "Waiting on supplier": [f("supplier_needed_by", "Needed by", "short_text")],
    }
    per_phase["Triage"][1].id = "field_without_name"
    per_phase["Triage"][1].label = ""
    return start, per_phase


def _seed_pipe(st: PipefyState, rng: random.Random, name: str, count: int, sizes: dict[str, Any], b: int) -> None:
    pid = st.new_id()
    created = BASE_TS + b * 86_400
    pipe = Pipe(pid, name, st.new_id(), iso(created), description=f"{name}, as the team runs it")
    st.pipes[pid] = pipe
    pipe.member_ids = [st.me_id, *sorted(rng.sample(sorted(u for u in st.users if u != st.me_id), 5))]
    pipe.labels = [Label(st.new_id(), n, c) for n, c in LABELS]
    start, per_phase = _fields(st, pid)
    pipe.start_fields = start
    names = [*PHASES, "Done ✅", "Archived requests"]
    if b == 0:
        names[3] = "مرحلة الانتظار"  # a right-to-left phase name
        names.insert(4, "")  # a blank phase name
    for n, pname in enumerate(names):
        done = pname in ("Done ✅", "Archived requests")
        pipe.phases.append(Phase(st.new_id(), pname, float(n), done=done, fields=per_phase.get(pname, [])))
    if count == 0:
        return
    live = [p for p in pipe.phases if p.name != "Archived requests"]  # the last done phase stays empty
    for n in range(count):
        ts = created + rng.randrange(SPAN_S // 2)
        title = f"{rng.choice(VERBS)} {rng.choice(NOUNS)} #{n + 1}"
        if b == 0 and n < len(AWKWARD_TITLES):
            title = AWKWARD_TITLES[n]
        at = min(len(live) - 1, n % len(live) if n % 7 else len(live) - 1)
        phase = live[at]
        card = Card(
            st.new_id(),
            pid,
            title,
            phase.id,
            iso(ts),
            iso(ts + rng.randrange(86_400 * 20)),
            rng.choice(pipe.member_ids),
        )
        card.history = _history(pipe, at, ts, rng)
        if phase.done:
            card.finished_at = card.history[-1][1]
        if rng.random() < 0.6:
            card.due_date = iso(ts + 86_400 * rng.randrange(3, 60))
        card.assignee_ids = sorted(rng.sample(pipe.member_ids, rng.choice([0, 1, 1, 2])))
        card.label_ids = sorted(x.id for x in rng.sample(pipe.labels[:3], rng.choice([0, 0, 1, 2])))
        st.cards[card.id] = card
        pipe.card_ids.append(card.id)
        if n == 3:
            continue  # a card with no value, no comment, no file
        _seed_values(st, rng, pipe, card, at, n)
        for c in range(_poisson(rng, sizes["comments"])):
            _seed_comment(st, rng, pipe, card, ts + 600 * (c + 1))
        if rng.random() < sizes["files"] or n == 1:
            for _ in range(rng.choice([1, 1, 2])):
                _seed_file(st, rng, card, ts, "documents", None)
        if n % 31 == 9:
            card.deleted = True  # gone: Pipefy lists it nowhere, counts it nowhere


def _history(pipe: Pipe, at: int, ts: float, rng: random.Random) -> list[tuple[str, str, str | None]]:
    """The card's way through the phases up to where it stands: the start form, then each one."""
    out: list[tuple[str, str, str | None]] = [(pipe.start_form_phase_id, iso(ts), iso(ts))]
    t = ts
    live = [p for p in pipe.phases if p.name != "Archived requests"]
    for k in range(at + 1):
        stay = rng.randrange(3600, 86_400 * 5)
        out.append((live[k].id, iso(t), iso(t + stay) if k < at else None))
        t += stay
    return out


def _seed_values(st: PipefyState, rng: random.Random, pipe: Pipe, card: Card, at: int, n: int) -> None:
    day = datetime.fromtimestamp(BASE_TS + rng.randrange(SPAN_S), UTC)
    v: dict[str, str] = {
        "supplier": f"{rng.choice(LAST)} Ltda",
        "amount": f"{rng.randrange(100, 90_000)}.{rng.randrange(100):02d}",
        "quantity": str(rng.randrange(1, 40)),
        "needed_by": day.strftime("%Y-%m-%d"),
        "category": rng.choice(["Hardware", "Software", "Services"]),
        "score": json.dumps({"formula": "a+b", "result": rng.randrange(10)}),
    }
    if n % 3 == 0:
        v["description"] = "Line one\nLine two — ünïcode ✓"
        v["contact_email"] = f"buyer{n}@example.com"
    reached = {p.name for p in pipe.phases[: at + 1]}
    if "Approval" in reached:
        people = rng.sample(pipe.member_ids, 2)
        v["approvers"] = json.dumps([st.users[p].name for p in people], ensure_ascii=False)
        v["checks"] = json.dumps(rng.sample(["Budget", "Legal", "Security"], rng.randint(1, 3)))
        v["approved_at"] = iso(BASE_TS + rng.randrange(SPAN_S))
    if "Doing" in reached:
        v["priority"] = rng.choice(["Low", "Medium", "High"])
        named = [x.name for x in pipe.labels if x.name]
        v["tags"] = json.dumps(sorted({rng.choice(named) for _ in range(2)}), ensure_ascii=False)
    if "Triage" in reached and n % 4 == 0:
        v["phone"] = "+55 11 5555-0100"
    if "Triage" in reached and n % 2 == 0:
        v["triage_notes"] = f"Triage note on request {n + 1}"
    if "Doing" in reached and n % 2 == 0:
        v["doing_notes"] = f"Doing note on request {n + 1}"
    if "Waiting on supplier" in reached:
        v["supplier_needed_by"] = "after the holidays"
    card.values = v


def _seed_comment(st: PipefyState, rng: random.Random, pipe: Pipe, card: Card, ts: float) -> None:
    text = f"{rng.choice(VERBS)} the {rng.choice(NOUNS)} — by {rng.choice(FIRST)}"
    if rng.random() < 0.05:
        text = "مرحبا 👋 <b>bold</b> & more"
    c = Comment(st.new_id(), card.id, text, rng.choice(pipe.member_ids), iso(ts))
    st.comments[c.id] = c
    card.comment_ids.append(c.id)


def _seed_file(st: PipefyState, rng: random.Random, card: Card, ts: float, field_id: str, phase: str | None) -> None:
    ext = rng.choice(["pdf", "png", "docx", "csv"])
    stem = rng.choice(["quote", "invoice", "photo", "Übersicht", "notes 2024", "contrato"])
    folder = hashlib.sha256(f"{card.id}:{len(st.files)}".encode()).hexdigest()[:24]
    path = f"orgs/{st.org_id}/uploads/{folder}/{stem}.{ext}"
    f = File(path, card.id, field_id, phase, iso(ts), rng.choice(sorted(st.users)), rng.randrange(200, 40_000))
    st.files[path] = f
    card.file_paths.append(path)


def _poisson(rng: random.Random, mean: float) -> int:
    return max(0, round(rng.gauss(mean, mean / 2)))


def _seed_connections(st: PipefyState, rng: random.Random) -> None:
    """Cards that connect to other cards of their pipe (its connector field 'Related
    requests'): the field's value holds the connected cards' titles, and the card's relations
    name them."""
    for pipe in st.pipes.values():
        cards = [c for c in st.live_cards(pipe) if "priority" in c.values]
        for n, card in enumerate(cards):
            if n % 4 == 1 and len(cards) > 3:
                others = rng.sample([c for c in cards if c.id != card.id], 2)
                card.connected_ids = [o.id for o in others]
                card.values["related"] = json.dumps([o.title for o in others], ensure_ascii=False)
