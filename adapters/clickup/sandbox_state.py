"""The ClickUp sandbox's seeded state: one Workspace (a "team" in API v2) with its members;
Spaces with their statuses and tags; a Folder whose Lists override the Space's statuses, a
folderless List, an archived List and an empty one; custom fields of every type ClickUp
documents and one it added later; tasks with subtasks (some nested), checklists, tags,
assignees, watchers, priority, dates, time estimates, values (drop-downs read back as the
option's orderindex, numbers as strings), dependencies and links; closed, archived and
deleted tasks; comments with threaded replies; attachments.

Everything derives from `random.Random(seed)`, so two sandboxes with the same seed and scale
are identical. Records are kept in ClickUp's own shape (`reference/trello-asana-clickup.md`
§3.6 and the v2 OpenAPI examples); references between them are ids, resolved when a record is
rendered. Attachment bytes are not stored: `adapters.sandbox_bytes` regenerates them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.sandbox_bytes import file_sha256

BASE_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z: seeded history starts here
SPAN_MS = 480 * 86_400_000
TEAM_ID = "9012345"

SCALES: dict[str, dict[str, int]] = {
    "small": {"lists": 3, "tasks": 40, "comments": 100, "attachments": 12},
    "medium": {"lists": 4, "tasks": 2_000, "comments": 6_000, "attachments": 400},
    "large": {"lists": 6, "tasks": 10_200, "comments": 30_000, "attachments": 2_000},
}

FIRST = ["Alex", "Priya", "Jonas", "Mei", "Omar", "Sofia", "Liam", "Aisha", "Mateo", "Yuki"]
LAST = ["Keller", "Nair", "Berg", "Chen", "Haddad", "Rossi", "Walsh", "Okafor", "Silva", "Tanaka"]
COLOURS = ["#827718", "#4194f6", "#e50000", "#ffcc00", "#02bcd4", "#7b68ee", "#f9d900", "#6bc950"]
LISTS = ["Sprint Backlog", "Client Onboarding", "Website Relaunch", "Hiring", "Quarterly Close", "Office Move"]
SPACE_STATUSES = [("to do", "open"), ("in progress", "custom"), ("review", "custom"), ("complete", "closed")]
LIST_STATUSES = [
    ("backlog", "open"),
    ("scoping", "custom"),
    ("in progress", "custom"),
    ("waiting on client", "custom"),
    ("done", "done"),
    ("closed", "closed"),
]
VERBS = ["Review", "Draft", "Ship", "Update", "Plan", "Fix", "Approve", "Prepare", "Send", "Audit"]
NOUNS = ["invoice", "onboarding email", "contract", "landing page", "budget", "offer letter", "press release"]
AWKWARD_NAMES = [
    "",  # ClickUp keeps a task whose name was cleared
    "   ",
    "בדיקת חוזה עם הלקוח",  # RTL
    "مراجعة التصميم النهائي",
    "🚀 Launch day 🎉",
    "完成季度报告",
    "Größe prüfen — Ünïcödé",
    "x" * 40 + " " + "very long name " * 40,  # far beyond any target's limit
    "Line one\nLine two",
    "[mw:clickup:task:1] look-alike marker",
]
COMMENTS = [
    "Looks good, merging.",
    "Can you check the numbers again?",
    "Done ✅",
    "Waiting on the client 🙏",
    "שלום, נבדק ועבר",
    "مراجعة التصميم غدًا",
    "完成了，请确认。",
    "Moved to review.\nSee the attached draft.",
]
FILES = [
    ("mockup.png", "png", "image/png"),
    ("contract (signed).pdf", "pdf", "application/pdf"),
    ("error-logs.txt", "txt", "text/plain"),
    ("Résumé.docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
]
TAGS = [("urgent", "#ffffff", "#e50000"), ("client", "#000000", "#6bc950"), ("🔥 hot", "#ffffff", "#ff7800")]
PRIORITIES = [
    None,
    ("1", "urgent", "#f50000"),
    ("2", "high", "#ffcc00"),
    ("3", "normal", "#6fddff"),
    ("4", "low", "#d8d8d8"),
]
DESCRIPTIONS = [  # (plain text, the same as markdown)
    ("Draft in doc", "Draft in **doc**"),
    ("Steps:\n1. Open\n2. Check", "Steps:\n\n1. Open\n2. Check"),
    ("Voir le brief — Ünïcödé 🙂", "Voir le [brief](https://example.org/brief) — Ünïcödé 🙂"),
]
CHECKLIST_ITEMS = ["Test links", "Check copy", "Sign-off", "Send to client", "Archive drafts", "✅ Final check"]


@dataclass
class Task:
    data: dict[str, Any]  # ClickUp's own fields; people are user ids, checklists and values inline
    list_id: str
    comments: list[dict[str, Any]] = field(default_factory=list)  # top-level comments, each with "replies"
    attachments: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def id(self) -> str:
        return str(self.data["id"])


@dataclass
class ClickUpList:
    data: dict[str, Any]  # without statuses and task_count, rendered from the state
    space_id: str
    folder_id: str | None
    statuses: list[dict[str, Any]]
    fields: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)  # in creation order, subtasks included

    @property
    def id(self) -> str:
        return str(self.data["id"])


@dataclass
class ClickUpState:
    seed: int
    scale: str
    me: int = 0
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    spaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, ClickUpList] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    comment_task: dict[str, str] = field(default_factory=dict)  # comment id (replies too) -> task id
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> record (with parent_id)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id (sandbox_webhooks)
    # told of each task change, (task, event, field, before, after), for webhook deliveries; the sandbox attaches it
    on_change: Callable[[Task, str, str, Any, Any], None] | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The state without its listener: a saved demo world pickles without it, and the
        sandbox attaches its own to any state put in."""
        return {**self.__dict__, "on_change": None}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.__dict__.update({"webhooks": {}, **saved})  # a world saved before webhooks has none

    def changed(self, task: Task, event: str, field: str = "", before: Any = None, after: Any = None) -> None:
        if self.on_change is not None:
            self.on_change(task, event, field, before, after)

    def attachment_sha256(self, att_id: str) -> str:
        return file_sha256(self.seed, att_id, self.attachments[att_id]["size"])

    def live(self, list_id: str) -> list[Task]:
        return [self.tasks[t] for t in self.lists[list_id].tasks if not self.tasks[t].deleted]

    def list_archived(self, lst: ClickUpList) -> bool:
        folder = self.folders.get(lst.folder_id or "")
        return bool(lst.data["archived"] or (folder and folder["archived"]) or self.spaces[lst.space_id]["archived"])


def build_state(seed: int = 1, scale: str = "small") -> ClickUpState:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    return _Builder(seed, scale).build()


class _Builder:
    def __init__(self, seed: int, scale: str) -> None:
        self.rng = random.Random(seed)
        self.st = ClickUpState(seed=seed, scale=scale)
        self.size = SCALES[scale]
        self.awkward = -1
        self.next_id = 90_100
        self.next_comment = 90_120_045_000

    # -- ids, as ClickUp's look ---------------------------------------------------------------
    def num_id(self) -> str:
        self.next_id += 1 + self.rng.randrange(7)
        return str(self.next_id)

    def task_id(self) -> str:
        alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
        while True:
            tid = "86" + "".join(self.rng.choice(alphabet) for _ in range(7))
            if tid not in self.st.tasks:
                return tid

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def comment_id(self) -> str:
        self.next_comment += 1 + self.rng.randrange(40)
        return str(self.next_comment)

    def ms(self) -> int:
        return BASE_MS + int(self.rng.random() * SPAN_MS)

    def user(self, uid: int) -> dict[str, Any]:
        u = self.st.users[uid]
        return {k: u[k] for k in ("id", "username", "color", "initials", "email", "profilePicture")}

    # -- the Workspace --------------------------------------------------------------------------
    def build(self) -> ClickUpState:
        st = self.st
        for i in range(10):
            uid = 183 + i * 7_919
            first, last = FIRST[i], LAST[(i * 3) % len(LAST)]
            st.users[uid] = {
                "id": uid,
                "username": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}@acme.example",
                "color": COLOURS[i % len(COLOURS)],
                "initials": first[0] + last[0],
                "profilePicture": None,
                "role": 1 if i == 0 else 3,
            }
        st.users[183 + 10 * 7_919] = {  # a member who never set a name
            "id": 183 + 10 * 7_919,
            "username": None,
            "email": "no.name@acme.example",
            "color": None,
            "initials": "N",
            "profilePicture": None,
            "role": 3,
        }
        st.me = 183
        self._fields()
        delivery = self._space("Delivery 🚚", archived=False)
        ops = self._space("Operations", archived=False)
        old = self._space("Old projects", archived=True)
        clients = self._folder(delivery, "Clients", archived=False)
        n = self.size["lists"]
        names = LISTS[:n]
        lists = [self._list(delivery, clients, names[0], override=True)]
        lists += [self._list(ops, None, name, override=False) for name in names[1:]]
        archived_list = self._list(delivery, clients, "Last year's backlog", override=True, archived=True)
        self._list(delivery, None, "Empty list", override=False)  # an empty container
        self._list(old, None, "Retired board", override=False)  # in an archived Space
        per = self.size["tasks"] // (n + 1)
        for lst in lists:
            self._tasks(lst, per)
        self._tasks(archived_list, self.size["tasks"] - per * n)
        self._comments()
        self._attachments()
        self._relations()
        return st

    def _space(self, name: str, *, archived: bool) -> str:
        sid = self.num_id()
        self.st.spaces[sid] = {
            "id": sid,
            "name": name,
            "private": False,
            "color": self.rng.choice(COLOURS),
            "avatar": None,
            "admin_can_manage": True,
            "archived": archived,
            "members": [{"user": self.user(uid)} for uid in list(self.st.users)[:4]],
            "statuses": [self._status(sid, s, t, i) for i, (s, t) in enumerate(SPACE_STATUSES)],
            "multiple_assignees": True,
            "features": {
                "due_dates": {"enabled": True, "start_date": True, "remap_due_dates": False},
                "time_tracking": {"enabled": True},
                "tags": {"enabled": True},
                "time_estimates": {"enabled": True},
                "checklists": {"enabled": True},
                "custom_fields": {"enabled": True},
                "remap_dependencies": {"enabled": True},
                "dependency_warning": {"enabled": True},
                "portfolios": {"enabled": True},
            },
            "tags": [
                {"name": n, "tag_fg": fg, "tag_bg": bg, "creator": self.st.me} for n, fg, bg in TAGS if not archived
            ],
        }
        return sid

    def _status(self, owner: str, name: str, kind: str, i: int) -> dict[str, Any]:
        return {
            "id": f"p{owner}_{self.uuid()[:8]}",
            "status": name,
            "color": COLOURS[i % len(COLOURS)],
            "orderindex": i,
            "type": kind,
        }

    def _folder(self, space: str, name: str, *, archived: bool) -> str:
        fid = self.num_id()
        self.st.folders[fid] = {
            "id": fid,
            "name": name,
            "orderindex": len(self.st.folders),
            "override_statuses": False,
            "hidden": False,
            "space": {"id": space, "name": self.st.spaces[space]["name"], "access": True},
            "archived": archived,
            "permission_level": "create",
        }
        return fid

    def _list(
        self, space: str, folder: str | None, name: str, *, override: bool, archived: bool = False
    ) -> ClickUpList:
        lid = self.num_id() + "4567"  # list ids are longer than the others
        statuses = (
            [self._status(lid, s, t, i) for i, (s, t) in enumerate(LIST_STATUSES)]
            if override
            else self.st.spaces[space]["statuses"]
        )
        f = self.st.folders.get(folder or "")
        data = {
            "id": lid,
            "name": name,
            "orderindex": len(self.st.lists),
            "content": "Work for the client, week by week." if override else "",
            "status": None,
            "priority": None,
            "assignee": None,
            "due_date": None,
            "start_date": None,
            # a folderless list sits in a hidden folder of its own, as ClickUp renders it
            "folder": {"id": folder, "name": f["name"], "hidden": False, "access": True}
            if f
            else {"id": self.num_id(), "name": "hidden", "hidden": True, "access": True},
            "space": {"id": space, "name": self.st.spaces[space]["name"], "access": True},
            "archived": archived,
            "override_statuses": override,
            "permission_level": "create",
        }
        lst = ClickUpList(data, space, folder, statuses, fields=list(self.st.fields))
        self.st.lists[lid] = lst
        return lst

    def _fields(self) -> None:
        st = self.st

        def add(name: str, ftype: str, **config: Any) -> None:
            fid = self.uuid()
            st.fields[fid] = {
                "id": fid,
                "name": name,
                "type": ftype,
                "type_config": config,
                "date_created": str(self.ms()),
                "hide_from_guests": False,
                "required": False,
            }

        def options(*names: str, label: bool = False) -> list[dict[str, Any]]:
            key = "label" if label else "name"
            return [{"id": self.uuid(), key: n, "color": COLOURS[i], "orderindex": i} for i, n in enumerate(names)]

        add("Priority tier", "drop_down", default=0, placeholder=None, options=options("P1", "P2", "P3"))
        add("Channels", "labels", options=options("Email", "Web", "Phone", label=True))
        add("Story Points", "number")
        add("Budget", "currency", precision=2, currency_type="EUR", default=None)
        add("Review date", "date")
        add("Client ref", "short_text")
        add("Brief", "text")
        add("Contact email", "email")
        add("Contact phone", "phone")
        add("Spec link", "url")
        add("Signed off", "checkbox")
        add("Reviewer", "users", single_user=True, include_groups=None, include_guests=True, include_team_members=True)
        add("Confidence", "emoji", code_point="2b50", count=5)
        add("Site", "location")  # a type this source does not read as such: kept as text

    # -- tasks -------------------------------------------------------------------------------
    def _name(self) -> str:
        if self.rng.random() < 0.18:
            self.awkward = (self.awkward + 1) % len(AWKWARD_NAMES)
            return AWKWARD_NAMES[self.awkward]
        return f"{self.rng.choice(VERBS)} {self.rng.choice(NOUNS)} #{self.rng.randrange(1000)}"

    def _tasks(self, lst: ClickUpList, n: int) -> None:
        st = self.st
        users = [u for u in st.users if st.users[u]["username"]]
        tops: list[str] = []
        order = 0
        for i in range(n):
            rng = self.rng
            parent: str | None = None
            if tops and i > 2 and rng.random() < 0.2:
                parent = rng.choice(tops[-20:])
                if rng.random() < 0.3 and st.tasks[parent].data["parent"] is None:
                    kids = [t for t in lst.tasks if st.tasks[t].data["parent"] == parent]
                    parent = kids[-1] if kids else parent  # a subtask of a subtask
            status = rng.choice(lst.statuses)
            created = self.ms()
            updated = created + rng.randrange(1, 30 * 86_400_000)
            closed = status["type"] in ("closed", "done")
            tid = self.task_id()
            top = parent and (st.tasks[parent].data["top_level_parent"] or parent)
            order += 1
            data: dict[str, Any] = {
                "id": tid,
                "custom_id": None,
                "custom_item_id": 0,
                "name": self._name(),
                "text_content": "",
                "description": "",
                "status": {k: status[k] for k in ("id", "status", "color", "orderindex", "type")},
                "orderindex": f"{order}.00000000000000000000000000000000",
                "date_created": str(created),
                "date_updated": str(updated),
                "date_closed": str(updated) if closed else None,
                "date_done": str(updated) if status["type"] == "done" else None,
                "archived": False,
                "creator": rng.choice(users),
                "assignees": rng.sample(users, rng.choice((0, 1, 1, 2))),
                "group_assignees": [],
                "watchers": rng.sample(users, rng.choice((0, 1, 2))),
                "checklists": [],
                "tags": [t[0] for t in TAGS if rng.random() < 0.2] if st.spaces[lst.space_id]["tags"] else [],
                "parent": parent,
                "top_level_parent": top or None,
                "priority": rng.choice(PRIORITIES),
                "due_date": str(created + rng.randrange(86_400_000, 60 * 86_400_000)) if rng.random() < 0.5 else None,
                "start_date": str(created) if rng.random() < 0.2 else None,
                "points": rng.choice((None, 1, 2, 3, 5, 8)),
                "time_estimate": rng.choice((None, 3_600_000, 7_200_000, 28_800_000)),
                "values": {},
                "dependencies": [],
                "linked_tasks": [],
            }
            data["markdown_description"] = ""
            if rng.random() < 0.4:
                text, md = rng.choice(DESCRIPTIONS)
                data["text_content"] = data["description"] = text
                data["markdown_description"] = md  # only when asked for (include_markdown_description)
            if parent is None and rng.random() < 0.3:
                data["checklists"] = [self._checklist(tid, j) for j in range(rng.choice((1, 1, 2)))]
            for fid in lst.fields:
                if rng.random() < 0.45:
                    data["values"][fid] = self._value(st.fields[fid], users)
            task = Task(data, lst.id)
            st.tasks[tid] = task
            lst.tasks.append(tid)
            if parent is None:
                tops.append(tid)
        # closed, archived and deleted tasks (top-level ones without subtasks)
        lone = [t for t in tops if not any(st.tasks[c].data["parent"] == t for c in lst.tasks)]
        self.rng.shuffle(lone)
        for tid in lone[:2]:
            st.tasks[tid].data["archived"] = True
        for tid in lone[2:3]:
            st.tasks[tid].deleted = True

    def _checklist(self, tid: str, j: int) -> dict[str, Any]:
        items = []
        for k in range(self.rng.randrange(1, 6)):
            items.append(
                {
                    "id": self.uuid(),
                    "name": self.rng.choice(CHECKLIST_ITEMS) if k else "",  # a blank item, as ClickUp keeps it
                    "orderindex": k,
                    "assignee": self.user(self.st.me) if self.rng.random() < 0.2 else None,
                    "group_assignee": None,
                    "resolved": self.rng.random() < 0.5,
                    "parent": None,
                    "date_created": str(self.ms()),
                    "children": [],
                }
            )
        return {
            "id": self.uuid(),
            "task_id": tid,
            "name": ["QA", "Launch checklist", "Checklist"][j % 3],
            "date_created": str(self.ms()),
            "orderindex": j,
            "creator": self.st.me,
            "resolved": sum(i["resolved"] for i in items),
            "unresolved": sum(not i["resolved"] for i in items),
            "items": items,
        }

    def _value(self, f: dict[str, Any], users: list[int]) -> Any:
        rng, t = self.rng, f["type"]
        opts = f["type_config"].get("options", [])
        if t == "drop_down":
            return rng.choice(opts)["orderindex"]  # read back as the option's orderindex
        if t == "labels":
            return [o["id"] for o in rng.sample(opts, rng.randrange(1, len(opts) + 1))]
        if t in ("number", "currency"):
            return str(rng.choice([8, 13, 2.5, 1200, 0]))  # numbers are read back as strings
        if t == "date":
            return str(self.ms())
        if t == "short_text":
            return rng.choice(["ACME-1042", "   ", "Ref ☕ 7"])
        if t == "text":
            return "Long brief,\nwith two lines."
        if t == "email":
            return "client@example.org"
        if t == "phone":
            return "+44 20 7946 0958"
        if t == "url":
            return "https://example.org/spec"
        if t == "checkbox":
            return rng.choice([True, "true"])  # a checkbox's value, sometimes as a string
        if t == "users":
            return [rng.choice(users)]
        if t == "emoji":
            return rng.randrange(0, 6)
        return {"location": {"lat": 51.5, "lng": -0.12}, "formatted_address": "1 Example St, London"}

    # -- comments, files, relations ------------------------------------------------------------
    def _open_tasks(self) -> list[Task]:
        return [t for t in self.st.tasks.values() if not t.deleted]

    def _comments(self) -> None:
        st, rng = self.st, self.rng
        tasks = self._open_tasks()
        users = [u for u in st.users if st.users[u]["username"]]
        budget = self.size["comments"]
        # one task per list talks a lot: its comments span pages of 25
        chatty = {lst.tasks[0] for lst in st.lists.values() if lst.tasks}
        while budget > 0:
            task = rng.choice(tasks)
            burst = 30 if task.id in chatty and not task.comments else 1
            for _ in range(min(burst, budget)):
                text = rng.choice(COMMENTS)
                comment = self._comment(text, rng.choice(users), task)
                budget -= 1
                if budget > 0 and rng.random() < 0.2:
                    for _ in range(min(budget, rng.randrange(1, 4))):
                        comment["replies"].append(self._comment(rng.choice(COMMENTS), rng.choice(users), task))
                        budget -= 1
                comment["reply_count"] = str(len(comment["replies"]))
                task.comments.append(comment)

    def _comment(self, text: str, uid: int, task: Task) -> dict[str, Any]:
        cid = self.comment_id()
        self.st.comment_task[cid] = task.id
        return {
            "id": cid,
            "comment": [{"text": text}],
            "comment_text": text,
            "user": self.user(uid),
            "resolved": False,
            "assignee": None,
            "assigned_by": None,
            "reactions": [],
            "date": str(int(task.data["date_created"]) + self.rng.randrange(60_000, 90 * 86_400_000)),
            "reply_count": "0",
            "replies": [],
        }

    def _attachments(self) -> None:
        st, rng = self.st, self.rng
        tasks = self._open_tasks()
        for _ in range(self.size["attachments"]):
            task = rng.choice(tasks)
            title, ext, mime = rng.choice(FILES)
            uid = self.uuid()
            att_id = f"{uid}.{ext}"
            size = rng.choice((0, 140, 2_048, 70_000)) if ext == "txt" else rng.randrange(1_000, 200_000)
            att = {
                "id": att_id,
                "date": int(task.data["date_created"]) + rng.randrange(60_000, 86_400_000),
                "title": title,
                "type": 1,
                "source": 1,
                "version": 0,
                "extension": ext,
                "thumbnail_small": None,
                "thumbnail_large": None,
                "is_folder": None,
                "mimetype": mime,
                "hidden": False,
                "parent_id": task.id,
                "size": size,
                "total_comments": 0,
                "resolved_comments": 0,
                "user": self.user(st.me),
                "deleted": False,
                "orientation": None,
                "url_path": f"t{TEAM_ID}/{uid}/{title}",
            }
            task.attachments.append(att)
            st.attachments[att_id] = att

    def _relations(self) -> None:
        """A few dependencies (waiting on / blocking) and links between tasks of one list,
        and one link to a task in another list."""
        st, rng = self.st, self.rng
        for lst in st.lists.values():
            live = [st.tasks[t] for t in lst.tasks if not st.tasks[t].deleted and not st.tasks[t].data["archived"]]
            for _ in range(min(3, len(live) // 5)):
                a, b = rng.sample(live, 2)
                dep = {"task_id": a.id, "depends_on": b.id, "type": 1, "date_created": str(self.ms()), "userid": "183"}
                a.data["dependencies"].append(dep)
                b.data["dependencies"].append(dep)
                link = {"task_id": a.id, "link_id": b.id, "date_created": str(self.ms()), "userid": "183"}
                a.data["linked_tasks"].append(link)
                b.data["linked_tasks"].append({**link, "task_id": b.id, "link_id": a.id})
