"""The run: stream the source, write the target, journal every write ahead of the call.

Per object: if the store maps it, it is done; if an earlier run left an intent without a
result, or a write's fate is unknown (a 5xx or a reset after sending), the target is asked
first (by provenance marker) and only then written. A record the target refuses (400/422)
is quarantined with its reason and the run goes on. A stop request finishes what is in
flight, snapshots the store, and leaves a resumable state.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from wizard.adapter import SourceAdapter, SourceRejected
from wizard.engine.people import PersonDecision, match_people
from wizard.events import (EventSink, LogLine, ObjectMigrated, ObjectQuarantined, ObjectSkipped, PhaseFinished,
                           PhaseStarted, RunFinished)
from wizard.http import AmbiguousWrite, RecordRejected
from wizard.model import Attachment, Comment, FieldDef, Item, Template
from wizard.plan import Plan
from wizard.store import Store
from wizard.target import TemplateCtx

RECONCILE_TRIES = 3
ATTACH_SUFFIX = "#attachments"
SETTLED_SUFFIX = "#settled"


@dataclass
class RunSummary:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    existing: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    interrupted: bool = False
    elapsed_s: float = 0.0
    source_calls: int = 0
    target_calls: int = 0

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class RunExecutor:
    def __init__(self, plan: Plan, store: Store, source: SourceAdapter, target: Any, sink: EventSink,
                 stop: asyncio.Event | None = None, pause: asyncio.Event | None = None) -> None:
        self.plan = plan
        self.store = store
        self.source = source
        self.target = target
        self.sink = sink
        self.stop = stop or asyncio.Event()
        self.resume = pause  # when set to "cleared", workers wait (pause); None means never paused
        self.summary = RunSummary()
        self.sem = asyncio.Semaphore(plan.limits.concurrency)
        self.people: dict[str, PersonDecision] = {}
        self._users: list | None = None
        self._tags: dict[str, str] | None = None
        self._runs_index: dict[str, dict[str, dict]] = {}

    # -- the journalled write ----------------------------------------------------------
    async def ensure(self, key: str, kind: str, action: str, *, create: Callable[[], Awaitable[str]],
                     find: Callable[[], Awaitable[str | None]] | None, target_type: str,
                     parent_id: str | None = None, hash: str | None = None,
                     extra: dict[str, Any] | None = None) -> str | None:
        """Make sure `key` exists in the target exactly once. Returns its target id, or None
        when it was quarantined."""
        mapped = self.store.target_of(key)
        if mapped:
            return mapped["target_id"]
        if key in self.store.pending and find is not None:
            found = await find()
            if found:
                self.store.done(key, kind, target_type, found, parent_id=parent_id, hash=hash, extra=extra)
                self._count(kind, found, created=True, key=key)
                return found
        for attempt in range(RECONCILE_TRIES):
            self.store.intent(key, kind, action, parent_id=parent_id)
            try:
                target_id = await create()
            except AmbiguousWrite as e:
                found = await find() if find is not None else None
                if found:
                    target_id = found
                elif attempt + 1 < RECONCILE_TRIES:
                    self.sink.emit(LogLine("warning", f"{e.reason}; {key} is not in the target, sending again"))
                    continue
                else:
                    return self._quarantine(key, kind, f"the target never confirmed it ({e.reason})")
            except RecordRejected as e:
                return self._quarantine(key, kind, f"{self.target.label} refused it ({e})")
            self.store.done(key, kind, target_type, target_id, parent_id=parent_id, hash=hash, extra=extra)
            self._count(kind, target_id, created=True, key=key)
            return target_id
        return None  # pragma: no cover

    def _count(self, kind: str, target_id: str, *, created: bool, key: str) -> None:
        (self.summary.created if created else self.summary.existing)[kind] += 1
        self.sink.emit(ObjectMigrated(kind, key, target_id, created))

    def _quarantine(self, key: str, kind: str, reason: str) -> None:
        self.store.failed(key, kind, reason, quarantine=True)
        self.summary.failed[kind] += 1
        self.sink.emit(ObjectQuarantined(kind, key, reason))
        return None

    def _skip(self, key: str, kind: str, reason: str) -> None:
        self.summary.skipped[kind] += 1
        self.sink.emit(ObjectSkipped(kind, key, reason))

    async def _gate(self) -> bool:
        """False when a stop was asked; waits while paused."""
        if self.resume is not None:
            await self.resume.wait()
        return not self.stop.is_set()

    # -- the run -------------------------------------------------------------------------
    async def run(self) -> RunSummary:
        started = time.monotonic()
        src0, tgt0 = self.source.calls, self.target.calls
        self.store.set_meta(state="running", last_run_started=time.time())
        ids = self.plan.source.scope or [c.id for c in await self.source.containers()]
        excluded = set(self.plan.mapping.exclude)
        self.sink.emit(PhaseStarted("run", total=len(ids)))
        try:
            for cid in ids:
                if not await self._gate():
                    break
                if cid in excluded or f"{self.plan.source.system}:board:{cid}" in excluded:
                    self._skip(f"{self.plan.source.system}:board:{cid}", "template", "left out by the plan")
                    continue
                await self.migrate_container(cid)
        finally:
            self.summary.interrupted = self.stop.is_set()
            self.summary.elapsed_s = round(time.monotonic() - started, 3)
            self.summary.source_calls = self.source.calls - src0
            self.summary.target_calls = self.target.calls - tgt0
            state = "interrupted" if self.summary.interrupted else "finished"
            self.store.set_meta(state=state, last_run_finished=time.time())
            self.store.snapshot()
        self.sink.emit(PhaseFinished("run", count=sum(self.summary.created.values())))
        self.sink.emit(RunFinished(sum(self.summary.created.values()), sum(self.summary.skipped.values()),
                                   self.summary.failed_total, self.summary.interrupted))
        return self.summary

    async def migrate_container(self, cid: str) -> None:
        tpl: Template | None = None
        ctx: TemplateCtx | None = None
        fields: dict[str, FieldDef] = {}
        items: list[asyncio.Task] = []
        comments: dict[str, list[Comment]] = defaultdict(list)
        attachments: dict[str, list[Attachment]] = defaultdict(list)
        self.sink.emit(PhaseStarted("items"))
        try:
            async for obj in self.source.extract(cid, include_archived=self.plan.mapping.include_archived):
                if isinstance(obj, SourceRejected):
                    self._quarantine(obj.key, obj.kind, obj.reason)
                elif isinstance(obj, Template):
                    tpl = obj
                    fields = {f.key: f for f in tpl.fields}
                    ctx = await self.ensure_template(tpl)
                    if ctx is None:
                        return
                elif isinstance(obj, Item):
                    if not await self._gate():
                        break
                    assert tpl is not None and ctx is not None
                    await self.sem.acquire()
                    items.append(asyncio.create_task(self._release(self.migrate_item(obj, tpl, ctx, fields))))
                elif isinstance(obj, Comment):
                    comments[obj.item_key].append(obj)
                elif isinstance(obj, Attachment):
                    attachments[obj.item_key].append(obj)
        finally:
            if items:
                await _settle(items)
        self.sink.emit(PhaseFinished("items"))
        if ctx is None or self.stop.is_set():
            return
        self.sink.emit(PhaseStarted("comments", total=sum(map(len, comments.values()))))
        await self._per_item(comments, lambda k, cs: self.migrate_comments(k, cs))
        self.sink.emit(PhaseFinished("comments"))
        if self.stop.is_set():
            return
        self.sink.emit(PhaseStarted("attachments", total=sum(map(len, attachments.values()))))
        assert tpl is not None
        tpl_key = tpl.key
        await self._per_item(attachments, lambda k, atts: self.migrate_attachments(k, atts, ctx, tpl_key))
        self.sink.emit(PhaseFinished("attachments"))

    async def _per_item(self, groups: dict[str, list], work: Callable[[str, list], Awaitable[None]]) -> None:
        tasks: list[asyncio.Task] = []
        try:
            for item_key, objs in groups.items():
                if not await self._gate():
                    break
                await self.sem.acquire()
                tasks.append(asyncio.create_task(self._release(work(item_key, objs))))
        finally:
            if tasks:
                await _settle(tasks)

    async def _release(self, coro: Awaitable[None]) -> None:
        try:
            await coro
        finally:
            self.sem.release()

    # -- templates -----------------------------------------------------------------------
    async def _people(self, tpl: Template) -> None:
        if self._users is None:
            self._users = await self.target.users()
        self.people.update(match_people(tpl.people, self._users, self.plan.mapping.people))
        self.store.set_meta(people={k: d.__dict__ for k, d in self.people.items()})

    async def ensure_tags(self, tpl: Template) -> dict[str, str]:
        out: dict[str, str] = {}
        for tag in tpl.tags:
            mapped = self.store.target_of(tag.key)
            if mapped:
                out[tag.key] = mapped["target_id"]
                continue
            if self._tags is None:
                self._tags = await self.target.existing_tags()
            name = tag.name or f"{tag.color or 'unnamed'} label"
            existing = self._tags.get(name[:30].lower())
            if existing:
                self.store.done(tag.key, "tag", "tag", existing, created=False)
                self._count("tag", existing, created=False, key=tag.key)
                out[tag.key] = existing
                continue
            tid = await self.ensure(tag.key, "tag", "create tag", target_type="tag", find=None,
                                    create=lambda t=tag, n=name: self.target.create_tag(t.key, n, t.color))
            if tid:
                self._tags[name[:30].lower()] = tid
                out[tag.key] = tid
        return out

    async def ensure_template(self, tpl: Template) -> TemplateCtx | None:
        await self._people(tpl)
        tags = await self.ensure_tags(tpl)
        overrides = self.plan.mapping.field_types
        with_cl = self.plan.mapping.checklists == "field"
        mapped = self.store.target_of(tpl.key)
        if mapped and (saved := mapped.get("extra", {}).get("ctx")):
            ctx = TemplateCtx.from_json(saved)
            if len(ctx.steps) == len(tpl.stages):
                ctx.tags = tags
                return ctx
        existing = mapped["target_id"] if mapped else None
        if existing is None:
            existing = await self.target.find_template(tpl.key, tpl.name)
            if existing and tpl.key not in self.store.pending:
                self.sink.emit(LogLine("info", f"template for {tpl.name!r} already in the target; completing it"))
        created_now = existing is None or tpl.key in self.store.pending
        self.store.intent(tpl.key, "template", "create template")
        try:
            ctx = await self.target.ensure_template(tpl, existing, overrides, with_cl, tags)
            tid = ctx.template_id
        except RecordRejected as e:
            self._quarantine(tpl.key, "template", f"{self.target.label} refused the template ({e})")
            return None
        self.store.done(tpl.key, "template", "template", tid, created=created_now or bool(mapped and mapped.get("created")),
                        extra={"ctx": ctx.to_json()})
        self._count("template", tid, created=created_now, key=tpl.key)
        return ctx

    # -- items ---------------------------------------------------------------------------
    async def _run_index(self, ctx: TemplateCtx) -> dict[str, dict]:
        if ctx.template_id not in self._runs_index:
            self._runs_index[ctx.template_id] = await self.target.index_runs(ctx.template_id)
        return self._runs_index[ctx.template_id]

    async def migrate_item(self, item: Item, tpl: Template, ctx: TemplateCtx, fields: dict[str, FieldDef]) -> None:
        key = item.key
        if item.closed and not self.plan.mapping.include_archived:
            self._skip(key, "item", "archived in the source")
            return
        template_preexisted = (self.store.target_of(tpl.key) or {}).get("created") is False
        if template_preexisted and not self.store.target_of(key) and key not in self.store.pending:
            # The template was there before us: its processes may include this card already.
            existing = (await self._run_index(ctx)).get(key)
            if existing:
                strategy = self.plan.conflicts.strategy_for("item")
                self.store.done(key, "item", "run", existing["id"], created=False, hash=item.content_hash())
                self._count("item", existing["id"], created=False, key=key)
                if strategy == "manual":
                    self.store.record_conflict({"id": key, "kind": "item", "target_id": existing["id"],
                                                "reason": "already in the target", "decision": None})
                return
        owners = [d.user_id for k in item.assignee_keys if (d := self.people.get(k)) and d.user_id is not None]
        placeholders = [d.name for k in item.assignee_keys if (d := self.people.get(k)) and d.user_id is None]
        with_cl = self.plan.mapping.checklists == "field"

        async def find() -> str | None:
            self._runs_index.pop(ctx.template_id, None)
            run = (await self._run_index(ctx)).get(key)
            return run["id"] if run else None

        run_id = await self.ensure(
            key, "item", "launch process", target_type="run", find=find, hash=item.content_hash(),
            parent_id=ctx.template_id,
            create=lambda: self.target.launch(item, ctx, fields, owners, placeholders, with_cl, tpl.key))
        if not run_id:
            return
        settled = self.store.target_of(key + SETTLED_SUFFIX)
        if settled:
            return
        tasks = await self.target.advance(item, run_id, ctx)
        if not with_cl and item.checklists:
            await self.target.checklist_tasks(item, run_id)
        step = ctx.steps.get(item.stage_key or "") or (ctx.step_order[0] if ctx.step_order else "")
        self.store.done(key + SETTLED_SUFFIX, "settle", "run", run_id, created=False,
                        extra={"task": tasks.get(step, ""), "step": step})

    # -- comments ------------------------------------------------------------------------
    async def migrate_comments(self, item_key: str, comments: list[Comment]) -> None:
        settled = self.store.target_of(item_key + SETTLED_SUFFIX)
        if not settled or not settled.get("extra", {}).get("task"):
            for c in comments:
                if not self.store.target_of(c.key):
                    self._skip(c.key, "comment", "its card was not migrated")
            return
        run_id, task_id = settled["target_id"], settled["extra"]["task"]
        for c in sorted(comments, key=lambda c: c.created_at):
            if not await self._gate():
                return
            await self.ensure(c.key, "comment", "post comment", target_type="comment", parent_id=run_id,
                              create=lambda c=c: self.target.post_comment(c, task_id),
                              find=lambda c=c: self.target.find_comment(c, run_id, task_id))

    # -- attachments ---------------------------------------------------------------------
    async def migrate_attachments(self, item_key: str, atts: list[Attachment], ctx: TemplateCtx, tpl_key: str) -> None:
        settled = self.store.target_of(item_key + SETTLED_SUFFIX)
        if not settled:
            for a in atts:
                self._skip(a.key, "attachment", "its card was not migrated")
            return
        run_id, step_id = settled["target_id"], settled["extra"].get("step") or (ctx.step_order or [""])[0]
        max_bytes = self.plan.limits.max_attachment_mb * 1024 * 1024
        uploaded: list[dict] = []
        for a in atts:
            if not await self._gate():
                return
            if not a.is_upload:
                self._skip(a.key, "attachment", "a link, not a file: kept in the card's link list only")
                continue
            if a.size > max_bytes:
                self._quarantine(a.key, "attachment", f"{a.size} bytes is over the {self.plan.limits.max_attachment_mb} MB limit")
                continue
            mapped = self.store.target_of(a.key)
            if mapped:
                uploaded.append({"id": mapped["target_id"], "filename": mapped.get("extra", {}).get("filename", a.name)})
                continue
            result: dict[str, Any] = {}

            async def create(a: Attachment = a) -> str:
                asset = await self.target.upload(a, self.source.open_attachment(a), run_id, step_id, ctx.template_id)
                result.update(asset)
                return str(asset["id"])

            async def find(a: Attachment = a) -> str | None:
                asset = await self.target.find_upload(a, run_id, {u["id"] for u in uploaded})
                if asset:
                    result.update(asset)
                return str(asset["id"]) if asset else None

            aid = await self.ensure(a.key, "attachment", "upload file", target_type="asset", parent_id=run_id,
                                    create=create, find=find)
            if aid:
                uploaded.append({"id": aid, "filename": result.get("filename") or a.name})
        field_id = ctx.prerun_ids.get(f"{tpl_key}#attachments")
        attach_key = item_key + ATTACH_SUFFIX
        marker = ",".join(sorted(u["id"] for u in uploaded))
        done = self.store.target_of(attach_key)
        if uploaded and field_id and (not done or done.get("hash") != marker):
            await self.target.attach(item_key, run_id, field_id, uploaded)
            self.store.done(attach_key, "attach", "run", run_id, created=False, hash=marker)


async def _settle(tasks: list[asyncio.Task]) -> None:
    """Wait for every task; re-raise the first error that must stop the run."""
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
            raise r
