"""The Process Street sandbox's seeded state: one organization with its users and folders;
workflows with their revisions (the published one and older ones), task templates (Standard,
Approval, AI and Code; stop tasks; hidden by default) and form fields of every type
(options for the choice fields); workflow runs by status (Active, Completed, Archived, and
Deleted ones no listing shows), each launched from a revision, with its tasks' states,
completers, due dates, run and task assignees, form-field values (some given as strings),
approvals, comments and task attachments, and files in File fields.

Everything derives from `random.Random(seed)`, so two sandboxes with the same seed and scale
are identical. Records are kept in the API's own shapes where the OpenAPI document gives one;
a File field's value and the file links are not documented (reference §S2), so their shape
here is ours and the adapter reads them tolerantly. File bytes are not stored:
`adapters.sandbox_bytes` regenerates them from (seed, file id).
"""

from __future__ import annotations

import base64
import hashlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

from adapters import sandbox_bytes

BASE_TS = 1_704_067_200  # 2024-01-01T00:00:00Z: seeded history starts here
SPAN_S = 480 * 86_400

# runs, comments, attachments (task files + field files) per scale; large holds at least
# 10,000 runs, 30,000 comments and 2,000 files, as every source sandbox's large does
SCALES: dict[str, dict[str, int]] = {
    "small": {"workflows": 2, "runs": 40, "comments": 100, "attachments": 12},
    "medium": {"workflows": 3, "runs": 2_000, "comments": 6_000, "attachments": 400},
    "large": {"workflows": 5, "runs": 10_400, "comments": 30_000, "attachments": 2_200},
}

FIRST = ["Alex", "Priya", "Jonas", "Mei", "Omar", "Sofia", "Liam", "Aisha", "Mateo", "Yuki", "Noah", "Elena"]
LAST = ["Keller", "Nair", "Berg", "Chen", "Haddad", "Rossi", "Walsh", "Okafor", "Silva", "Tanaka", "Novak", "García"]
WORKFLOWS = ["Employee Onboarding", "Client Intake", "Month-End Close", "Vendor Review", "Content Publishing"]
TASKS = [
    "Collect documents",
    "Set up accounts",
    "Manager approval",
    "Order equipment",
    "Schedule kickoff",
    "Review contract",
    "Send welcome pack",
    "Final check",
]
AWKWARD_NAMES = [
    "",  # a run whose name template gave nothing
    "   ",
    "קליטת עובד חדש – דנה",  # RTL
    "مراجعة العقد النهائي",
    "🚀 Launch – Q3 🎉",
    "新员工入职：王伟",
    "Größe prüfen — Ünïcödé",
    "x" * 40 + " " + "very long run name " * 40,  # far beyond any target's limit
    "Line one\nLine two",
    "[mw:processstreet:run:AAAAAAAAAAAAAAAAAAAAAA] look-alike marker",
]
COMMENTS = [
    "Looks good to me.",
    "Can you check the numbers again?",
    "Done ✅",
    "Waiting on the client 🙏",
    "שלום, נבדק ועבר",
    "مراجعة التصميم غدًا",
    "完成了，请确认。",
    "Moved to **Review**.\nSee the attached draft.",
    "",  # a comment that was only an attachment has no text
]
FILES = [
    ("id-scan.png", "image/png"),
    ("contract (signed).pdf", "application/pdf"),
    ("notes.txt", "text/plain"),
    ("Résumé.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
]
# Form fields every workflow has (label, fieldType); the first task template holds most.
FIELDS = [
    ("Employee name", "Text"),
    ("Notes", "Textarea"),
    ("Work email", "Email"),
    ("Portfolio", "Url"),
    ("Salary band", "Number"),
    ("Start date", "Date"),
    ("Department", "Select"),
    ("Equipment", "MultiChoice"),
    ("Checklist", "MultiSelect"),
    ("Buddy", "Members"),
    ("Signed contract", "File"),
    ("Certificates", "MultiFile"),
    ("Budget lines", "Table"),
    ("Source campaign", "Hidden"),
    ("Policy snippet", "Snippet"),
    ("Welcome email", "SendRichEmail"),
    ("Generated offer", "Document"),
    ("Signature", "Signature"),  # a type the published document does not list: read as text
]
OPTIONS = {
    "Select": ["Engineering", "Sales", "Operations", "עמליה"],
    "MultiChoice": ["Laptop", "Badge", "Phone", "Monitor"],
    "MultiSelect": ["Sign NDA", "Read handbook", "Meet the team"],
}


def iso(ts: float) -> str:
    """The API's timestamp format: ISO-8601 UTC with milliseconds."""
    whole = int(ts)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((ts - whole) * 1000):03d}Z"


def day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(int(ts)))


@dataclass
class Revision:
    id: str
    version: int
    status: str  # Finished (published), Revised (an older published one), Draft
    tasks: list[dict[str, Any]] = field(default_factory=list)  # task templates, in order
    created: float = 0.0


@dataclass
class Workflow:
    data: dict[str, Any]  # id, name, description, audit
    folder: str
    revisions: list[Revision] = field(default_factory=list)  # oldest first; the last Finished is published
    fields: list[dict[str, Any]] = field(default_factory=list)  # form fields of the published revision
    runs: list[str] = field(default_factory=list)  # run ids, oldest first

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def published(self) -> Revision:
        return next(r for r in reversed(self.revisions) if r.status == "Finished")


@dataclass
class Run:
    data: dict[str, Any]  # id, name, status, workflowId, shared, dueDate, migrationStatus, audit
    revision: str
    tasks: list[dict[str, Any]] = field(default_factory=list)  # the run's tasks, in order (with "templateId")
    assignees: list[str] = field(default_factory=list)  # user ids
    task_assignees: dict[str, list[str]] = field(default_factory=dict)  # task id -> user ids
    values: dict[str, Any] = field(default_factory=dict)  # form field id -> data
    value_dates: dict[str, float] = field(default_factory=dict)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # task attachments
    files: list[str] = field(default_factory=list)  # files in File / MultiFile fields

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])


@dataclass
class PSState:
    seed: int
    scale: str
    api_key_label: str = "Migration key"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)  # task attachments
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # field files: id, name, mime, size, run, field
    counter: int = 0

    def muid(self) -> str:
        """A 22-character URL-safe id (a base64 UUID, as the API's Muids are)."""
        self.counter += 1
        raw = hashlib.sha256(f"{self.seed}:{self.counter}".encode()).digest()[:16]
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def file_sha256(self, fid: str) -> str:
        rec = self.attachments.get(fid) or self.files[fid]
        return sandbox_bytes.file_sha256(self.seed, fid, int(rec["size"]))

    def user_ref(self, uid: str) -> dict[str, str]:
        u = self.users[uid]
        return {"id": u["id"], "email": u["email"], "username": u["username"]}

    def field(self, wf: Workflow, fid: str) -> dict[str, Any] | None:
        return next((f for f in wf.fields if f["id"] == fid), None)


def build_state(seed: int = 1, scale: str = "small") -> PSState:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    return _Builder(seed, scale).build()


class _Builder:
    def __init__(self, seed: int, scale: str) -> None:
        self.rng = random.Random(seed)
        self.st = PSState(seed=seed, scale=scale)
        self.size = SCALES[scale]
        self.awkward = -1

    def ts(self) -> float:
        return BASE_TS + self.rng.random() * SPAN_S

    def audit(self, created: float, updated: float | None = None) -> dict[str, Any]:
        users = list(self.st.users)
        by = self.st.user_ref(self.rng.choice(users))
        return {
            "createdDate": iso(created),
            "createdBy": by,
            "updatedDate": iso(updated or created),
            "updatedBy": by,
        }

    def build(self) -> PSState:
        st, rng, size = self.st, self.rng, self.size
        for i in range(12):
            uid = st.muid()
            last = LAST[(i * 5) % len(LAST)]
            st.users[uid] = {"id": uid, "email": f"{FIRST[i].lower()}.{last.lower()}@acme.example", "username": ""}
            st.users[uid]["username"] = f"{FIRST[i]} {last}"
        for name, parent in (("Operations", None), ("People", None), ("Archive 2023", "Operations")):
            fid = st.muid()
            parent_id = next((f for f, v in st.folders.items() if v["name"] == parent), None)
            st.folders[fid] = {"id": fid, "name": name, "parentFolderId": parent_id, **self.audit(self.ts())}
        folders = list(st.folders)
        workflows = [self._workflow(WORKFLOWS[i % len(WORKFLOWS)], folders[i % 2]) for i in range(size["workflows"])]
        self._workflow("🧾 הזמנת ציוד – Équipement", folders[1])  # a name in three scripts, no runs: an empty workflow
        self._workflow("   ", folders[0], bare=True)  # a blank name, no task, no field, no run
        n = size["runs"]
        shares = [n // len(workflows)] * len(workflows)
        shares[0] += n - sum(shares)
        for wf, k in zip(workflows, shares, strict=True):
            for j in range(k):
                self._run(wf, j)
        runs = [r for r in st.runs.values() if r.status != "Deleted"]
        for _ in range(size["comments"]):
            self._comment(rng.choice(runs))
        task_files = max(1, size["attachments"] * 2 // 3)
        for _ in range(task_files):
            self._attachment(rng.choice(runs))
        with_file_fields = [r for r in runs if r.revision == st.workflows[r.data["workflowId"]].published.id]
        for _ in range(size["attachments"] - task_files):
            self._field_file(rng.choice(with_file_fields))
        return st

    # -- workflows ------------------------------------------------------------------------
    def _workflow(self, name: str, folder: str, *, bare: bool = False) -> Workflow:
        st, rng = self.st, self.rng
        created = self.ts()
        wid = st.muid()
        wf = Workflow(
            {
                "id": wid,
                "name": name,
                "description": f"How we run {name.lower()}." if rng.random() < 0.7 else "",
                "audit": self.audit(created, created + 30 * 86_400),
            },
            folder,
        )
        if bare:  # published, but nobody added a task to it yet
            wf.revisions = [Revision(st.muid(), 1, "Finished", [], created)]
            st.workflows[wid] = wf
            return wf
        names = rng.sample(TASKS, rng.randint(4, 6))
        if "Manager approval" not in names:
            names.insert(2, "Manager approval")
        old = Revision(st.muid(), 1, "Revised", self._task_templates(wid, names[:-1], created), created)
        new = Revision(st.muid(), 2, "Finished", self._task_templates(wid, names, created + 86_400), created + 86_400)
        # the published revision keeps the older one's task ids where the task stayed (as its
        # runs show them) and adds one: runs launched on revision 1 lack it
        for t_old, t_new in zip(old.tasks, new.tasks, strict=False):
            t_new["id"] = t_old["id"]
        wf.revisions = [old, new]
        first = new.tasks[0]["id"]
        for label, ftype in FIELDS:
            task = first if ftype not in ("File", "MultiFile", "Table") else new.tasks[-1]["id"]
            fid = st.muid()
            key = label.lower().replace(" ", "_")
            wf.fields.append(
                {
                    "id": fid,
                    "audit": self.audit(created),
                    "taskId": task,
                    "fieldType": ftype,
                    "key": key,
                    "label": label if rng.random() < 0.95 else "",
                    "dataSetLinked": False,
                    "options": [{"value": o.lower().replace(" ", "-"), "label": o} for o in OPTIONS.get(ftype, [])],
                }
            )
        st.workflows[wid] = wf
        return wf

    def _task_templates(self, wid: str, names: list[str], created: float) -> list[dict[str, Any]]:
        st, rng = self.st, self.rng
        out = []
        for i, name in enumerate(names):
            kind = "Approval" if name == "Manager approval" else rng.choices(["Standard", "AI", "Code"], [8, 1, 1])[0]
            out.append(
                {
                    "id": st.muid(),
                    "audit": self.audit(created),
                    "workflowId": wid,
                    "name": name if i != len(names) - 1 or rng.random() < 0.9 else "",
                    "orderTree": f"{i + 1:04d}",
                    "stopTask": name in ("Manager approval", "Review contract"),
                    "hiddenByDefault": name == "Order equipment",
                    "taskType": kind,
                }
            )
        return out

    # -- runs -----------------------------------------------------------------------------
    def _name(self, j: int) -> str:
        rng = self.rng
        if j % (3 if self.st.scale == "small" else 23) == 1:  # every awkward name, small scale included
            self.awkward += 1
            return AWKWARD_NAMES[self.awkward % len(AWKWARD_NAMES)]
        return f"{rng.choice(FIRST)} {rng.choice(LAST)} – #{j + 1}"

    def _run(self, wf: Workflow, j: int) -> None:
        st, rng = self.st, self.rng
        users = list(st.users)
        created = self.ts()
        revision = wf.revisions[0] if rng.random() < 0.15 else wf.published
        status = rng.choices(["Active", "Completed", "Archived", "Deleted"], [60, 25, 12, 3])[0]
        done_upto = len(revision.tasks) if status == "Completed" else rng.randint(0, len(revision.tasks) - 1)
        rid = st.muid()
        run = Run(
            {
                "id": rid,
                "audit": {},
                "name": self._name(j),
                "status": status,
                "workflowId": wf.id,
                "shared": rng.random() < 0.1,
                "dueDate": iso(created + rng.randint(5, 40) * 86_400) if rng.random() < 0.6 else None,
                "migrationStatus": "Inactive",
            },
            revision.id,
        )
        last = created
        for i, tpl in enumerate(revision.tasks):
            completed = i < done_upto or (status != "Completed" and rng.random() < 0.08)  # out-of-order ticks happen
            when = created + (i + 1) * 3_600 * rng.randint(1, 30)
            by = st.user_ref(rng.choice(users))
            task = {
                "id": st.muid(),
                "templateId": tpl["id"],
                "updatedDate": iso(when if completed else created),
                "updatedBy": by,
                "workflowRunId": rid,
                "status": "Completed" if completed else "NotCompleted",
                "name": tpl["name"],
                "hidden": bool(tpl["hiddenByDefault"]) and rng.random() < 0.7,
                "stopped": bool(tpl["stopTask"]) and not completed,
                "taskType": tpl["taskType"],
            }
            if completed:
                task["completedDate"] = iso(when)
                task["completedBy"] = by
                last = max(last, when)
            if rng.random() < 0.3:
                task["dueDate"] = iso(created + (i + 2) * 86_400)
            run.tasks.append(task)
            if rng.random() < 0.4:
                run.task_assignees[task["id"]] = rng.sample(users, rng.randint(1, 2))
            if tpl["taskType"] == "Approval" and completed:
                reviewer = rng.choice(users)
                subject = run.tasks[0]["id"]
                run.approvals.append(
                    {
                        "id": st.muid(),
                        "audit": self.audit(when),
                        "organizationId": "org-acme",
                        "workflowRunId": rid,
                        "approvalTaskId": task["id"],
                        "subjectTaskId": subject,
                        "status": rng.choice(["Approved", "Approved", "Rejected"]),
                        "reviewedBy": st.user_ref(reviewer),
                        **({"comment": rng.choice(["Fine by me.", "Please redo the forms.", "👍"])} if j % 2 else {}),
                    }
                )
        run.data["audit"] = {
            "createdDate": iso(created),
            "createdById": rng.choice(users),
            "updatedDate": iso(last),
            "updatedById": rng.choice(users),
        }
        run.assignees = rng.sample(users, rng.randint(0, 3))
        if revision is wf.published:  # runs on the older revision kept no form values we model
            self._values(wf, run, created)
        st.runs[rid] = run
        wf.runs.append(rid)

    def _values(self, wf: Workflow, run: Run, created: float) -> None:
        st, rng = self.st, self.rng
        for f in wf.fields:
            t = f["fieldType"]
            if t in ("File", "MultiFile") or rng.random() < 0.3:
                continue
            opts = [o["value"] for o in f["options"]]
            value: Any
            if t == "Text":
                value = rng.choice(["Jane Doe", "  ", "𝓯𝓪𝓷𝓬𝔂 name", "O'Brien; DROP TABLE", "x" * 300])
            elif t == "Textarea":
                value = rng.choice(["Line one\nLine two", "Ünïcödé notes ✅", ""])
            elif t == "Email":
                value = rng.choice(["jane@acme.example", "not an email"])
            elif t == "Url":
                value = rng.choice(["https://acme.example/portfolio", "acme.example"])
            elif t == "Number":
                value = rng.choice([3, 4.5, "7", "12.50"])  # numbers given as strings, as they are typed
            elif t == "Date":
                value = rng.choice([iso(created + 86_400 * 3), day(created + 86_400 * 9)])
            elif t == "Select":
                value = rng.choice(opts)
            elif t in ("MultiChoice", "MultiSelect"):
                value = rng.sample(opts, rng.randint(0, len(opts)))
            elif t == "Members":
                value = [st.user_ref(u) for u in rng.sample(list(st.users), rng.randint(1, 2))]
            elif t == "Table":
                value = "Item,Amount\nLaptop,1200\nDesk,300"
            elif t == "Hidden":
                value = rng.choice(["newsletter", "referral"])
            elif t == "Snippet":
                value = "Our policy, as of this year."
            elif t == "SendRichEmail":
                value = {"to": ["jane@acme.example"], "subject": "Welcome!", "sent": True}
            elif t == "Document":
                value = {"name": "offer.pdf", "status": "Generated"}
            else:
                value = "signed by Jane"
            run.values[f["id"]] = value
            run.value_dates[f["id"]] = created + 3_600

    def _comment(self, run: Run) -> None:
        st, rng = self.st, self.rng
        cid = st.muid()
        when = self.ts()
        by = st.user_ref(rng.choice(list(st.users)))
        st.comments[cid] = {
            "id": cid,
            "createdDate": iso(when),
            "createdBy": by,
            "updatedDate": iso(when + (3_600 if rng.random() < 0.1 else 0)),
            "updatedBy": by,
            "workflowRunId": run.id,
            "taskId": rng.choice(run.tasks)["id"],
            "text": rng.choice(COMMENTS),
            "workflowId": run.data["workflowId"],
        }
        run.comments.append(cid)

    def _attachment(self, run: Run) -> None:
        st, rng = self.st, self.rng
        aid = st.muid()
        name, mime = rng.choice(FILES)
        st.attachments[aid] = {
            "id": aid,
            "createdDate": iso(self.ts()),
            "createdBy": st.user_ref(rng.choice(list(st.users))),
            "taskId": rng.choice(run.tasks)["id"],
            "workflowRunId": run.id,
            "workflowId": run.data["workflowId"],
            "fileName": name,
            "mimeType": mime,
            "size": rng.choice([0, 120, 5_000, 48_213, 180_000]),
        }
        run.attachments.append(aid)

    def _field_file(self, run: Run) -> None:
        st, rng = self.st, self.rng
        wf = st.workflows[run.data["workflowId"]]
        f = rng.choice([f for f in wf.fields if f["fieldType"] in ("File", "MultiFile")])
        existing = [x for x in run.files if st.files[x]["field"] == f["id"]]
        if f["fieldType"] == "File" and existing:
            return
        fid = st.muid()
        name, mime = rng.choice(FILES)
        st.files[fid] = {"id": fid, "name": name, "mime": mime, "size": rng.choice([64, 9_000, 70_001])}
        st.files[fid].update(run=run.id, field=f["id"])
        run.files.append(fid)
        run.values[f["id"]] = [st.files[x]["id"] for x in [*existing, fid]]
        run.value_dates[f["id"]] = self.ts()
