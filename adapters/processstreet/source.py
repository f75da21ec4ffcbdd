"""Process Street as a migration source: a workflow becomes a Template, its published revision's
task templates Stages, its form fields FieldDefs; each workflow run an Item with its tasks'
states, values, assignees and checklists; comments and approvals Comments; task attachments
and the files of File fields Attachments.

Calls are few by design. Per workflow: the workflow, its task templates, its form fields (and
the options of its choice fields), one paged listing of its runs (`/workflow-runs/list`, 20 a
page, every status at once; never the search, which stops at 200), one of its comments and one
of its attachments (both by `workflowId`, not per run), and the tasks each member of the
organization is assigned (`/tasks?assigneeEmail=`, per person, not per task). Per run: its
tasks, its form-field values, its assignees, and its approvals only when an approval task of
it was acted on (Process Street lists no pending ones). The organization's users once per
source. A run whose tasks are not those of the published revision has the workflow's
revisions read (once per workflow) to say which one it ran on.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from adapters.processstreet import mapping, wire
from adapters.processstreet.client import ProcessStreetClient
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
from wizard.http import ObjectUnavailable, RecordRejected, gather_limited
from wizard.model import Attachment, Canonical, Capability, Checklist, FieldDef, FieldValue, Template

W = TypeVar("W", bound=BaseModel)

ARCHIVED = "the run is archived in Process Street, and the plan leaves archived records out"
CHOICES = ("Select", "MultiChoice", "MultiSelect")
CONCURRENT_RUNS = 8  # runs of a page read at once (each is a few calls)
LINK_REFRESHES = 2  # a file link that expired before its bytes came: read again this often
SYNC_MARGIN_S = 5.0  # a sync cursor is set this much before the reading began


@dataclass
class Shape:
    """What one workflow is made of, read once: its template, its field definitions and
    their options, and its published task templates."""

    template: Template
    tasks: list[wire.TaskTemplate]
    fields: dict[str, wire.FormField]
    options: dict[str, list[wire.Option]]
    defs: dict[str, FieldDef]
    rejected: list[SourceRejected] = field(default_factory=list)


@dataclass
class RunRead:
    """One run's own records, read together."""

    run: wire.Run
    tasks: list[wire.RunTask]
    values: list[wire.FieldValue]
    assignees: list[str]
    approvals: list[wire.Approval]


class ProcessStreetSource(SourceAdapter):
    system = "processstreet"
    label = "Process Street"
    credential_parts = ("key",)
    fills: ClassVar[frozenset[Capability]] = frozenset(
        {
            "stage_fields",
            "created_at",
            "completed_at",
            "due",
            "item_assignees",
            "stage_assignees",
            "fields",
            "field_values",
            "checklists",
            "comments",
            "attachments",
            "archived",
            "stage_kinds",
        }
    )

    # sync's cursor is a time (ISO-8601, the vendor's clock): it never moves back
    cursor_ordered = True
    client: ProcessStreetClient

    def __init__(self, client: ProcessStreetClient) -> None:
        self.client = client
        self._began: dict[str, str] = {}  # workflow id -> when its extraction began (the vendor's clock)
        self._users: list[wire.User] | None = None
        self._revisions: dict[str, list[tuple[wire.Revision, list[wire.TaskTemplate]]]] = {}
        self.unknown_field_types: dict[str, str] = {}  # field key -> the Process Street type read as text

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
    ) -> ProcessStreetSource:
        if not credentials.get("key"):
            raise CredentialError(
                f"The Process Street credential of profile '{profile}' has no API key; log in again with one."
            )
        client = ProcessStreetClient(
            base_url,
            credentials["key"],
            profile=profile,
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            window_scale=float(kw.pop("window_scale", 1.0) or 1.0),
            **kw,
        )
        return cls(client)

    # -- who and what --------------------------------------------------------------------
    async def whoami(self) -> Identity:
        body = await self.client.get("testAuth")
        label = body.get("apiKeyLabel") if isinstance(body, dict) else None
        if not isinstance(label, str):
            raise VendorDataError("Process Street answered /testAuth without the key's label.")
        people = await self.users()
        return Identity(user=f"API key '{label}'", workspace=f"the key's organization, {len(people)} users")

    async def users(self) -> list[wire.User]:
        if self._users is None:
            self._users = await self._read_all("users", "users", wire.User, "user")
        return self._users

    async def containers(self) -> list[Container]:
        out = []
        for w in await self._read_all("workflows", "workflows", wire.Workflow, "workflow"):
            out.append(Container(key=mapping.key("workflow", w.id), id=w.id, name=w.name, url=w.link("app")))
        return out

    async def _read_all(self, path: str, key: str, model: type[W], kind: str, **params: Any) -> list[W]:
        """Every record of a listing, validated; a malformed one is passed over."""
        out: list[W] = []
        async for page in self.client.pages(path, key, **params):
            for raw in page:
                got = mapping.parse(model, raw, kind)
                if not isinstance(got, SourceRejected):
                    out.append(got)
        return out

    # -- the workflow's shape ---------------------------------------------------------------
    async def shape(self, workflow_id: str) -> Shape:
        body = await self.client.get(f"workflows/{workflow_id}")
        wf = mapping.parse(wire.Workflow, body.get("data") if isinstance(body, dict) else None, "workflow")
        if isinstance(wf, SourceRejected):
            raise VendorDataError(wf.reason)
        tasks = await self._read_all(f"workflows/{workflow_id}/tasks", "tasks", wire.TaskTemplate, "task_template")
        tasks.sort(key=lambda t: t.orderTree)
        fields: dict[str, wire.FormField] = {}
        rejected: list[SourceRejected] = []
        async for page in self.client.pages(f"workflows/{workflow_id}/form-fields", "fields"):
            for raw in page:
                f = mapping.parse(wire.FormField, raw, "field")
                if isinstance(f, SourceRejected):
                    rejected.append(f)
                else:
                    fields[f.id] = f
        options: dict[str, list[wire.Option]] = {}
        for f in fields.values():
            if f.fieldType in CHOICES:
                options[f.id] = await self._read_all(
                    f"workflows/{workflow_id}/form-fields/{f.id}/options", "options", wire.Option, "option"
                )
        defs: dict[str, FieldDef] = {}
        for f in fields.values():
            d = mapping.field_to_def(f, options.get(f.id, []))
            if d is not None:
                defs[f.id] = d
                if d.source_type:
                    self.unknown_field_types[d.key] = f.fieldType
        people = [mapping.user_to_person(u) for u in await self.users()]
        template = mapping.workflow_to_template(wf, tasks, list(defs.values()), people)
        return Shape(template, tasks, fields, options, defs, rejected)

    async def _revisions_of(self, workflow_id: str) -> list[tuple[wire.Revision, list[wire.TaskTemplate]]]:
        """The workflow's published revisions (the current one and the ones it replaced), each
        with its task templates in order: read once per workflow, only when a run needs them."""
        if workflow_id not in self._revisions:
            out = []
            for rev in await self._read_all(f"workflows/{workflow_id}/revisions", "data", wire.Revision, "revision"):
                if rev.status == "Draft":
                    continue
                tasks = await self._read_all(
                    f"workflows/{workflow_id}/revisions/{rev.id}/tasks", "data", wire.TaskTemplate, "task_template"
                )
                out.append((rev, sorted(tasks, key=lambda t: t.orderTree)))
            self._revisions[workflow_id] = out
        return self._revisions[workflow_id]

    async def _stages_of(self, shape: Shape, workflow_id: str, tasks: list[wire.RunTask]) -> tuple[dict[str, str], str]:
        """Which published task template each of the run's tasks is, and what the description
        says when the run ran on another revision."""
        exact = mapping.match_tasks(tasks, shape.tasks)
        if exact is not None:
            return exact, ""
        by_name = mapping.match_by_name(tasks, shape.tasks)
        names = [t.name for t in tasks]
        ran_on = next(
            (rev for rev, tpl in await self._revisions_of(workflow_id) if [t.name for t in tpl] == names), None
        )
        gone = [t.name or "Untitled task" for t in tasks if t.id not in by_name]
        said = (
            f"This run was launched on revision {ran_on.version} of its workflow, not the published one; "
            if ran_on is not None
            else "This run's tasks match no revision of its workflow that Process Street lists; "
        )
        said += "its tasks are placed on the published revision's steps by name"
        said += f" (not there: {', '.join(gone)})." if gone else "."
        return by_name, said

    # -- extraction ----------------------------------------------------------------------
    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        shape = await self.shape(container_id)
        self._began[container_id] = self._vendor_now()
        yield shape.template
        yield SourceLoss(shape.template.key, "template", "task states", mapping.TASK_STATES_LOSS)
        for r in shape.rejected:
            yield r
        assigned: dict[str, list[str]] | None = None  # read with the first run: an empty workflow needs none
        listed = False
        has_approvals = any(t.taskType == "Approval" for t in shape.tasks)
        rejected: dict[str, str] = {}  # run id -> why what hangs on it does not come either
        left_out: set[str] = set()
        async for page in self.client.pages("workflow-runs/list", "data", workflowId=container_id):
            todo: list[wire.Run] = []
            listed = listed or bool(page)
            for i, raw in enumerate(page):
                run = mapping.parse(wire.Run, raw, "run", i)
                if isinstance(run, SourceRejected):
                    rid = run.key.rsplit(":", 1)[1]
                    rejected[rid] = f"its run {rid} was quarantined as malformed"
                    yield run
                    for orphan in await self._orphans(rid, rejected[rid]):
                        yield orphan
                elif run.status == "Archived" and not include_archived:
                    left_out.add(run.id)
                    yield SourceLeftOut(mapping.key("run", run.id), "item", ARCHIVED)
                elif run.status != "Deleted":
                    todo.append(run)
            if todo and assigned is None:
                assigned = await self._task_assignees(container_id)
            reads: list[RunRead | SourceRejected] = await gather_limited(
                CONCURRENT_RUNS, [partial(self._read_run, r, has_approvals) for r in todo]
            )
            for got in reads:
                if isinstance(got, SourceRejected):
                    rid = got.key.rsplit(":", 1)[1]
                    rejected[rid] = f"its run {rid} was quarantined: {got.reason}"
                    yield got
                    for orphan in await self._orphans(rid, rejected[rid]):
                        yield orphan
                    continue
                for obj in await self._run_objects(shape, container_id, got, assigned or {}):
                    yield obj
        if not listed:  # comments and files hang on runs: a workflow without one has none
            return
        async for child in self._children(container_id, "comments", rejected, left_out):
            yield child
        async for child in self._children(container_id, "attachments", rejected, left_out):
            yield child

    async def _task_assignees(self, workflow_id: str) -> dict[str, list[str]]:
        """Run task id -> its assignees' person keys: the tasks each person is assigned in this
        workflow, one listing per person (instead of one call per task)."""
        out: dict[str, list[str]] = defaultdict(list)
        for u in await self.users():
            if not u.email:
                continue
            async for page in self.client.pages("tasks", "tasks", assigneeEmail=u.email, workflowId=workflow_id):
                for raw in page:
                    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                        out[raw["id"]].append(mapping.key("user", u.id))
        return out

    async def _read_run(self, run: wire.Run, has_approvals: bool) -> RunRead | SourceRejected:
        rid = run.id
        tasks: list[wire.RunTask] = []
        for raw in await self.client.all(f"workflow-runs/{rid}/tasks", "tasks"):
            t = mapping.parse(wire.RunTask, raw, "task")
            if isinstance(t, SourceRejected):
                return SourceRejected(mapping.key("run", rid), "item", f"one of its tasks: {t.reason}")
            tasks.append(t)
        values: list[wire.FieldValue] = []
        for raw in await self.client.all(f"workflow-runs/{rid}/form-fields", "fields"):
            v = mapping.parse(wire.FieldValue, raw, "field_value")
            if isinstance(v, SourceRejected):
                return SourceRejected(mapping.key("run", rid), "item", f"one of its form-field values: {v.reason}")
            values.append(v)
        assignees = [
            mapping.key("user", u["id"])
            for u in await self.client.all(f"workflow-runs/{rid}/assignees", "assignees")
            if isinstance(u, dict) and isinstance(u.get("id"), str)
        ]
        approvals: list[wire.Approval] = []
        if has_approvals and any(t.taskType == "Approval" and t.status == "Completed" for t in tasks):
            for raw in await self.client.all(f"workflow-runs/{rid}/approvals", "approvals"):
                a = mapping.parse(wire.Approval, raw, "approval")
                if not isinstance(a, SourceRejected):
                    approvals.append(a)
        return RunRead(run, tasks, values, assignees, approvals)

    async def _orphans(self, rid: str, why: str) -> list[SourceRejected]:
        """What hangs on a quarantined run besides its comments and task files (listed per
        workflow): its approvals and the files of its File fields, each reported with why."""
        out: list[SourceRejected] = []
        try:
            approvals = await self.client.all(f"workflow-runs/{rid}/approvals", "approvals")
            values = await self.client.all(f"workflow-runs/{rid}/form-fields", "fields")
        except RecordRejected:  # nor can its own routes be read: the run's quarantine says it all
            return out
        for raw in approvals:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                out.append(SourceRejected(mapping.key("approval", raw["id"]), "comment", f"This approval: {why}."))
        for raw in values:
            v = mapping.parse(wire.FieldValue, raw, "field_value")
            if not isinstance(v, SourceRejected) and v.fieldType in mapping.FILES:
                for x, _ in mapping.field_files(v):
                    out.append(SourceRejected(mapping.key("file", x["id"]), "attachment", f"This file: {why}."))
        return out

    async def _run_objects(
        self, shape: Shape, workflow_id: str, got: RunRead, assigned: dict[str, list[str]]
    ) -> list[Canonical | SourceLoss]:
        stage_of, note = await self._stages_of(shape, workflow_id, got.tasks)
        values: list[FieldValue] = []
        checklists: list[Checklist] = []
        files: list[Attachment] = []
        for v in got.values:
            f = shape.fields.get(v.id)
            if v.fieldType == mapping.CHECKLIST:
                checklists.append(mapping.checklist_of(v, f, shape.options.get(v.id, [])))
            elif v.fieldType in mapping.FILES:
                files += [
                    mapping.field_file_to_attachment(x, url, got.run.id, v.updatedDate)
                    for x, url in mapping.field_files(v)
                ]
            elif v.id in shape.defs and (fv := mapping.value_of(v)) is not None:
                values.append(fv)
        item = mapping.run_to_item(
            got.run,
            got.tasks,
            stage_of,
            values=values,
            checklists=checklists,
            assignees=got.assignees,
            task_assignees={t.id: assigned.get(t.id, []) for t in got.tasks},
            note=note,
        )
        names = {t.id: t.name for t in got.tasks}
        fallback = got.run.audit.updatedDate if got.run.audit and got.run.audit.updatedDate else datetime.now(UTC)
        approvals = [mapping.approval_to_comment(a, names, fallback) for a in got.approvals]
        said = [SourceLoss(item.key, "item", "revision", note)] if note else []
        return [item, *said, *approvals, *files]

    async def _children(
        self, workflow_id: str, what: str, rejected: dict[str, str], left_out: set[str]
    ) -> AsyncIterator[Canonical | SourceRejected | SourceLeftOut]:
        """The workflow's comments or task attachments, in one listing (newest first), each on
        its run; what hangs on a quarantined or left-out run says so."""
        kind = "comment" if what == "comments" else "attachment"
        model: type[wire.Comment] | type[wire.Attachment] = wire.Comment if kind == "comment" else wire.Attachment
        async for page in self.client.pages(what, "data", workflowId=workflow_id):
            for raw in page:
                rec = mapping.parse(model, raw, kind)
                if isinstance(rec, SourceRejected):
                    yield rec
                    continue
                ref = mapping.key(kind, rec.id)
                if rec.workflowRunId in rejected:
                    yield SourceRejected(
                        ref,
                        kind,
                        f"This {kind} hangs on a run Process Street sent malformed ({rejected[rec.workflowRunId]}).",
                    )
                elif rec.workflowRunId in left_out:
                    yield SourceLeftOut(ref, kind, ARCHIVED)
                elif isinstance(rec, wire.Comment):
                    yield mapping.comment_to_comment(rec)
                else:
                    yield mapping.attachment_to_attachment(rec)

    # -- what Process Street states of itself -----------------------------------------------
    async def stated_counts(self, container_id: str) -> list[StatedItem]:
        """Every run of the workflow with Process Street's own counts, read apart from
        `extract`: its comments and task files (one listing each for the workflow); its tasks
        and how many are completed, from its task list; and from its form-field values the
        values, the files of its File fields and the options of its subtask lists (two calls
        per run)."""
        shape = await self.shape(container_id)
        comments: Counter[str] = Counter()
        files: Counter[str] = Counter()
        async for page in self.client.pages("comments", "data", workflowId=container_id):
            comments.update(str(c.get("workflowRunId")) for c in page if isinstance(c, dict))
        async for page in self.client.pages("attachments", "data", workflowId=container_id):
            files.update(str(a.get("workflowRunId")) for a in page if isinstance(a, dict))
        runs: list[dict[str, Any]] = []
        async for page in self.client.pages("workflow-runs/list", "data", workflowId=container_id):
            runs += [r for r in page if isinstance(r, dict) and isinstance(r.get("id"), str)]

        async def one(r: dict[str, Any]) -> StatedItem:
            rid = r["id"]
            counts = {"comment": comments[rid], "file": files[rid], "field_value": 0, "checklist_item": 0}
            tasks = [t for t in await self.client.all(f"workflow-runs/{rid}/tasks", "tasks") if isinstance(t, dict)]
            counts["task"] = len(tasks)
            counts["task_completed"] = sum(1 for t in tasks if t.get("status") == "Completed")
            for raw in await self.client.all(f"workflow-runs/{rid}/form-fields", "fields"):
                v = mapping.parse(wire.FieldValue, raw, "field_value")
                if isinstance(v, SourceRejected):
                    continue
                if v.fieldType == mapping.CHECKLIST:
                    counts["checklist_item"] += len(shape.options.get(v.id, []))
                elif v.fieldType in mapping.FILES:
                    counts["file"] += len(mapping.field_files(v))
                elif v.id in shape.defs and mapping.value_of(v) is not None:
                    counts["field_value"] += 1
            given = r.get("name")
            name = given if isinstance(given, str) else ""
            archived = "archived in Process Street" if r.get("status") == "Archived" else None
            return StatedItem(mapping.key("run", rid), name, counts, archived)

        stated: list[StatedItem] = await gather_limited(CONCURRENT_RUNS, [partial(one, r) for r in runs])
        return stated

    # -- sync ------------------------------------------------------------------------------
    def _vendor_now(self, at: float | None = None) -> str:
        """Now (or `at`, our clock) on Process Street's clock (its Date header, read on every
        answer), a few seconds early: an edit made while the workflow is read is looked at again
        next time."""
        vendor = (time.time() if at is None else at) + self.client.clock_skew - SYNC_MARGIN_S
        return datetime.fromtimestamp(vendor, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        """Runs updated since `cursor` (their `audit.updatedDate`, which the run list gives:
        Process Street has no change feed, and its webhooks carry no signature, so none is
        trusted) and comments written since; the content hashes confirm each. The cursor is
        when this workflow's last reading began. Deleted runs are found by the full re-read."""
        began = self._began.get(container_id)
        if cursor is None:
            if began is None:
                await self.client.get("testAuth")  # one answer's Date header: the vendor's clock
            return ChangeSet(cursor=began or self._vendor_now())
        since = _parse_time(cursor)
        started = time.time()
        changes = ChangeSet()
        async for page in self.client.pages("workflow-runs/list", "data", workflowId=container_id):
            for raw in page:
                run = mapping.parse(wire.Run, raw, "run")
                if isinstance(run, SourceRejected):
                    changes.changed_item_ids.add(run.key)  # read again: the re-read quarantines it
                elif run.audit and run.audit.updatedDate and run.audit.updatedDate > since:
                    changes.changed_item_ids.add(mapping.key("run", run.id))
        async for page in self.client.pages("comments", "data", workflowId=container_id):
            fresh = [c for c in page if isinstance(c, dict) and _parse_time(str(c.get("createdDate"))) > since]
            for c in fresh:
                changes.new_comment_ids.add(mapping.key("comment", str(c.get("id"))))
                changes.changed_item_ids.add(mapping.key("run", str(c.get("workflowRunId"))))
            if len(fresh) < len(page):  # newest first: the rest are older
                break
        # when this reading began, on the vendor's clock (known by now from its answers)
        changes.cursor = began or self._vendor_now(started)
        return changes

    # -- files -----------------------------------------------------------------------------
    async def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        """The file's bytes from the `file` link its record gave. Such a link is signed for a
        while: when the file host refuses it (403), the record is read again for a fresh one
        and the download goes on from where it stopped (every byte arrives once)."""
        url = attachment.url
        delivered = 0
        for refresh in range(LINK_REFRESHES + 1):
            if url is None or refresh:
                url = await self._fresh_link(attachment)
            if url is None:
                raise ObjectUnavailable("Process Street gives no link to this file's bytes")
            skip = delivered
            try:
                async for chunk in self.client.download_file(url, size=attachment.size, mime_type=attachment.mime_type):
                    if skip:  # the part delivered before the link was refreshed
                        cut = min(skip, len(chunk))
                        chunk, skip = chunk[cut:], skip - cut  # noqa: PLW2901 - the part not yet delivered
                        if not chunk:
                            continue
                    delivered += len(chunk)
                    yield chunk
                return
            except PermissionDenied:
                if refresh == LINK_REFRESHES:
                    raise

    async def _fresh_link(self, attachment: Attachment) -> str | None:
        """The file's `file` link as its record gives it now: a task attachment's from the run's
        attachment list, a File field's from the run's form-field values."""
        run = attachment.item_key.rsplit(":", 1)[1]
        if attachment.key.startswith(mapping.key("attachment", "")):
            for raw in await self.client.all("attachments", "data", workflowRunId=run):
                att = mapping.parse(wire.Attachment, raw, "attachment")
                if not isinstance(att, SourceRejected) and att.id == attachment.source_id:
                    return att.link("file")
            return None
        for raw in await self.client.all(f"workflow-runs/{run}/form-fields", "fields"):
            v = mapping.parse(wire.FieldValue, raw, "field_value")
            if not isinstance(v, SourceRejected) and v.fieldType in mapping.FILES:
                for x, url in mapping.field_files(v):
                    if x["id"] == attachment.source_id:
                        return url
        return None


def _parse_time(text: str) -> datetime:
    """An ISO-8601 time as Process Street writes it; what cannot be read is taken as long ago."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)
