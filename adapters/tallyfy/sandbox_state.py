"""The Tallyfy sandbox's in-memory organization: entities, the deterministic seed and the
export the tests read.

Why a separate module: the HTTP plumbing (auth, rate limits, envelopes) and the data it
serves change for different reasons; tests and the demo also read the state directly.

Every object carries `preexisting` (it was there before any migration ran) so a test can
check that a rollback left the client's own templates, runs, tags and people alone; and
`source_ref`, parsed from the `[mw:<source key>]` provenance marker the migration writes
into summaries and comments, so a test can match what landed against what was extracted.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MARKER = re.compile(r"\[mw:([^\]\s]+)\]")


def source_ref(*texts: str | None) -> str | None:
    """The source key of the marker of the first text that has one (its last `[mw:...]`,
    as the migration reads it: source text before it may quote a look-alike), or None."""
    for t in texts:
        found = MARKER.findall(t) if t else []
        if found:
            return found[-1]
    return None


def marked_lines(values: list[Any]) -> list[tuple[str, str]]:
    """(text, source key) of every line of these text values that ends with a marker: how
    the migration writes what has no text of its own (a link, a file's origin)."""
    out = []
    for value in values:
        for raw in value.splitlines() if isinstance(value, str) else ():
            line = raw.rstrip()
            found = MARKER.findall(line)
            if found and line.endswith("]"):
                out.append((line[: line.rfind("[mw:")].strip(), found[-1]))
    return out


def file_refs(values: list[Any], assets: list[Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The source key of each asset, from the line naming its file (in order, so two files
    of one name each get theirs), and the marked lines no file claims (links)."""
    lines = marked_lines(values)
    refs: dict[str, str] = {}
    for a in assets:
        i = next((i for i, (text, _) in enumerate(lines) if text == a.filename), None)
        if i is not None:
            refs[a.id] = lines.pop(i)[1]
    return refs, lines


class Clock:
    """ISO-8601 Zulu timestamps with milliseconds, strictly increasing.

    Why strictly: rollback compares a run's `updated_at` with the one it journalled; two
    writes in the same millisecond must still be told apart."""

    def __init__(self) -> None:
        self._last_ms = 0

    def now(self) -> str:
        ms = max(int(time.time() * 1000), self._last_ms + 1)
        self._last_ms = ms
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass
class User:
    id: int
    email: str
    first_name: str
    last_name: str
    role: str
    status: str  # active | invited | deactivated
    created_at: str
    preexisting: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Guest:
    id: int
    email: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    created_at: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    preexisting: bool = False


@dataclass
class Group:
    id: str
    name: str
    description: str
    members: list[int]
    guests: list[str]
    created_at: str
    preexisting: bool = False


@dataclass
class Tag:
    id: str
    title: str
    color: str
    created_at: str
    auto_generated: bool = False
    preexisting: bool = False


@dataclass
class FormField:
    """A step capture or a kick-off (prerun) field definition: both share one validator."""

    id: str
    checklist_id: str
    label: str
    field_type: str
    required: bool
    position: int
    step_id: str | None = None
    guidance: str | None = None
    options: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Step:
    id: str
    checklist_id: str
    title: str
    summary: str | None
    step_type: str
    position: int
    alias: str
    created_at: str
    captures: list[FormField] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Template:
    id: str
    increment_id: int
    title: str
    type: str
    summary: str | None
    alias: str
    created_at: str
    updated_at: str
    archived_at: str | None = None
    steps: list[Step] = field(default_factory=list)
    prerun: list[FormField] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    preexisting: bool = False


@dataclass
class Thread:
    id: str
    task_id: str
    content: str
    label: str
    state: str
    user_id: int
    created_at: str
    deleted_at: str | None = None


@dataclass
class Task:
    id: str
    title: str
    status: str  # not-started | active | completed
    position: int
    created_at: str
    updated_at: str
    run_id: str | None = None
    step_id: str | None = None
    summary: str | None = None
    task_type: str = "task"
    captures: list[FormField] = field(default_factory=list)
    taskdata: dict[str, Any] = field(default_factory=dict)
    owners: dict[str, list[Any]] = field(default_factory=lambda: {"users": [], "guests": [], "groups": []})
    deadline: str | None = None
    completed_at: str | None = None
    completer_id: int | None = None
    archived_at: str | None = None
    deleted_at: str | None = None
    threads: list[Thread] = field(default_factory=list)
    preexisting: bool = False

    @property
    def is_oneoff(self) -> bool:
        return self.step_id is None


@dataclass
class Asset:
    id: str
    filename: str
    size: int
    sha256: str
    content: bytes
    mime: str
    subject_type: str
    subject_id: str
    uploaded_from: str
    created_at: str
    step_id: str | None = None
    checklist_id: str | None = None
    archived_at: str | None = None
    deleted_at: str | None = None
    preexisting: bool = False


@dataclass
class Run:
    id: str
    increment_id: int
    checklist_id: str
    name: str
    summary: str | None
    status: str  # active | complete | archived
    owner_id: int
    created_at: str
    updated_at: str
    prerun: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    archived_at: str | None = None
    completed_at: str | None = None
    starred: bool = False
    edited_outside_api: bool = False
    preexisting: bool = False


class TallyfyState:
    """One organization's data. Not thread-safe by itself: the sandbox holds its lock."""

    def __init__(self, seed: int = 1, org_id: str | None = None, seats: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.clock = Clock()
        self.org_id = org_id or self.hex_id()
        self.org_name = "Northwind Operations"
        self.seats = seats
        self.users: dict[int, User] = {}
        self.guests: dict[int, Guest] = {}
        # Guests are global in Tallyfy: one who belongs to another organization is
        # linked, not duplicated, when this one creates them.
        self.global_guests: dict[str, int] = {}
        self.groups: dict[str, Group] = {}
        self.tags: dict[str, Tag] = {}
        self.templates: dict[str, Template] = {}
        self.runs: dict[str, Run] = {}
        self.tasks: dict[str, Task] = {}
        self.threads: dict[str, Thread] = {}
        self.assets: dict[str, Asset] = {}
        self._assets_by_subject: dict[str, dict[str, None]] = {}  # subject id -> asset ids, in order
        self._next_user = 1001
        self._next_guest = 5001
        self._increment = 0
        self.owner_id = 0
        self._seed()

    # -- ids ---------------------------------------------------------------------------
    def hex_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def next_user_id(self) -> int:
        self._next_user += 1
        return self._next_user - 1

    def next_guest_id(self) -> int:
        self._next_guest += 1
        return self._next_guest - 1

    def next_increment(self) -> int:
        self._increment += 1
        return self._increment

    def now(self) -> str:
        return self.clock.now()

    # -- lookups ----------------------------------------------------------------------
    def live_user_by_email(self, email: str) -> User | None:
        e = email.strip().lower()
        return next((u for u in self.users.values() if u.email.lower() == e and u.status != "deactivated"), None)

    def run_tasks(self, run: Run) -> list[Task]:
        return [self.tasks[t] for t in run.task_ids if t in self.tasks]

    def find_field(self, template: Template, field_id: str) -> FormField | None:
        for f in template.prerun:
            if f.id == field_id:
                return f
        for s in template.steps:
            for c in s.captures:
                if c.id == field_id:
                    return c
        return None

    # -- seed -------------------------------------------------------------------------
    def _seed(self) -> None:
        """What the client's organization holds before the migration: realistic enough that
        a rollback which touched it, or a lookup by name that matched it, shows up."""
        now = self.now()
        people = [
            ("morgan.reyes@northwind.example", "Morgan", "Reyes", "admin"),
            ("priya.natarajan@northwind.example", "Priya", "Natarajan", "standard"),
            ("tomas.alvarez@northwind.example", "Tomás", "Alvarez", "light"),
            ("hannah.okafor@northwind.example", "Hannah", "Okafor", "standard"),
        ]
        for email, first, last, role in people:
            u = User(self.next_user_id(), email, first, last, role, "active", now, preexisting=True)
            self.users[u.id] = u
        self.owner_id = next(iter(self.users))
        g = Guest(
            self.next_guest_id(),
            "lena.fischer@client.example",
            "Lena",
            "Fischer",
            "Fischer & Co",
            now,
            preexisting=True,
        )
        self.guests[g.id] = g
        self.global_guests[g.email] = g.id
        self.global_guests["sam.ortiz@vendor.example"] = self.next_guest_id()  # a guest of another org
        for title, color, auto in (
            ("Onboarding", "#2e86de", False),
            ("Finance", "#27ae60", False),
            ("Q3 review", "#8e44ad", True),
        ):
            t = Tag(self.hex_id(), title, color, now, auto_generated=auto, preexisting=True)
            self.tags[t.id] = t
        grp = Group(self.hex_id(), "Operations", "The operations team", [1002, 1003], [], now, preexisting=True)
        self.groups[grp.id] = grp

        onboarding = self.add_template(
            "Employee onboarding", "procedure", "Everything a new hire needs in week one.", preexisting=True
        )
        onboarding.prerun = [
            FormField(self.hex_id(), onboarding.id, "Employee name", "text", True, 1),
            FormField(
                self.hex_id(),
                onboarding.id,
                "Department",
                "dropdown",
                False,
                2,
                options=[{"id": 1, "text": "Sales"}, {"id": 2, "text": "Engineering"}],
            ),
        ]
        for i, title in enumerate(("Prepare laptop", "Create accounts", "Welcome meeting"), 1):
            s = self.add_step(onboarding, title, f"Step {i} of onboarding.")
            if i == 1:
                s.captures.append(
                    FormField(self.hex_id(), onboarding.id, "Laptop serial", "text", False, 1, step_id=s.id)
                )
        vendor = self.add_template("Vendor approval", "form", None, preexisting=True)
        for title in ("Collect documents", "Approve vendor"):
            self.add_step(vendor, title, None)
        old = self.add_template("Old expense policy", "document", "Superseded in 2025.", preexisting=True)
        self.add_step(old, "Read the policy", None)
        old.archived_at = now

        tag_onb = next(t.id for t in self.tags.values() if t.title == "Onboarding")
        r1 = self.launch(
            onboarding,
            "Onboarding - Ada Lovelace",
            None,
            {onboarding.prerun[0].id: "Ada Lovelace"},
            [tag_onb],
            preexisting=True,
        )
        done = self.tasks[r1.task_ids[0]]
        done.status, done.completed_at, done.completer_id = "completed", now, self.owner_id
        self.tasks[r1.task_ids[1]].status = "active"
        self.add_thread(done, "Laptop is on its way.", "comment")
        self.launch(vendor, "Vendor approval - Acme Ltd", None, {}, [], preexisting=True)
        oneoff = Task(
            self.hex_id(),
            "Renew office insurance",
            "active",
            1,
            now,
            now,
            owners={"users": [self.owner_id], "guests": [], "groups": []},
            preexisting=True,
        )
        self.tasks[oneoff.id] = oneoff

    # -- constructors shared by the seed and the routes ----------------------------------
    def add_template(
        self,
        title: str,
        type_: str,
        summary: str | None,
        *,
        preexisting: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Template:
        now = self.now()
        t = Template(
            self.hex_id(),
            self.next_increment(),
            title,
            type_,
            summary,
            re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] + "-" + self.hex_id()[:6],
            now,
            now,
            extra=extra or {},
            preexisting=preexisting,
        )
        self.templates[t.id] = t
        return t

    def add_step(
        self,
        template: Template,
        title: str,
        summary: str | None,
        step_type: str = "task",
        extra: dict[str, Any] | None = None,
    ) -> Step:
        s = Step(
            self.hex_id(),
            template.id,
            title,
            summary,
            step_type,
            len(template.steps) + 1,
            "step-" + self.hex_id()[:8],
            self.now(),
            extra=extra or {},
        )
        template.steps.append(s)
        template.updated_at = self.now()
        return s

    def launch(
        self,
        template: Template,
        name: str,
        summary: str | None,
        prerun: dict[str, Any],
        tags: list[str],
        *,
        owner_id: int | None = None,
        preexisting: bool = False,
    ) -> Run:
        now = self.now()
        run = Run(
            self.hex_id(),
            self.next_increment(),
            template.id,
            name,
            summary,
            "active",
            owner_id or self.owner_id,
            now,
            now,
            prerun=dict(prerun),
            tags=list(tags),
            preexisting=preexisting,
        )
        for i, step in enumerate(template.steps, 1):
            task = Task(
                self.hex_id(),
                step.title,
                "active" if i == 1 else "not-started",
                i,
                now,
                now,
                run_id=run.id,
                step_id=step.id,
                summary=step.summary,
                task_type=step.step_type,
                captures=list(step.captures),
                owners={"users": [run.owner_id], "guests": [], "groups": []},
                preexisting=preexisting,
            )
            self.tasks[task.id] = task
            run.task_ids.append(task.id)
        self.runs[run.id] = run
        return run

    def add_thread(self, task: Task, content: str, label: str, state: str = "open") -> Thread:
        th = Thread(self.hex_id(), task.id, content, label, state, self.owner_id, self.now())
        task.threads.append(th)
        self.threads[th.id] = th
        return th

    def add_asset(
        self,
        content: bytes,
        filename: str,
        mime: str,
        subject_type: str,
        subject_id: str,
        uploaded_from: str,
        step_id: str | None,
        checklist_id: str | None,
    ) -> Asset:
        a = Asset(
            self.hex_id(),
            filename,
            len(content),
            hashlib.sha256(content).hexdigest(),
            content,
            mime,
            subject_type,
            subject_id,
            uploaded_from,
            self.now(),
            step_id,
            checklist_id,
        )
        self.assets[a.id] = a
        self._assets_by_subject.setdefault(subject_id, {})[a.id] = None
        return a

    def assets_of(self, subject_id: str | None, subject_type: str | None = None) -> list[Asset]:
        """The assets uploaded against one run, template or task (indexed: exports and run
        reads would otherwise scan every file of the organization)."""
        if subject_id is None:
            return []
        found = [self.assets[i] for i in self._assets_by_subject.get(subject_id, {}) if i in self.assets]
        return [a for a in found if subject_type is None or a.subject_type == subject_type]

    def remove_asset(self, asset_id: str) -> None:
        a = self.assets.pop(asset_id, None)
        if a is not None:
            self._assets_by_subject.get(a.subject_id, {}).pop(asset_id, None)

    # -- export -----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """The whole organization as plain JSON, hard-deleted objects gone, archived ones
        flagged: what a test compares with the source after a migration or a rollback."""

        def field_def(f: FormField) -> dict[str, Any]:
            return {
                "id": f.id,
                "label": f.label,
                "field_type": f.field_type,
                "required": f.required,
                "options": f.options,
                "columns": f.columns,
                "step_id": f.step_id,
                "field_ref": source_ref(f.guidance),  # not source_ref: a definition is no migrated object
            }

        run_files = {r.id: file_refs(list(r.prerun.values()), self.assets_of(r.id, "Run")) for r in self.runs.values()}
        asset_refs = {aid: ref for refs, _ in run_files.values() for aid, ref in refs.items()}

        def asset(a: Asset) -> dict[str, Any]:
            return {
                "id": a.id,
                "filename": a.filename,
                "source_ref": asset_refs.get(a.id),
                "size": a.size,
                "sha256": a.sha256,
                "subject_type": a.subject_type,
                "subject_id": a.subject_id,
                "uploaded_from": a.uploaded_from,
                "archived": a.archived_at is not None,
                "deleted": a.deleted_at is not None,
                "preexisting": a.preexisting,
            }

        def comment(th: Thread) -> dict[str, Any]:
            return {
                "id": th.id,
                "task_id": th.task_id,
                "content": th.content,
                "label": th.label,
                "source_ref": source_ref(th.content),
                "held_refs": MARKER.findall(th.content or "")[:-1],  # the comments a digest holds
                "deleted": th.deleted_at is not None,
            }

        def task(t: Task) -> dict[str, Any]:
            return {
                "id": t.id,
                "run_id": t.run_id,
                "step_id": t.step_id,
                "title": t.title,
                "status": t.status,
                "summary": t.summary,
                "source_ref": source_ref(t.summary, t.title),
                "taskdata": t.taskdata,
                "owners": t.owners,
                "deadline": t.deadline,
                "archived": t.archived_at is not None,
                "deleted": t.deleted_at is not None,
                "comments": [comment(th) for th in t.threads],
                "preexisting": t.preexisting,
            }

        templates = [
            {
                "id": t.id,
                "title": t.title,
                "type": t.type,
                "summary": t.summary,
                "archived": t.archived_at is not None,
                "source_ref": source_ref(t.summary),
                "preexisting": t.preexisting,
                "updated_at": t.updated_at,
                "prerun": [field_def(f) for f in t.prerun],
                "steps": [
                    {
                        "id": s.id,
                        "title": s.title,
                        "summary": s.summary,
                        "position": s.position,
                        "step_type": s.step_type,
                        "source_ref": source_ref(s.summary),
                        "captures": [field_def(c) for c in s.captures],
                    }
                    for s in t.steps
                ],
            }
            for t in self.templates.values()
        ]
        runs = []
        for r in self.runs.values():
            tasks = [task(t) for t in self.run_tasks(r)]
            runs.append(
                {
                    "id": r.id,
                    "checklist_id": r.checklist_id,
                    "name": r.name,
                    "summary": r.summary,
                    "status": r.status,
                    "archived": r.archived_at is not None,
                    "source_ref": source_ref(r.summary),
                    "tags": list(r.tags),
                    "prerun": dict(r.prerun),
                    "tasks": tasks,
                    "comments": [c for t in tasks for c in t["comments"]],
                    "assets": [asset(a) for a in self.assets_of(r.id, "Run")],
                    "links": [{"text": text, "source_ref": ref} for text, ref in run_files[r.id][1]],
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                    "edited_outside_api": r.edited_outside_api,
                    "preexisting": r.preexisting,
                }
            )
        return {
            "organization": {"id": self.org_id, "name": self.org_name, "seats_left": self.seats},
            "templates": templates,
            "runs": runs,
            "tasks": [task(t) for t in self.tasks.values() if t.is_oneoff],
            "assets": [asset(a) for a in self.assets.values()],
            "tags": [
                {
                    "id": t.id,
                    "title": t.title,
                    "color": t.color,
                    "auto_generated": t.auto_generated,
                    "preexisting": t.preexisting,
                }
                for t in self.tags.values()
            ],
            "users": [
                {
                    "id": u.id,
                    "email": u.email,
                    "full_name": u.full_name,
                    "role": u.role,
                    "status": u.status,
                    "preexisting": u.preexisting,
                }
                for u in self.users.values()
            ],
            "groups": [
                {
                    "id": g.id,
                    "name": g.name,
                    "description": g.description,
                    "members": g.members,
                    "guests": g.guests,
                    "preexisting": g.preexisting,
                }
                for g in self.groups.values()
            ],
            "guests": [
                {
                    "id": g.id,
                    "email": g.email,
                    "first_name": g.first_name,
                    "last_name": g.last_name,
                    "preexisting": g.preexisting,
                }
                for g in self.guests.values()
            ],
        }
