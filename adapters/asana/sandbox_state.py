"""The Asana sandbox's seeded state: one organization with its users, teams, tags and custom
fields; projects (archived ones, an empty one, project templates) with sections; tasks with
memberships, assignees, followers, tags and custom-field values; subtasks (tasks with a
`parent`, in no project), some nested; stories (comments and system stories); attachments
(uploaded files and links to other hosts); and each project's event log for `/events`.

Everything derives from `random.Random(seed)`, so two sandboxes with the same seed and scale
are identical. Records are kept in Asana's own full shape (what `opt_fields` projects from);
references between them are gids, resolved when a record is rendered. Attachment bytes are
not stored: `adapters.sandbox_bytes` regenerates them from (seed, attachment gid).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.sandbox_bytes import file_sha256

BASE_TS = 1_704_067_200  # 2024-01-01T00:00:00Z: seeded history starts here
SPAN_S = 480 * 86_400
GID_BASE = 1_200_000_000_000_000

SCALES: dict[str, dict[str, int]] = {
    "small": {"projects": 2, "tasks": 40, "comments": 100, "attachments": 12},
    "medium": {"projects": 3, "tasks": 2_000, "comments": 6_000, "attachments": 400},
    "large": {"projects": 5, "tasks": 10_000, "comments": 30_000, "attachments": 2_000},
}

FIRST = ["Alex", "Priya", "Jonas", "Mei", "Omar", "Sofia", "Liam", "Aisha", "Mateo", "Yuki", "Noah", "Elena"]
LAST = ["Keller", "Nair", "Berg", "Chen", "Haddad", "Rossi", "Walsh", "Okafor", "Silva", "Tanaka", "Novak", "García"]
PROJECTS = ["Client Onboarding", "Website Relaunch", "Hiring 2025", "Quarterly Close", "Office Move", "Events"]
SECTIONS = ["Backlog", "To do", "Doing", "Review", "Waiting on client", "Done"]
VERBS = ["Review", "Draft", "Ship", "Update", "Plan", "Fix", "Approve", "Prepare", "Send", "Audit"]
NOUNS = ["invoice", "onboarding email", "contract", "landing page", "budget", "offer letter", "press release"]
AWKWARD_NAMES = [
    "",  # Asana allows a task without a name
    "   ",
    "בדיקת חוזה עם הלקוח",  # RTL
    "مراجعة التصميم النهائي",
    "🚀 Launch day 🎉",
    "完成季度报告",
    "Größe prüfen — Ünïcödé",
    "x" * 40 + " " + "very long name " * 40,  # far beyond any target's limit
    "Line one\nLine two",
    "[mw:asana:task:1] look-alike marker",
]
COMMENTS = [
    "Looks good, merging.",
    "Can you check the numbers again?",
    "Done ✅",
    "Waiting on the client 🙏",
    "שלום, נבדק ועבר",
    "مراجعة التصميم غدًا",
    "完成了，请确认。",
    "Moved to **Review**.\nSee the attached draft.",
    "",  # a comment that is only an attachment or a sticker has no text
]
SYSTEM_STORIES = [
    ("added_to_project", "added to {project}"),
    ("assigned", "assigned to {user}"),
    ("section_changed", 'moved this Task from "To do" to "Doing" in {project}'),
    ("due_date_changed", "changed the due date to Mar 10"),
]
FILES = [
    ("mockup.png", "image/png"),
    ("contract (signed).pdf", "application/pdf"),
    ("notes.txt", "text/plain"),
    ("Résumé.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget 2025.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
]
LINK_HOSTS = ["gdrive", "dropbox", "onedrive", "box", "vimeo"]
TAGS = [("urgent", "dark-red"), ("client", "light-green"), ("internal", None), ("🔥 hot", "dark-orange")]
COLORS = ["dark-pink", "dark-green", "dark-blue", "light-teal", "light-purple", None]


def iso(ts: float) -> str:
    """Asana's timestamp format: UTC with milliseconds and a Z."""
    whole = int(ts)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((ts - whole) * 1000):03d}Z"


def day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(int(ts)))


@dataclass
class Task:
    data: dict[str, Any]  # the task's own fields; references are gids (assignee, followers, tags, parent)
    memberships: list[tuple[str, str]] = field(default_factory=list)  # (project gid, section gid)
    values: dict[str, Any] = field(default_factory=dict)  # custom field gid -> raw value
    subtasks: list[str] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    deleted: bool = False

    @property
    def gid(self) -> str:
        return self.data["gid"]


@dataclass
class Project:
    data: dict[str, Any]
    sections: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)  # top-level tasks in project order
    fields: list[str] = field(default_factory=list)  # custom field gids set on the project
    events: list[dict[str, Any]] = field(default_factory=list)  # the change feed, oldest first

    @property
    def gid(self) -> str:
        return self.data["gid"]


@dataclass
class AsanaState:
    seed: int
    scale: str
    me: str = ""
    workspace: dict[str, Any] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # custom field definitions
    projects: dict[str, Project] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # project templates
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)
    story_parent: dict[str, str] = field(default_factory=dict)  # story gid -> task gid
    next_gid: int = GID_BASE
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by gid (sandbox_webhooks)
    # told of every event recorded (webhook deliveries); the sandbox attaches it
    on_event: Callable[[Project, dict[str, Any]], None] | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The state without its listener: a saved demo world pickles without it, and the
        sandbox attaches its own to any state put in."""
        return {**self.__dict__, "on_event": None}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.__dict__.update({"webhooks": {}, **saved})  # a world saved before webhooks has none

    def gid(self) -> str:
        self.next_gid += 1 + (self.next_gid * 2_654_435_761) % 97  # gids grow unevenly, as Asana's do
        return str(self.next_gid)

    def attachment_sha256(self, gid: str) -> str:
        return file_sha256(self.seed, gid, self.attachments[gid]["size"])

    def top_task(self, gid: str) -> Task:
        task = self.tasks[gid]
        while task.data.get("parent"):
            task = self.tasks[task.data["parent"]]
        return task

    def project_of(self, task: Task) -> Project | None:
        top = self.top_task(task.gid)
        return self.projects.get(top.memberships[0][0]) if top.memberships else None

    def live_subtasks(self, gid: str) -> list[Task]:
        return [self.tasks[s] for s in self.tasks[gid].subtasks if not self.tasks[s].deleted]

    def record_event(self, project: Project, action: str, resource: dict[str, Any], **extra: Any) -> None:
        event = {
            "user": self.me,
            "resource": resource,
            "type": resource["resource_type"],
            "action": action,
            "parent": {"gid": project.gid, "resource_type": "project", "name": project.data["name"]},
            "created_at": iso(time.time()),
            **extra,
        }
        project.events.append(event)
        if self.on_event is not None:
            self.on_event(project, event)


def build_state(seed: int = 1, scale: str = "small") -> AsanaState:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    return _Builder(seed, scale).build()


class _Builder:
    def __init__(self, seed: int, scale: str) -> None:
        self.rng = random.Random(seed)
        self.st = AsanaState(seed=seed, scale=scale)
        self.size = SCALES[scale]
        self.awkward = -1

    def ts(self) -> float:
        return BASE_TS + self.rng.random() * SPAN_S

    def build(self) -> AsanaState:
        st = self.st
        ws = st.gid()
        st.workspace = {"gid": ws, "name": "Acme Corp", "is_organization": True, "email_domains": ["acme.example"]}
        for i in range(10):
            gid = st.gid()
            name = f"{FIRST[i]} {LAST[(i * 5) % len(LAST)]}"
            email = f"{FIRST[i].lower()}.{LAST[(i * 5) % len(LAST)].lower()}@acme.example"
            st.users[gid] = {"gid": gid, "name": name, "email": email}
        st.me = next(iter(st.users))
        for name in ("Operations", "Marketing"):
            gid = st.gid()
            st.teams[gid] = {"gid": gid, "name": name, "description": f"The {name} team"}
        for name, color in TAGS:
            gid = st.gid()
            st.tags[gid] = {"gid": gid, "name": name, "color": color}
        self._fields()
        self._projects()
        return st

    def _fields(self) -> None:
        st = self.st

        def add(name: str, ftype: str, **extra: Any) -> None:
            gid = st.gid()
            st.fields[gid] = {"gid": gid, "name": name, "type": ftype, "resource_subtype": ftype, **extra}

        def options(*names: str) -> list[dict[str, Any]]:
            return [
                {"gid": st.gid(), "name": n, "enabled": True, "color": c} for n, c in zip(names, COLORS, strict=False)
            ]

        add("Priority", "enum", enum_options=options("High", "Medium", "Low"))
        add("Channels", "multi_enum", enum_options=options("Email", "Web", "Phone"))
        add("Estimate (h)", "number", precision=1)
        add("Client ref", "text")
        add("Review date", "date")
        add("Reviewer", "people")
        add("Related work", "reference")  # a type our mapping does not know: kept as text

    def _projects(self) -> None:
        st, rng, size = self.st, self.rng, self.size
        teams = list(st.teams)
        projects: list[Project] = []
        for i in range(size["projects"]):
            projects.append(self._project(PROJECTS[i % len(PROJECTS)], teams[i % len(teams)], archived=False))
        archived = self._project("Old intranet (archived)", teams[0], archived=True)
        self._project("Empty project", teams[-1], archived=False, sections=["Untitled section"])
        for gid in (st.gid(), st.gid()):
            st.templates[gid] = {
                "gid": gid,
                "name": "New client template" if len(st.templates) == 0 else "Event plan template 📅",
                "description": "Steps every new client goes through",
                "public": True,
                "team": teams[0],
                "owner": st.me,
                "color": "dark-green",
                # what Asana asks when the template is used: one date variable (the project's
                # start, as Asana names it), and on the first template the roles its tasks go to
                "dates": [("1", "Start date", "When the project starts")],
                "roles": [("2", "Account manager"), ("3", "Designer")] if len(st.templates) == 0 else [],
            }
        # the archived project holds a tenth of the tasks (at least three)
        n_archived = max(3, size["tasks"] // 10)
        n_live = size["tasks"] - n_archived
        shares = [n_live // len(projects)] * len(projects)
        shares[0] += n_live - sum(shares)
        for project, n in zip([*projects, archived], [*shares, n_archived], strict=True):
            for j in range(n):
                self._task(project, j)
        tasks = list(st.tasks.values())
        for _ in range(size["comments"]):
            self._comment(rng.choice(tasks))
        uploads = max(1, size["attachments"] * 4 // 5)
        for k in range(size["attachments"]):
            self._attachment(rng.choice(tasks), upload=k < uploads)
        # a few tasks deleted: gone from every listing, 404 on their own route
        live = [t for t in st.tasks.values() if not t.data.get("parent") and t.memberships]
        for t in rng.sample(live, max(1, len(live) // 200)):
            self._delete(t)

    def _project(self, name: str, team: str, *, archived: bool, sections: list[str] | None = None) -> Project:
        st, rng = self.st, self.rng
        gid = st.gid()
        created = self.ts()
        p = Project(
            {
                "gid": gid,
                "name": name,
                "archived": archived,
                "color": rng.choice(COLORS),
                "notes": f"All work for {name}.",
                "created_at": iso(created),
                "modified_at": iso(created + 86_400),
                "team": team,
                "owner": st.me,
                "public": True,
                "default_view": "board",
                "permalink_url": f"https://app.asana.com/0/{gid}/{gid}",
            }
        )
        names = sections or rng.sample(SECTIONS, rng.randint(3, 5)) + ["ממתין לאישור"]
        for n in names:
            sgid = st.gid()
            st.sections[sgid] = {"gid": sgid, "name": n, "project": gid, "created_at": iso(created)}
            p.sections.append(sgid)
        p.fields = [f for f in st.fields if rng.random() < 0.85 or st.fields[f]["type"] == "reference"]
        st.projects[gid] = p
        return p

    def _task_data(self, created: float, name: str) -> dict[str, Any]:
        st, rng = self.st, self.rng
        gid = st.gid()
        users = list(st.users)
        completed = rng.random() < 0.3
        subtype = rng.choices(["default_task", "milestone", "approval"], [0.9, 0.06, 0.04])[0]
        due = created + rng.randint(1, 60) * 86_400
        data: dict[str, Any] = {
            "gid": gid,
            "name": name,
            "resource_subtype": subtype,
            "notes": rng.choice(["", "Draft in the shared doc.", "Steps:\n1. Check\n2. Send\n\nThanks 🙏"]),
            "completed": completed,
            "completed_at": iso(created + 3 * 86_400) if completed else None,
            "completed_by": rng.choice(users) if completed else None,
            "created_at": iso(created),
            "modified_at": iso(created + 4 * 86_400),
            "due_on": day(due) if rng.random() < 0.5 else None,
            "due_at": None,
            "start_on": day(created) if rng.random() < 0.2 else None,
            "assignee": rng.choice(users) if rng.random() < 0.7 else None,
            "followers": rng.sample(users, rng.randint(0, 3)),
            "tags": rng.sample(list(st.tags), rng.randint(0, 2)),
            "parent": None,
            "approval_status": rng.choice(["pending", "approved", "rejected"]) if subtype == "approval" else None,
            "created_by": rng.choice(users),
            "permalink_url": f"https://app.asana.com/1/{st.workspace['gid']}/task/{gid}",
        }
        if data["due_on"] is None and rng.random() < 0.3:
            data["due_at"] = iso(due)
        return data

    def _name(self, j: int) -> str:
        rng = self.rng
        if j % (3 if self.st.scale == "small" else 23) == 1:  # every awkward name, small scale included
            self.awkward += 1
            return AWKWARD_NAMES[self.awkward % len(AWKWARD_NAMES)]
        return f"{rng.choice(VERBS)} {rng.choice(NOUNS)} #{j + 1}"

    def _task(self, project: Project, j: int) -> None:
        st, rng = self.st, self.rng
        created = self.ts()
        task = Task(self._task_data(created, self._name(j)))
        task.memberships = [(project.gid, rng.choice(project.sections))]
        task.values = self._values(project)
        st.tasks[task.gid] = task
        project.tasks.append(task.gid)
        task.stories.append(self._system_story(task, created, "added_to_project", project))
        if rng.random() < 0.15:  # subtasks: in no project, some with their own
            for k in range(rng.randint(1, 3)):
                sub = self._subtask(task, created, k)
                if rng.random() < 0.2:
                    self._subtask(sub, created, 0)

    def _subtask(self, parent: Task, created: float, k: int) -> Task:
        st = self.st
        sub = Task(self._task_data(created + 60, f"Step {k + 1} of {parent.data['name'][:40] or 'task'}"))
        sub.data["parent"] = parent.gid
        st.tasks[sub.gid] = sub
        parent.subtasks.append(sub.gid)
        return sub

    def _values(self, project: Project) -> dict[str, Any]:
        st, rng = self.st, self.rng
        out: dict[str, Any] = {}
        for fgid in project.fields:
            f = st.fields[fgid]
            if rng.random() < 0.35:
                continue
            t = f["type"]
            if t == "enum":
                out[fgid] = rng.choice(f["enum_options"])["gid"]
            elif t == "multi_enum":
                out[fgid] = [o["gid"] for o in rng.sample(f["enum_options"], rng.randint(1, 2))]
            elif t == "number":
                out[fgid] = rng.choice([1, 2.5, 8, 13, 0.5])
            elif t == "text":
                out[fgid] = rng.choice(["ACME-042", "1,200.50", "  ", "𝓯𝓪𝓷𝓬𝔂 ref"])  # values that look like others
            elif t == "date":
                out[fgid] = day(self.ts())
            elif t == "people":
                out[fgid] = rng.sample(list(st.users), 1)
            elif t == "reference":
                out[fgid] = [rng.choice(list(st.projects))]
        return out

    def _system_story(self, task: Task, created: float, subtype: str, project: Project) -> dict[str, Any]:
        st = self.st
        text = dict(SYSTEM_STORIES)[subtype].format(project=project.data["name"], user="Alex")
        gid = st.gid()
        st.story_parent[gid] = task.gid
        return {
            "gid": gid,
            "type": "system",
            "resource_subtype": subtype,
            "text": text,
            "created_at": iso(created),
            "created_by": task.data["created_by"],
            "source": "web",
        }

    def _comment(self, task: Task) -> None:
        st, rng = self.st, self.rng
        gid = st.gid()
        st.story_parent[gid] = task.gid
        task.stories.append(
            {
                "gid": gid,
                "type": "comment",
                "resource_subtype": "comment_added",
                "text": rng.choice(COMMENTS),
                "created_at": iso(self.ts()),
                "created_by": rng.choice(list(st.users)),
                "is_pinned": rng.random() < 0.05,
                "is_edited": rng.random() < 0.1,
                "source": rng.choice(["web", "mobile", "email"]),
            }
        )
        if rng.random() < 0.1:
            task.stories.append(
                self._system_story(task, self.ts(), "assigned", st.projects[st.top_task(task.gid).memberships[0][0]])
            )
        task.stories.sort(key=lambda s: s["created_at"])

    def _attachment(self, task: Task, *, upload: bool) -> None:
        st, rng = self.st, self.rng
        gid = st.gid()
        name, mime = rng.choice(FILES)
        host = "asana" if upload else rng.choice(LINK_HOSTS)
        st.attachments[gid] = {
            "gid": gid,
            "name": name if upload else f"{name} ({host})",
            "resource_subtype": host,
            "host": host,
            "size": rng.choice([0, 120, 5_000, 48_213, 180_000]) if upload else 0,
            "mime": mime,
            "created_at": iso(self.ts()),
            "parent": task.gid,
            "view_url": None if upload else f"https://{host}.example.com/file/{gid}",
            "connected_to_app": False,
        }
        task.attachments.append(gid)

    def _delete(self, task: Task) -> None:
        task.deleted = True
        for sub in task.subtasks:
            self._delete(self.st.tasks[sub])
