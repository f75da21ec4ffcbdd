"""Asana as a migration source: a project (or project template) becomes a Template, its
sections Stages, its tasks Items and their subtasks sub-items (Items with a `parent_key`,
each after its parent), comment stories Comments and attachments Attachments.

Calls are few by design: the project with its custom-field settings in one call (opt_fields),
its sections in one, the workspace's people and tags once per source; tasks 100 a page with
everything the mapping reads (memberships, assignee, dates, tags, custom-field values,
num_subtasks); then, through `POST /batch` (10 GETs a call), the subtasks of the tasks that
have any (num_subtasks says which), every task's stories, and every task's attachments. A
task's subtasks, stories and attachments come in that order, pass by pass, so no more than
a page of tasks and the gids of the project's tasks are held at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from adapters.asana import mapping
from adapters.asana.client import BATCH_MAX, PAGE, AsanaClient
from adapters.asana.wire import (
    AsanaCustomField,
    AsanaEvent,
    AsanaFieldSetting,
    AsanaMe,
    AsanaProject,
    AsanaProjectTemplate,
    AsanaSection,
    AsanaTag,
    AsanaUser,
)
from wizard.adapter import (
    ChangeSet,
    Container,
    Extracted,
    Identity,
    SourceAdapter,
    SourceLeftOut,
    SourceRejected,
    StatedItem,
)
from wizard.errors import CredentialError, PlanError, VendorDataError
from wizard.events import EventSink
from wizard.http import RecordRejected
from wizard.model import Attachment, Capability, FieldDef, Item, Person, Stage, Tag

W = TypeVar("W", bound=BaseModel)  # a wire model
C = TypeVar("C")  # what the mapping makes of it

PROJECT_FIELDS = (
    "name,notes,archived,permalink_url,workspace,"
    "custom_field_settings.custom_field.(name|type|resource_subtype|precision),"
    "custom_field_settings.custom_field.enum_options.(name|enabled|color)"
)
TASK_FIELDS = (
    "name,notes,resource_subtype,approval_status,completed,completed_at,created_at,modified_at,due_on,due_at,start_on,"
    "assignee.(name|email),followers.name,tags.(name|color),memberships.(project.name|section.name),parent,"
    "num_subtasks,permalink_url,"
    "custom_fields.(name|type|resource_subtype|display_value|text_value|number_value|date_value),"
    "custom_fields.enum_value.name,custom_fields.multi_enum_values.name,custom_fields.people_value.(name|email),"
    "custom_fields.reference_value.name"
)
TEMPLATE_FIELDS = "name,description,requested_dates.(name|description),requested_roles.name"
SUBTASK_FIELDS = TASK_FIELDS  # a subtask is a task: everything the mapping reads
STORY_FIELDS = "type,resource_subtype,text,created_at,created_by.name"
ATTACHMENT_FIELDS = "name,resource_subtype,host,size,created_at,view_url,permanent_url,download_url"
ARCHIVED = "it is in an archived project, and the plan leaves archived records out"


class AsanaSource(SourceAdapter):
    system = "asana"
    label = "Asana"
    credential_parts = ("token",)
    fills: ClassVar[frozenset[Capability]] = frozenset(
        {
            "created_at",
            "completed_at",
            "due",
            "item_assignees",
            "tags",
            "tag_colours",
            "fields",
            "field_values",
            "subitems",
            "comments",
            "attachments",
            "archived",
            "approvals",
        }
    )

    client: AsanaClient

    def __init__(
        self, client: AsanaClient, *, tier: str | None = None, activity_log: bool = False, workspace: str | None = None
    ) -> None:
        self.client = client
        self._tier_chosen = tier
        self.workspace = workspace  # the one workspace the plan picks (None: every one the token opens)
        self.activity_log = activity_log  # system stories come too, as comments
        self._me: AsanaMe | None = None
        self._people: dict[str, list[Person]] = {}
        self._tags: dict[str, list[Tag]] = {}
        self._templates: set[str] = set()
        self._projects: set[str] = set()
        self.unknown_field_types: dict[str, str] = {}  # field key -> the Asana type read as text

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
    ) -> AsanaSource:
        if not credentials.get("token"):
            raise CredentialError(
                f"The Asana credential of profile '{profile}' has no token; log in again with a personal access token."
            )
        tier = kw.pop("tier", None)
        activity_log = bool(kw.pop("activity_log", False))
        workspace = kw.pop("workspace", None) or None
        client = AsanaClient(
            base_url,
            credentials["token"],
            tier=tier or "free",  # the safe limit until the plan is known
            profile=profile,
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            window_scale=float(kw.pop("window_scale", 1.0) or 1.0),
            **kw,
        )
        return cls(client, tier=tier, activity_log=activity_log, workspace=workspace)

    # -- who and what --------------------------------------------------------------------
    async def me(self) -> AsanaMe:
        if self._me is None:
            raw = await self.client.data("users/me", opt_fields="name,email,workspaces.name")
            me = mapping.parse(AsanaMe, raw, "user")
            if isinstance(me, SourceRejected):
                raise VendorDataError("Asana answered 'who am I' with a user record that cannot be read.")
            self._me = self._picked(me)
            await self._detect_tier()
        return self._me

    def _picked(self, me: AsanaMe) -> AsanaMe:
        """Who the token belongs to, with only the workspace the plan picks (all, when it picks none)."""
        if self.workspace is None:
            return me
        picked = [w for w in me.workspaces if w.gid == self.workspace]
        if not picked:
            opened = ", ".join(f"{w.name} ({w.gid})" for w in me.workspaces) or "none"
            raise PlanError(
                f"[source.options] workspace = '{self.workspace}' is not a workspace this token opens; "
                f"the ones it opens are: {opened}."
            )
        return me.model_copy(update={"workspaces": picked})

    async def _detect_tier(self) -> None:
        """Paid workspaces answer the premium-only search; free ones answer 402. The plan,
        when the consultant chose it, wins."""
        if self._tier_chosen is not None or self._me is None or not self._me.workspaces:
            self.client.set_tier(self._tier_chosen or self.client.tier)
            return
        try:
            await self.client.data(f"workspaces/{self._me.workspaces[0].gid}/tasks/search", opt_fields="name")
            self.client.set_tier("paid")
        except RecordRejected as e:
            if e.status != 402:
                raise
            self.client.set_tier("free")

    async def whoami(self) -> Identity:
        me = await self.me()
        workspaces = ", ".join(w.name for w in me.workspaces) or "no workspace"
        plan = "paid plan, 1,500 calls a minute" if self.client.tier == "paid" else "free plan, 150 calls a minute"
        return Identity(user=me.name, workspace=workspaces, detail=f"{me.email or ''} ({plan})".strip())

    async def containers(self) -> list[Container]:
        """Every project of the token's workspaces, archived ones marked closed, and every
        project template, named as such."""
        me = await self.me()
        out: list[Container] = []
        for ws in me.workspaces:
            async for page in self.client.pages("projects", workspace=ws.gid, opt_fields="name,archived,permalink_url"):
                for raw in page:
                    p = mapping.parse(AsanaProject, raw, "project")
                    if isinstance(p, SourceRejected):
                        continue
                    self._projects.add(p.gid)
                    out.append(
                        Container(
                            key=mapping.key("project", p.gid),
                            id=p.gid,
                            name=p.name,
                            closed=p.archived,
                            url=p.permalink_url,
                        )
                    )
            async for page in self.client.pages("project_templates", workspace=ws.gid, opt_fields="name"):
                for raw in page:
                    t = mapping.parse(AsanaProjectTemplate, raw, "project_template")
                    if isinstance(t, SourceRejected):
                        continue
                    self._templates.add(t.gid)
                    out.append(
                        Container(key=mapping.key("project_template", t.gid), id=t.gid, name=f"{t.name} (template)")
                    )
        return out

    # -- people and tags, once per workspace ------------------------------------------------
    async def _workspace_people(self, ws: str) -> list[Person]:
        if ws not in self._people:
            self._people[ws] = await self._workspace_list(ws, "users", "name,email", AsanaUser, mapping.user_to_person)
        return self._people[ws]

    async def _workspace_tags(self, ws: str) -> list[Tag]:
        if ws not in self._tags:
            self._tags[ws] = await self._workspace_list(ws, "tags", "name,color", AsanaTag, mapping.tag_to_tag)
        return self._tags[ws]

    async def _workspace_list(
        self, ws: str, route: str, fields: str, model: type[W], convert: Callable[[W], C]
    ) -> list[C]:
        """A workspace's users or tags, each read with its wire model; a malformed one is passed over."""
        out: list[C] = []
        async for page in self.client.pages(route, workspace=ws, opt_fields=fields):
            for raw in page:
                record = mapping.parse(model, raw, route.rstrip("s"))
                if not isinstance(record, SourceRejected):
                    out.append(convert(record))
        return out

    async def is_template(self, gid: str) -> bool:
        """Whether a container id names a project template (known from `containers`, else
        asked: a project answers, a template's gid is no project's)."""
        if gid in self._templates or gid in self._projects:
            return gid in self._templates
        try:
            await self.client.data(f"projects/{gid}", opt_fields="name")
        except RecordRejected as e:
            if e.status != 404:
                raise
            self._templates.add(gid)
            return True
        self._projects.add(gid)
        return False

    # -- extraction ----------------------------------------------------------------------
    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        me = await self.me()
        ws = me.workspaces[0].gid if me.workspaces else ""
        if await self.is_template(container_id):
            raw = await self.client.data(f"project_templates/{container_id}", opt_fields=TEMPLATE_FIELDS)
            tpl = mapping.parse(AsanaProjectTemplate, raw, "project_template")
            if isinstance(tpl, SourceRejected):
                raise VendorDataError(tpl.reason)
            yield mapping.project_template_to_template(tpl, await self._workspace_people(ws))
            yield mapping.template_tasks_loss(tpl)
            return
        project, fields, rejected = await self._project(container_id)
        ws = _workspace_of(project) or ws
        archived = project.archived
        if archived and not include_archived:  # nothing of it is written, not even its template
            async for page in self.client.pages(f"projects/{container_id}/tasks", opt_fields="name"):
                for raw in page:
                    yield SourceLeftOut(mapping.key("task", mapping.raw_id(raw)), "item", ARCHIVED)
            return
        stages = await self._stages(container_id, archived)
        yield mapping.project_to_template(
            project, stages, fields, await self._workspace_tags(ws), await self._workspace_people(ws)
        )
        for r in rejected:
            yield r

        tasks: list[str] = []  # every task and subtask, for the stories and attachments passes
        orphans: dict[str, str] = {}  # gid -> the quarantined task it hangs on (itself included)
        position = 0
        async for page in self.client.pages(f"projects/{container_id}/tasks", opt_fields=TASK_FIELDS):
            subtasks = await self._subtasks([r for r in page if _has_subtasks(r)])
            for raw in page:
                gid = mapping.raw_id(raw, position)
                item = mapping.map_task(raw, container_id, position, archived=archived)
                position += 1
                yield item
                if isinstance(item, Item) and (lost := mapping.decision_loss(raw)) is not None:
                    yield lost
                tasks.append(gid)
                if isinstance(item, SourceRejected):
                    orphans[gid] = gid
                stage = item.stage_key.rsplit(":", 1)[1] if isinstance(item, Item) and item.stage_key else None
                for sub, parent in subtasks.get(gid, []):
                    sub_gid = mapping.raw_id(sub, position)
                    tasks.append(sub_gid)
                    if parent in orphans:  # what hangs on a quarantined task is reported, not lost
                        orphans[sub_gid] = orphans[parent]
                        yield _orphan(mapping.key("task", sub_gid), "task", orphans[parent])
                        continue
                    sub_item = mapping.map_task(
                        sub, container_id, position, parent_gid=parent, stage_gid=stage, archived=archived
                    )
                    position += 1
                    yield sub_item
                    if isinstance(sub_item, Item) and (lost := mapping.decision_loss(sub)) is not None:
                        yield lost
                    if isinstance(sub_item, SourceRejected):
                        orphans[sub_gid] = sub_gid

        async for gid, status, body in self._per_task(tasks, "stories"):
            if status >= 400:
                yield SourceRejected(mapping.key("task", gid), "comment", _refused(status, body, "stories"))
                continue
            for raw in body:
                comment = mapping.map_story(raw, gid, activity_log=self.activity_log)
                if comment is not None and gid in orphans:
                    yield _orphan(comment.key, "comment", orphans[gid])
                elif comment is not None:
                    yield comment
        async for gid, status, body in self._per_task(tasks, "attachments"):
            if status >= 400:
                yield SourceRejected(mapping.key("task", gid), "attachment", _refused(status, body, "attachments"))
                continue
            for raw in body:
                att = mapping.map_attachment(raw, gid)
                yield _orphan(att.key, "attachment", orphans[gid]) if gid in orphans else att

    async def _project(self, gid: str) -> tuple[AsanaProject, list[FieldDef], list[SourceRejected]]:
        raw = await self.client.data(f"projects/{gid}", opt_fields=PROJECT_FIELDS)
        project = mapping.parse(AsanaProject, raw, "project")
        if isinstance(project, SourceRejected):
            raise VendorDataError(project.reason)
        fields: list[FieldDef] = []
        rejected: list[SourceRejected] = []
        for s in project.custom_field_settings:
            setting = mapping.parse(AsanaFieldSetting, s, "field")
            if isinstance(setting, SourceRejected):
                rejected.append(setting)
                continue
            f: AsanaCustomField = setting.custom_field
            fields.append(mapping.field_to_def(f))
            if mapping.unknown_type(f):
                self.unknown_field_types[mapping.key("field", f.gid)] = f.type or "unknown"
        return project, fields, rejected

    async def _stages(self, gid: str, archived: bool) -> list[Stage]:
        stages: list[Stage] = []
        async for page in self.client.pages(f"projects/{gid}/sections", opt_fields="name"):
            for raw in page:
                s = mapping.parse(AsanaSection, raw, "section")
                if isinstance(s, SourceRejected):
                    raise VendorDataError(s.reason)
                stages.append(mapping.section_to_stage(s, len(stages), archived))
        return stages

    async def _subtasks(self, parents: list[Any]) -> dict[str, list[tuple[Any, str]]]:
        """Each parent's subtasks all the way down, depth-first, each with its own parent's
        gid: asked 10 parents a batch; a subtask with its own (num_subtasks) is asked in the
        next round."""
        found: dict[str, list[Any]] = {}  # parent gid -> its direct subtasks (raw)
        level = [r["gid"] for r in parents]
        while level:
            nxt: list[str] = []
            async for parent, status, raws in self._listed(level, lambda g: f"/tasks/{g}/subtasks", {}, SUBTASK_FIELDS):
                for raw in raws if status < 400 else []:  # a task gone since its listing has none
                    found.setdefault(parent, []).append(raw)
                    if _has_subtasks(raw):
                        nxt.append(raw["gid"])
            level = nxt

        def walk(parent: str) -> list[tuple[Any, str]]:
            rows: list[tuple[Any, str]] = []
            for raw in found.get(parent, []):
                rows.append((raw, parent))
                if isinstance(raw, dict) and isinstance(raw.get("gid"), str):
                    rows += walk(raw["gid"])
            return rows

        return {r["gid"]: walk(r["gid"]) for r in parents}

    async def _listed(self, keys: list[Any], path: Any, data: Any, fields: str) -> AsyncIterator[tuple[Any, int, Any]]:
        """For each key, (key, status, the whole list at `path(key)` or the refusal's body):
        first pages through /batch, 10 keys a call, and any further page asked for directly."""
        for start in range(0, len(keys), BATCH_MAX):
            chunk = keys[start : start + BATCH_MAX]
            actions = [
                {
                    "method": "get",
                    "relative_path": path(k),
                    "data": data(k) if callable(data) else data,
                    "options": {"limit": PAGE, "fields": fields.split(",")},
                }
                for k in chunk
            ]
            for k, (status, body) in zip(chunk, await self.client.batch(actions), strict=True):
                if status >= 400:
                    yield k, status, body
                    continue
                rows, offset = _page_of(body, path(k))
                if offset is not None:  # more than a page: the rest asked for directly
                    params = data(k) if callable(data) else data
                    async for page in self.client.pages(path(k).lstrip("/"), start=offset, opt_fields=fields, **params):
                        rows += page
                yield k, status, rows

    async def _per_task(self, gids: list[str], what: str) -> AsyncIterator[tuple[str, int, Any]]:
        """Every task's stories or attachments: (gid, status, the records or the refusal)."""
        path: Callable[[str], str]
        data: Callable[[str], dict[str, Any]]
        if what == "stories":
            path, data, fields = (lambda g: f"/tasks/{g}/stories"), (lambda g: {}), STORY_FIELDS
        else:
            path, data, fields = (lambda g: "/attachments"), (lambda g: {"parent": g}), ATTACHMENT_FIELDS
        async for gid, status, rows in self._listed(gids, path, data, fields):
            yield gid, status, rows

    # -- what Asana states of itself --------------------------------------------------------
    async def stated_counts(self, container_id: str) -> list[StatedItem]:
        """Every task and subtask of the project with Asana's own counts, read apart from
        `extract`: num_subtasks (followed all the way down), each one's comment stories,
        files and links, and custom-field values; and the project's own task count, so a
        listing that lost a task cannot agree with the target."""
        if await self.is_template(container_id):
            return []
        project = await self.client.data(f"projects/{container_id}", opt_fields="archived")
        archived = "in an archived project" if isinstance(project, dict) and project.get("archived") else None
        tops: list[dict[str, Any]] = []
        async for page in self.client.pages(
            f"projects/{container_id}/tasks", opt_fields="name,num_subtasks,custom_fields.display_value"
        ):
            tops += [t for t in page if isinstance(t, dict) and isinstance(t.get("gid"), str)]
        subs = await self._subtasks([t for t in tops if _has_subtasks(t)])
        tasks = [x for t in tops for x in [t, *(raw for raw, _ in subs.get(t["gid"], []))] if isinstance(x, dict)]
        gids = [t["gid"] for t in tasks if isinstance(t.get("gid"), str)]
        comments: Counter[str] = Counter()
        files: Counter[str] = Counter()
        links: Counter[str] = Counter()
        async for gid, status, rows in self._per_task(gids, "stories"):
            if status < 400:
                kinds = ("comment", "system") if self.activity_log else ("comment",)
                comments[gid] += sum(1 for s in rows if isinstance(s, dict) and s.get("type") in kinds)
        async for gid, status, rows in self._per_task(gids, "attachments"):
            for a in rows if status < 400 else []:
                if isinstance(a, dict):
                    (files if (a.get("host") or a.get("resource_subtype")) == "asana" else links)[gid] += 1
        out = []
        for t in tasks:
            given_gid = t.get("gid")
            if not isinstance(given_gid, str):
                continue
            gid = given_gid
            # a value is what Asana shows as one: a text of blanks only is none (nor is it migrated)
            values = [
                f
                for f in t.get("custom_fields") or []
                if isinstance(f, dict) and str(f.get("display_value") or "").strip()
            ]
            counts = {"comment": comments[gid], "file": files[gid], "link": links[gid], "field_value": len(values)}
            given = t.get("name")
            name = given if isinstance(given, str) else ""
            out.append(StatedItem(mapping.key("task", gid), name, counts, archived))
        counted = await self.client.data(f"projects/{container_id}/task_counts", opt_fields="num_tasks")
        stated = counted.get("num_tasks") if isinstance(counted, dict) else None
        if isinstance(stated, int) and stated > len(tops):  # Asana counts tasks its listing did not give
            for n in range(stated - len(tops)):
                out.append(
                    StatedItem(
                        mapping.key("task", f"unlisted-{container_id}-{n + 1}"),
                        "(a task Asana counts but did not list)",
                        {},
                        archived,
                    )
                )
        return out

    # -- attachments ---------------------------------------------------------------------
    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        return self.client.download_file(attachment.source_id, size=attachment.size, url=attachment.url)

    # -- sync ----------------------------------------------------------------------------
    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        """Tasks changed, added or deleted and comments added since `cursor`, from the Events
        API (`<sync token> <ISO time>`). With no cursor, the first call's 412 gives the
        baseline token. A token Asana calls too old falls back to the tasks modified since the
        cursor's time (`GET /tasks?project=&modified_since=`); deletions are then found by the
        full re-read and the content hashes. Project templates have no feed (None)."""
        if await self.is_template(container_id):
            return None
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if cursor is None:
            got = await self.client.events(container_id, None)
            token = got if isinstance(got, str) else got[1]
            return ChangeSet(cursor=f"{token} {now}")
        token, _, since = cursor.partition(" ")
        changes = ChangeSet()
        while True:
            got = await self.client.events(container_id, token)
            if isinstance(got, str):  # too old: what was modified since the cursor's time
                async for page in self.client.pages(
                    "tasks", project=container_id, modified_since=since or now, opt_fields="name"
                ):
                    for raw in page:
                        changes.changed_item_ids.add(mapping.key("task", mapping.raw_id(raw)))
                changes.cursor = f"{got} {now}"
                return changes
            events, token, more = got
            _apply_events(changes, events)
            if not more:
                changes.cursor = f"{token} {now}"
                return changes


def _apply_events(changes: ChangeSet, events: Iterable[Any]) -> None:
    for raw in events:
        e = mapping.parse(AsanaEvent, raw, "event")
        if isinstance(e, SourceRejected) or e.resource is None:
            continue
        parent = e.parent.gid if e.parent else None
        if e.type == "story" and e.action == "added" and parent:
            changes.new_comment_ids.add(mapping.key("comment", e.resource.gid))
            changes.changed_item_ids.add(mapping.key("task", parent))
        elif e.type == "task":  # a subtask is an item of its own (a sub-item)
            tkey = mapping.key("task", e.resource.gid)
            if e.action in ("deleted", "removed"):
                changes.deleted_item_ids.add(tkey)
                changes.changed_item_ids.discard(tkey)
            else:
                changes.changed_item_ids.add(tkey)
                changes.deleted_item_ids.discard(tkey)


def _orphan(key: str, kind: str, task_gid: str) -> SourceRejected:
    return SourceRejected(key, kind, f"This {kind} belongs to task {task_gid}, which was quarantined as malformed.")


def _has_subtasks(raw: Any) -> bool:
    return (
        isinstance(raw, dict)
        and isinstance(raw.get("gid"), str)
        and isinstance(raw.get("num_subtasks"), int)
        and raw["num_subtasks"] > 0
    )


def _workspace_of(project: AsanaProject) -> str | None:
    ws = (project.model_extra or {}).get("workspace")
    return ws.get("gid") if isinstance(ws, dict) and isinstance(ws.get("gid"), str) else None


def _page_of(body: Any, path: str) -> tuple[list[Any], str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise VendorDataError(f"Asana answered {path} with something that is not a list in its 'data'.")
    nxt = body.get("next_page")
    offset = nxt.get("offset") if isinstance(nxt, dict) else None
    return body["data"], offset if isinstance(offset, str) and offset else None


def _refused(status: int, body: Any, what: str) -> str:
    message = ""
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        message = first.get("message", "") if isinstance(first, dict) else ""
    elif isinstance(body, str):
        message = body
    return f"Asana refused to read {what} ({status}{': ' + message if message else ''})."
