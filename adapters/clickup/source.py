"""ClickUp as a migration source: a List becomes a Template, its statuses (its own, or its
Space's) Stages in status order, its tasks Items standing at their status, their subtasks
sub-items (each after its parent), checklists the items' checklists, dependencies and links
relations, comments and their threaded replies Comments, attachments Attachments.

Calls are few by design: the hierarchy (Spaces, Folders with their Lists embedded, folderless
Lists) once per source; per List its record (statuses) and its custom fields, and its Space's
tags once; tasks 100 a page with subtasks and closed ones in the same pages (everything the
mapping reads: checklists, values, tags, assignees, dependencies); then per task Get Task (its
attachments, which only it gives), its comments (25 a call) and, only for a comment that has
replies (`reply_count`), its thread. ClickUp has no batch endpoint; a page's tasks have their
children read a few at a time, and are yielded in order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

from adapters.clickup import mapping
from adapters.clickup.client import ClickUpClient
from adapters.clickup.wire import CUComment, CUField, CUFolder, CUList, CUSpace, CUTag, CUTask, CUTeam, CUUser
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
from wizard.errors import CredentialError, VendorDataError
from wizard.events import EventSink
from wizard.http import RecordRejected, gather_limited
from wizard.model import Attachment, Capability, Comment, FieldDef, Item, Person, Tag

ARCHIVED = "it is archived in ClickUp, and the plan leaves archived records out"
ARCHIVED_LIST = "it is in an archived list, and the plan leaves archived records out"
TASKS = {"subtasks": "true", "include_closed": "true", "include_markdown_description": "true"}
IN_FLIGHT = 8  # tasks whose children are read at once


class ClickUpSource(SourceAdapter):
    system = "clickup"
    label = "ClickUp"
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
            "checklists",
            "relations",
            "comments",
            "attachments",
            "archived",
        }
    )
    follow_their_item: ClassVar[frozenset[Any]] = frozenset({"comment", "attachment"})
    cursor_ordered = True  # ClickUp's own date_updated, in milliseconds

    client: ClickUpClient

    def __init__(self, client: ClickUpClient) -> None:
        self.client = client
        self._me: CUUser | None = None
        self._teams: list[CUTeam] | None = None
        self._tags: dict[str, list[Tag]] = {}
        self._lists: dict[str, bool] | None = None  # list id -> archived (itself, its Folder or its Space)
        self.unknown_field_types: dict[str, str] = {}  # field key -> the ClickUp type read as text

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
    ) -> ClickUpSource:
        if not credentials.get("token"):
            raise CredentialError(
                f"The ClickUp credential of profile '{profile}' has no token; log in again with a personal API token."
            )
        client = ClickUpClient(
            base_url,
            credentials["token"],
            profile=profile,
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            window_scale=float(kw.pop("window_scale", 1.0) or 1.0),
            **kw,
        )
        return cls(client)

    # -- who and what --------------------------------------------------------------------
    async def me(self) -> CUUser:
        if self._me is None:
            body = await self.client.record("v2/user")
            me = mapping.parse(CUUser, body.get("user"), "user")
            if isinstance(me, SourceRejected):
                raise VendorDataError("ClickUp answered 'who am I' with a user record that cannot be read.")
            self._me = me
        return self._me

    async def teams(self) -> list[CUTeam]:
        """The Workspaces the token opens (ClickUp's API v2 calls them teams), with their members."""
        if self._teams is None:
            teams = []
            for raw in await self.client.envelope("v2/team", "teams"):
                t = mapping.parse(CUTeam, raw, "team")
                if isinstance(t, SourceRejected):
                    raise VendorDataError(t.reason)
                teams.append(t)
            self._teams = teams
        return self._teams

    async def whoami(self) -> Identity:
        me = await self.me()
        teams = await self.teams()
        limit = self.client.plan_limit or 100
        return Identity(
            user=me.username or me.email or str(me.id),
            workspace=", ".join(t.name for t in teams) or "no Workspace",
            detail=f"{me.email or ''} ({limit:,} calls a minute)".strip(),
        )

    async def people(self) -> list[Person]:
        return [mapping.user_to_person(m.user) for t in await self.teams() for m in t.members]

    async def containers(self) -> list[Container]:
        """Every List of every Space the token sees, in Folders or not; archived ones (or in an
        archived Folder or Space) marked closed."""
        out: list[Container] = []
        self._lists = {}
        for team in await self.teams():
            for archived_space in (False, True):
                for raw in await self.client.envelope(
                    f"v2/team/{team.id}/space", "spaces", archived=_b(archived_space)
                ):
                    space = mapping.parse(CUSpace, raw, "space")
                    if isinstance(space, SourceRejected):
                        continue
                    for lst, where, closed in await self._space_lists(space):
                        out.append(
                            Container(
                                key=mapping.key("list", lst.id),
                                id=lst.id,
                                name=" / ".join(p for p in (space.name, where, lst.name) if p),
                                closed=closed or space.archived,
                                url=f"https://app.clickup.com/{team.id}/v/li/{lst.id}",
                            )
                        )
                        self._lists[lst.id] = closed or space.archived
        return out

    async def _space_lists(self, space: CUSpace) -> list[tuple[CUList, str, bool]]:
        """(list, its Folder's name, archived) for every List of a Space: the Folders' embedded
        ones, each Folder's archived ones, and the folderless ones, archived or not."""
        found: list[tuple[CUList, str, bool]] = []
        for archived_folder in (False, True):
            for raw in await self.client.envelope(
                f"v2/space/{space.id}/folder", "folders", archived=_b(archived_folder)
            ):
                folder = mapping.parse(CUFolder, raw, "folder")
                if isinstance(folder, SourceRejected):
                    continue
                for raw_list in folder.lists:
                    lst = mapping.parse(CUList, raw_list, "list")
                    if not isinstance(lst, SourceRejected):
                        found.append((lst, folder.name, folder.archived or lst.archived))
                for raw_list in await self.client.envelope(f"v2/folder/{folder.id}/list", "lists", archived="true"):
                    lst = mapping.parse(CUList, raw_list, "list")
                    if not isinstance(lst, SourceRejected):
                        found.append((lst, folder.name, True))
        for archived in (False, True):
            for raw_list in await self.client.envelope(f"v2/space/{space.id}/list", "lists", archived=_b(archived)):
                lst = mapping.parse(CUList, raw_list, "list")
                if not isinstance(lst, SourceRejected):
                    found.append((lst, "", archived or lst.archived))
        return found

    async def _archived(self, list_id: str) -> bool:
        if self._lists is None or list_id not in self._lists:
            await self.containers()
        return bool(self._lists and self._lists.get(list_id))

    async def _space_tags(self, space_id: str) -> list[Tag]:
        if space_id not in self._tags:
            tags = []
            for raw in await self.client.envelope(f"v2/space/{space_id}/tag", "tags"):
                t = mapping.parse(CUTag, raw, "tag")
                if not isinstance(t, SourceRejected):
                    tags.append(mapping.tag_to_tag(space_id, t))
            self._tags[space_id] = tags
        return self._tags[space_id]

    async def _list(self, list_id: str) -> CUList:
        lst = mapping.parse(CUList, await self.client.record(f"v2/list/{list_id}"), "list")
        if isinstance(lst, SourceRejected):
            raise VendorDataError(lst.reason)
        return lst

    async def _fields(self, list_id: str) -> tuple[list[FieldDef], list[SourceRejected]]:
        fields: list[FieldDef] = []
        rejected: list[SourceRejected] = []
        for raw in await self.client.envelope(f"v2/list/{list_id}/field", "fields"):
            f = mapping.parse(CUField, raw, "field")
            if isinstance(f, SourceRejected):
                rejected.append(f)
                continue
            fields.append(mapping.field_to_def(f))
            if mapping.unknown_type(f):
                self.unknown_field_types[mapping.key("field", f.id)] = f.type or "unknown"
        return fields, rejected

    # -- extraction ----------------------------------------------------------------------
    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        lst = await self._list(container_id)
        archived = await self._archived(container_id) or lst.archived
        if archived and not include_archived:  # nothing of it is written, not even its template
            for flag in ("false", "true"):
                async for page in self.client.tasks(container_id, **TASKS, archived=flag):
                    for raw in page:
                        yield SourceLeftOut(mapping.key("task", mapping.raw_id(raw)), "item", ARCHIVED_LIST)
            return
        space_id = (lst.space.id if lst.space else None) or ""
        fields, rejected = await self._fields(container_id)
        tags = await self._space_tags(space_id) if space_id else []
        yield mapping.list_to_template(lst, lst.statuses, fields, tags, await self.people(), archived)
        for r in rejected:
            yield r
        stages = {}
        for s in lst.statuses:
            stages[s.id or ""] = stages[s.status.lower()] = mapping.status_key(container_id, s)
        order = _Order(container_id, space_id, stages)
        for flag in ("false", "true"):
            async for page in self.client.tasks(container_id, **TASKS, archived=flag):
                if flag == "true" and not include_archived:
                    for raw in page:
                        yield SourceLeftOut(mapping.key("task", mapping.raw_id(raw)), "item", ARCHIVED)
                    continue
                async for obj in self._emit(order, order.arrive(page)):
                    yield obj
        async for obj in self._emit(order, order.rest()):
            yield obj
        if (loss := mapping.unheld_loss(container_id, order.unheld)) is not None:
            yield loss

    async def _emit(self, order: _Order, ready: list[tuple[Any, str | None]]) -> AsyncIterator[Any]:
        """Map these tasks (each after its parent) and yield each with its comments and files,
        read a few tasks at once."""
        mapped = [order.map(raw, parent) for raw, parent in ready]
        children = await gather_limited(IN_FLIGHT, [_bind(self._children, m.key) for m in mapped])
        for m, kids in zip(mapped, children, strict=True):
            yield m
            if isinstance(m, Item) and (loss := mapping.relation_loss(m)) is not None:
                yield loss
            for child in kids:  # what hangs on a quarantined task is reported, not lost
                if isinstance(m, SourceRejected) and not isinstance(child, SourceRejected):
                    yield _orphan(child.key, _kind(child), order.orphaned.get(m.key, m.key))
                else:
                    yield child

    async def _children(self, task_key: str) -> list[Comment | Attachment | SourceRejected]:
        """A task's comments (with their threads) and its attachments (Get Task); nothing for
        a task gone since its listing."""
        tid = task_key.split(":", 2)[2]
        out: list[Comment | Attachment | SourceRejected] = []
        try:
            task = await self.client.record(f"v2/task/{tid}")
            async for raw in self.client.comments(tid):
                comment = mapping.map_comment(raw, tid)
                out.append(comment)
                c = mapping.parse(CUComment, raw, "comment")
                if isinstance(c, SourceRejected) or not _count(c.reply_count):
                    continue
                out += [mapping.map_comment(reply, tid, reply_to=c) for reply in await self._thread(c.id)]
        except RecordRejected as e:
            if e.status == 404:
                return []
            raise
        for raw in task.get("attachments") or []:
            out.append(mapping.map_attachment(raw, tid))
        return out

    async def _thread(self, comment_id: str) -> list[Any]:
        """A comment's replies; none for a comment deleted since its listing (the task's other
        comments and its files still come)."""
        try:
            return await self.client.envelope(f"v2/comment/{comment_id}/reply", "comments")
        except RecordRejected as e:
            if e.status == 404:
                return []
            raise

    # -- what ClickUp states of itself --------------------------------------------------------
    async def stated_counts(self, container_id: str) -> list[StatedItem]:
        """Every task of the list (subtasks and closed ones too) with ClickUp's own counts, read
        apart from `extract`: each one's checklist items (its checklists' resolved +
        unresolved), custom-field values, comments (each listed comment and its `reply_count`)
        and files (Get Task's attachments); and the list's own `task_count`, so a listing that
        lost a task cannot agree with the target."""
        lst = await self._list(container_id)
        archived = ARCHIVED_LIST if (await self._archived(container_id) or lst.archived) else None
        tasks: list[dict[str, Any]] = []
        async for page in self.client.tasks(container_id, **TASKS):
            tasks += [t for t in page if isinstance(t, dict) and isinstance(t.get("id"), str)]
        counts = await gather_limited(IN_FLIGHT, [_bind(self._stated_children, t["id"]) for t in tasks])
        out = []
        for t, (comments, files) in zip(tasks, counts, strict=True):
            checklist = sum(
                _count(c.get("resolved")) + _count(c.get("unresolved"))
                for c in t.get("checklists") or []
                if isinstance(c, dict)
            )
            values = sum(1 for f in t.get("custom_fields") or [] if mapping.has_value(f))
            name = t.get("name") if isinstance(t.get("name"), str) else ""
            stated = {"checklist_item": checklist, "comment": comments, "file": files, "field_value": values}
            out.append(StatedItem(mapping.key("task", t["id"]), str(name), stated, archived))
        said = _count(lst.task_count)
        for n in range(max(0, said - len(tasks))):  # ClickUp counts tasks its listing did not give
            key = mapping.key("task", f"unlisted-{container_id}-{n + 1}")
            out.append(StatedItem(key, "(a task ClickUp counts but did not list)", {}, archived))
        return out

    async def _stated_children(self, tid: str) -> tuple[int, int]:
        try:
            task = await self.client.record(f"v2/task/{tid}")
            comments = 0
            async for raw in self.client.comments(tid):
                comments += 1 + (_count(raw.get("reply_count")) if isinstance(raw, dict) else 0)
        except RecordRejected as e:
            if e.status == 404:
                return 0, 0
            raise
        return comments, len([a for a in task.get("attachments") or [] if isinstance(a, dict)])

    # -- attachments ---------------------------------------------------------------------
    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        if not attachment.url:
            raise RecordRejected(200, "ClickUp gives no address for this file", self.label)
        return self.client.download(attachment.url, size=attachment.size, mime_type=attachment.mime_type)

    # -- sync ----------------------------------------------------------------------------
    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        """Tasks updated since `cursor` (ClickUp's own `date_updated`, in ms) from the list's
        tasks filtered by `date_updated_gt`. With no cursor, the newest `date_updated` of the
        list is the baseline. ClickUp says nothing of deleted tasks here: the sync's re-read
        finds them (the content hashes confirm every change)."""
        if cursor is None:
            newest = 0
            async for page in self.client.tasks(container_id, **TASKS, order_by="updated"):
                newest = max([newest, *(_count(t.get("date_updated")) for t in page if isinstance(t, dict))])
                break  # newest first: the first page holds the newest
            return ChangeSet(cursor=str(newest))
        changes = ChangeSet()
        newest = _count(cursor)
        for flag in ("false", "true"):
            async for page in self.client.tasks(container_id, **TASKS, archived=flag, date_updated_gt=cursor):
                for raw in page:
                    if isinstance(raw, dict):
                        changes.changed_item_ids.add(mapping.key("task", mapping.raw_id(raw)))
                        newest = max(newest, _count(raw.get("date_updated")))
        changes.cursor = str(newest)
        return changes


class _Order:
    """Tasks in the order the engine needs them: ClickUp lists a list's tasks newest first,
    subtasks in the same pages, so a subtask may come before its parent. It waits for its
    parent; one whose parent is not in this list (or never comes) stands on its own."""

    def __init__(self, list_id: str, space_id: str, stages: dict[str, str]) -> None:
        self.list_id, self.space_id, self.stages = list_id, space_id, stages
        self.seen: set[str] = set()
        self.waiting: dict[str, list[Any]] = {}
        self.orphaned: dict[str, str] = {}  # task key -> the quarantined task it hangs on
        self.position = 0
        self.unheld: Counter[str] = Counter()  # what tasks have that a process cannot hold, by name

    def arrive(self, page: list[Any]) -> list[tuple[Any, str | None]]:
        ready: list[tuple[Any, str | None]] = []
        for raw in page:
            parent = raw.get("parent") if isinstance(raw, dict) else None
            if isinstance(parent, str) and parent and parent not in self.seen:
                self.waiting.setdefault(parent, []).append(raw)
                continue
            self._release(raw, parent if isinstance(parent, str) and parent else None, ready)
        return ready

    def _release(self, raw: Any, parent: str | None, ready: list[tuple[Any, str | None]]) -> None:
        tid = mapping.raw_id(raw)
        self.seen.add(tid)
        ready.append((raw, parent))
        for child in self.waiting.pop(tid, []):
            self._release(child, tid, ready)

    def rest(self) -> list[tuple[Any, str | None]]:
        """Subtasks whose parent never came: each stands on its own."""
        ready: list[tuple[Any, str | None]] = []
        while self.waiting:
            _, kids = self.waiting.popitem()
            for raw in kids:
                self._release(raw, None, ready)
        return ready

    def map(self, raw: Any, parent: str | None) -> Any:
        tid = mapping.raw_id(raw, self.position)
        tkey = mapping.key("task", tid)
        if parent and mapping.key("task", parent) in self.orphaned:  # what hangs on a quarantined task
            self.orphaned[tkey] = self.orphaned[mapping.key("task", parent)]
            return _orphan(tkey, "task", self.orphaned[tkey])
        item = mapping.map_task(raw, self.list_id, self.space_id, self.position, stages=self.stages, parent_id=parent)
        self.position += 1
        if isinstance(item, Item):
            self.unheld.update(mapping.unheld(CUTask.model_validate(raw)))
        if isinstance(item, SourceRejected):
            self.orphaned[tkey] = tkey
        return item


def _bind(fn: Callable[[Any], Awaitable[Any]], arg: Any) -> Callable[[], Awaitable[Any]]:
    return lambda: fn(arg)


def _b(flag: bool) -> str:
    return "true" if flag else "false"


def _count(v: Any) -> int:
    """ClickUp's counts and timestamps come as numbers or as strings of digits."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v)
    return 0


def _kind(obj: Any) -> str:
    return "comment" if isinstance(obj, Comment) else "attachment"


def _orphan(key: str, kind: str, task_key: str) -> SourceRejected:
    tid = task_key.split(":", 2)[2]
    return SourceRejected(key, kind, f"This {kind} belongs to task {tid}, which was quarantined as malformed.")
