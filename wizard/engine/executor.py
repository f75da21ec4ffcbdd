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
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from functools import partial
from typing import Any

from wizard.adapter import SourceAdapter, SourceLeftOut, SourceRejected
from wizard.call_errors import RecordRejected
from wizard.cursors import CHANGES, Cursors
from wizard.engine.children import ATTACH_SUFFIX, SETTLED_SUFFIX, ChildWriter, settled_anchor, settled_stage
from wizard.engine.conflict_rules import EDIT_TOLERANCE_S, ConflictRules
from wizard.engine.duplicates import fingerprint
from wizard.engine.item_batches import ItemBatches
from wizard.engine.journalled import RunJournal, RunSummary
from wizard.engine.matching import ItemMatcher
from wizard.engine.people import PersonDecision, match_people
from wizard.engine.scope import left_out
from wizard.engine.simulation import backlog_of
from wizard.engine.spool import ChildSpool
from wizard.events import EventSink, LogLine, PhaseFinished, PhaseStarted, RunFinished
from wizard.model import Attachment, Comment, FieldDef, Item, Template
from wizard.plan import Plan
from wizard.ratelimit import StopRequested
from wizard.store import Store
from wizard.target import Assignees, ContainerCtx, NewItem, TargetAdapter, TargetUser

__all__ = ["ATTACH_SUFFIX", "EDIT_TOLERANCE_S", "SETTLED_SUFFIX", "RunExecutor", "RunSummary"]


class RunExecutor:
    """Streams each container of the plan from the source into the target. Its parts are
    collaborators with public methods: the journal every write goes through (`journal`),
    the writer of what hangs on an item (`children`) and the conflict rules (`rules`)."""

    def __init__(
        self,
        plan: Plan,
        store: Store,
        source: SourceAdapter,
        target: TargetAdapter,
        sink: EventSink,
        stop: asyncio.Event | None = None,
        pause: asyncio.Event | None = None,
        *,
        sync: bool = False,
    ) -> None:
        self.plan = plan
        self.store = store
        self.source = source
        self.target = target
        self.sink = sink
        self.stop = stop or asyncio.Event()
        self.summary = RunSummary()
        self.journal = RunJournal(store, target, sink, self.summary, self.stop, pause)
        self.children = ChildWriter(self.journal, plan, source)
        self.rules = ConflictRules(self.journal, plan, self)
        self.sem = asyncio.Semaphore(plan.limits.concurrency)
        # Comments have their own slots: one waiting out the hourly cap never holds up an item.
        self.comment_sem = asyncio.Semaphore(plan.limits.concurrency)
        # Items and follow-ups started ahead of what is written (back-pressure on the source).
        self.backlog = backlog_of(plan.limits.concurrency)
        self.people: dict[str, PersonDecision] = {}
        self._users: list[TargetUser] | None = None
        self._tags: dict[str, str] | None = None
        self._matchers: dict[str, ItemMatcher] = {}
        self._claims: dict[str, str] = {}  # target item id -> the source item it went to
        self._named: dict[str, str] = {}  # name -> the source item that took a target item by that name
        self._matcher_locks: dict[str, asyncio.Lock] = {}
        self.sync = sync
        self.vendor_changes: dict[str, Any] = {}
        self._fingerprints: dict[str, str] = {}
        # Items whose writing is over, however it ended; an event only for one a duplicate waits
        # for (an event per item held about 870 bytes each for the whole run).
        self._finished: set[str] = set()
        self._awaited: dict[str, asyncio.Event] = {}
        self._batches: dict[str, ItemBatches[NewItem]] = {}  # container key -> its new items, several a request
        # A stop request ends any wait for a rate limit or a cap at once.
        target.stop_on(self.stop)
        limiter = getattr(getattr(source, "client", None), "limiter", None)
        if limiter is not None:
            limiter.stop = self.stop

    @property
    def source_deletions(self) -> list[str]:
        return self.rules.source_deletions

    # -- the run -------------------------------------------------------------------------
    async def run(self) -> RunSummary:
        started = time.monotonic()
        src0, tgt0 = self.source.calls, self.target.calls
        self.store.set_meta(state="running", last_run_started=time.time())
        ids = self.plan.source.scope or [c.id for c in await self.source.containers()]
        self.sink.emit(PhaseStarted("run", total=len(ids)))
        completed = False
        try:
            for cid in ids:
                if not await self.journal.go_on():
                    break
                if entry := left_out(self.plan.mapping.exclude, self.plan.source.system, cid):
                    self.journal.skip(entry, "template", "left out by the plan")
                    continue
                await self.migrate_container(cid)
            completed = True
        except StopRequested:
            pass  # asked to stop while waiting out a limit: a safe point, and the state says interrupted
        finally:
            self.summary.interrupted = self.stop.is_set()
            self.summary.elapsed_s = round(time.monotonic() - started, 3)
            self.summary.source_calls = self.source.calls - src0
            self.summary.target_calls = self.target.calls - tgt0
            # Finished only when the run went through and the journal holds no intent without its result.
            finished = completed and not self.summary.interrupted and not self.store.pending
            state = "finished" if finished else "interrupted"
            self.store.set_meta(
                state=state,
                last_run_finished=time.time(),
                last_run={
                    "mode": "sync" if self.sync else "run",
                    **{
                        k: dict(getattr(self.summary, k))
                        for k in ("created", "existing", "updated", "deleted", "skipped", "failed", "resolved")
                    },
                },
            )
            self.store.snapshot()
        self.sink.emit(PhaseFinished("run", count=sum(self.summary.created.values())))
        self.sink.emit(
            RunFinished(
                sum(self.summary.created.values()),
                sum(self.summary.skipped.values()),
                self.summary.failed_total,
                self.summary.interrupted,
            )
        )
        return self.summary

    async def migrate_container(self, cid: str) -> None:
        """Stream one container. Items are written as they come (at most `concurrency` at
        once); each item's comments and files follow as soon as that item is written, so a
        target's hourly comment cap (Tallyfy's, for one) starts counting while later items are still being
        written, instead of after the last one."""
        tpl: Template | None = None
        ctx: ContainerCtx | None = None
        fields: dict[str, FieldDef] = {}
        # Tasks not yet finished (or finished with an error, kept for _settle to raise).
        item_tasks: dict[str, asyncio.Task[None]] = {}
        follow_ups: set[asyncio.Task[None]] = set()
        failed: list[asyncio.Task[None]] = []
        comments: ChildSpool[Comment] = ChildSpool(Comment)
        attachments: ChildSpool[Attachment] = ChildSpool(Attachment)
        gathered: Counter[str] = Counter()  # children per kind, as they come
        following = self.source.follow_their_item
        # Back-pressure: at most this many items and follow-ups at work or waiting for a slot,
        # so the source is read as fast as the target is written, not into memory. A write that
        # waits for an item still being written (its comments and files, a sub-item) takes no
        # slot: it would hold one for a wait the backlog's own items may be part of (a batch
        # waiting for its members); there are at most a few of them per item at work. Set again
        # once the container's batch size is known.
        backlog = asyncio.Semaphore(self.backlog)

        async def start(
            key: str,
            after: asyncio.Task[None] | None,
            sem: asyncio.Semaphore,
            coro: Coroutine[Any, Any, None],
            tasks: dict[str, Any] | set[Any],
        ) -> asyncio.Task[None]:
            """Start `coro` (an item's write, or a write once `after` is done)."""
            slots = backlog if after is None or after.done() else None
            if slots is not None:
                try:
                    await slots.acquire()
                except BaseException:
                    coro.close()  # never started: closed, not left to warn
                    raise
            task = asyncio.create_task(self._bounded(after, sem, coro))

            def ended(t: asyncio.Task[None]) -> None:
                if slots is not None:
                    slots.release()
                if not t.cancelled() and t.exception() is not None:
                    failed.append(t)
                if isinstance(tasks, dict):
                    if tasks.get(key) is t:
                        del tasks[key]
                else:
                    tasks.discard(t)

            if isinstance(tasks, dict):
                tasks[key] = task
            else:
                tasks.add(task)
            task.add_done_callback(ended)
            return task

        async def follow(ctx: ContainerCtx, kinds: frozenset[str]) -> None:
            """Write the children of these kinds gathered so far, each after its item. An
            item's children leave the spool as their write is started, so each is written once,
            and only those of the backlog and of the items at work are in memory."""
            if "comment" in kinds:
                for key in comments.items():
                    write = self.children.comments(key, comments.take(key), ctx)
                    await start(key, item_tasks.get(key), self.comment_sem, write, follow_ups)
            if "attachment" in kinds:
                for key in attachments.items():
                    write = self.children.uploads(key, attachments.take(key), ctx)
                    await start(key, item_tasks.get(key), self.sem, write, follow_ups)

        self.sink.emit(PhaseStarted("items"))
        cursors = Cursors(self.store)
        if self.sync:
            changes = await self.source.changes_since(cid, cursors.get(CHANGES, cid))
            if changes is not None:
                self.vendor_changes[cid] = changes
                self.sink.emit(
                    LogLine(
                        "info",
                        f"{self.source.label} reports {len(changes.changed_item_ids)} changed, "
                        f"{len(changes.deleted_item_ids)} deleted items and "
                        f"{len(changes.new_comment_ids)} new comments; content hashes confirm each",
                    )
                )
        try:
            async for obj in _until_stopped(
                self.source.extract(cid, include_archived=self.plan.mapping.include_archived)
            ):
                if isinstance(obj, SourceRejected):
                    self.journal.quarantine(obj.key, obj.kind, obj.reason)
                elif isinstance(obj, SourceLeftOut):
                    self.journal.skip(obj.key, obj.kind, obj.reason)
                elif isinstance(obj, Template):
                    tpl = obj
                    fields = {f.key: f for f in tpl.fields}
                    ctx = await self.ensure_template(tpl)
                    if ctx is None:
                        return
                    if (batch := self.target.item_batch) > 1:
                        self._batches[tpl.key] = ItemBatches(batch, self.target.create_items, self.sem)
                        # A batch is sent once all its members have joined, each holding its slot
                        # meanwhile: room for a whole batch, or the source would wait for slots
                        # only the batch's missing members could free.
                        backlog = asyncio.Semaphore(self.backlog + batch)
                elif isinstance(obj, Item):
                    if not await self.journal.go_on():
                        break
                    assert tpl is not None and ctx is not None
                    if following:
                        # Children the source yields right after their item are complete once the
                        # next item comes: written now, never held for the whole container.
                        await follow(ctx, following)
                    # A sub-item the target writes under its parent waits for that parent, and
                    # never joins a batch of new items (its parent may be in the same one).
                    child = self._is_child(obj)
                    parent = item_tasks.get(obj.parent_key or "") if child else None
                    write = self.migrate_item(obj, tpl, ctx, fields)
                    task = await start(obj.key, parent, self.sem, write, item_tasks)
                    if not child and (batches := self._batches.get(tpl.key)):
                        batches.join(obj.key, task)
                elif isinstance(obj, Comment):
                    comments.put(obj.item_key, obj)
                    gathered["comment"] += 1
                elif isinstance(obj, Attachment):
                    attachments.put(obj.item_key, obj)
                    gathered["attachment"] += 1
                _raise_first(failed)
            if tpl is not None and (batches := self._batches.get(tpl.key)):
                batches.close()  # the stream is over: the last group goes as it is
            if ctx is not None and tpl is not None and not self.stop.is_set():
                self.sink.emit(PhaseStarted("comments", total=gathered["comment"]))
                self.sink.emit(PhaseStarted("attachments", total=gathered["attachment"]))
                await follow(ctx, frozenset({"comment", "attachment"}))
            await _settle([*item_tasks.values(), *failed])
            self.sink.emit(PhaseFinished("items"))
            if ctx is not None and self.sync and not self.stop.is_set():
                await self.rules.finish_sync(ctx)
            await _settle([*follow_ups, *failed])
        except BaseException:
            # Something must stop the run (a refused credential, a full disk, a system down):
            # what is in flight is cancelled; any intent it left is reconciled on resume.
            tasks = [*item_tasks.values(), *follow_ups]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, *failed, return_exceptions=True)  # and every error is retrieved
            raise
        finally:
            comments.close()
            attachments.close()
        if ctx is None or self.stop.is_set():
            return
        self.sink.emit(PhaseFinished("comments"))
        self.sink.emit(PhaseFinished("attachments"))
        changes = self.vendor_changes.get(cid)
        cursor = changes.cursor if changes is not None else None
        if cursor is None and cursors.get(CHANGES, cid) is None:
            baseline = await self.source.changes_since(cid, None)
            cursor = baseline.cursor if baseline else None
        if cursors.advance(CHANGES, cid, cursor, ordered=self.source.cursor_ordered):
            self.store.set_meta(last_sync=time.time())

    async def _bounded(
        self, after: asyncio.Task[None] | None, sem: asyncio.Semaphore, coro: Coroutine[Any, Any, None]
    ) -> None:
        """Run `coro` once `after` (its item) is done, holding a slot of `sem` only while it
        works, never while it waits for its item."""
        try:
            if after is not None:
                await asyncio.wait([after])
            async with sem:
                if not await self.journal.go_on():  # checked with the slot in hand: a pause stops what has not begun
                    return
                await coro
        except StopRequested:
            pass  # stopped while waiting out a limit, before sending: its intent is reconciled on resume
        finally:
            coro.close()  # a coroutine never started must be closed, not left to warn

    # -- containers ------------------------------------------------------------------------
    async def _people(self, tpl: Template) -> None:
        if self._users is None:
            self._users = await self.target.users()
        decisions = match_people(tpl.people, self._users, self.plan.mapping.people)
        emails = {p.key: p.email for p in tpl.people}
        for key, d in decisions.items():
            if d.action == "guest":
                gid = await self.journal.ensure(
                    key,
                    "person",
                    "add guest",
                    target_type="guest",
                    find_first=True,
                    find=partial(self.target.find_guest, str(d.user_id)),
                    create=partial(self.target.add_guest, d.key, d.name, str(d.user_id)),
                )
                if not gid:
                    decisions[key] = PersonDecision(
                        key, d.name, "placeholder", None, "the guest was refused; kept as a named placeholder"
                    )
                continue
            if d.action != "invite":
                continue
            uid = await self.journal.ensure(
                key,
                "person",
                "invite member",
                target_type="user",
                find=None,
                create=partial(self._invite, d, emails[d.key] or ""),
            )
            uid_value = int(uid) if uid and uid.isdigit() else uid
            decisions[key] = (
                PersonDecision(key, d.name, "invite", uid_value, "invited, as the plan says")
                if uid
                else PersonDecision(
                    key,
                    d.name,
                    "placeholder",
                    None,
                    f"the invite was refused ({self.store.quarantine.get(key, {}).get('reason', '')}); "
                    f"kept as a named placeholder",
                )
            )
        self.people.update(decisions)
        self.store.set_meta(people={k: d.__dict__ for k, d in self.people.items()})

    async def _invite(self, d: PersonDecision, email: str) -> str:
        user = await self.target.invite(d.key, d.name, email)
        return str(user.id)

    async def ensure_tags(self, tpl: Template) -> dict[str, str]:
        out: dict[str, str] = {}
        for tag in tpl.tags:
            mapped = self.store.target_of(tag.key)
            if mapped:
                out[tag.key] = str(mapped["target_id"])
                continue
            if self._tags is None:
                self._tags = await self.target.existing_tags()
            name = tag.name or f"{tag.color or 'unnamed'} label"
            title = self.target.tag_title(name).lower()
            existing = self._tags.get(title)
            if existing:
                # Pending: we created it and were cut off before journalling the answer.
                ours = tag.key in self.store.pending
                self.store.done(tag.key, "tag", "tag", existing, created=ours)
                self.journal.count("tag", existing, created=ours, key=tag.key)
                out[tag.key] = existing
                continue
            tid = await self.journal.ensure(
                tag.key,
                "tag",
                "create tag",
                target_type="tag",
                find=None,
                create=partial(self.target.create_tag, tag.key, name, tag.color),
            )
            if tid:
                self._tags[title] = tid
                out[tag.key] = tid
        return out

    async def ensure_template(self, tpl: Template) -> ContainerCtx | None:
        """The source container's container in the target, with its stages, fields and tags."""
        if self._waits_on_namesake(tpl):
            return None
        await self._people(tpl)
        tags = await self.ensure_tags(tpl)
        mapped = self.store.target_of(tpl.key)
        if mapped and (saved := mapped.get("extra", {}).get("ctx")):
            ctx = ContainerCtx.from_json(saved)
            if len(ctx.stages) == len(tpl.stages):
                ctx.key = ctx.key or tpl.key
                ctx.tags = tags
                return ctx
        existing = mapped["target_id"] if mapped else None
        if existing is None:
            existing = await self.target.find_container(tpl.key, tpl.name)
            if existing and tpl.key not in self.store.pending:
                self.sink.emit(
                    LogLine("info", f"the container for {tpl.name!r} is already in the target; completing it")
                )
        created_now = existing is None or tpl.key in self.store.pending
        self.store.intent(tpl.key, "template", "create container")
        try:
            ctx = await self.target.ensure_container(tpl, existing, tags)
        except RecordRejected as e:
            self.journal.quarantine(tpl.key, "template", f"{self.target.label} refused the container ({e})")
            return None
        tid = ctx.container_id
        self.store.done(
            tpl.key,
            "template",
            "container",
            tid,
            created=created_now or bool(mapped and mapped.get("created")),
            extra={"ctx": ctx.to_json()},
        )
        self.journal.count("template", tid, created=created_now, key=tpl.key)
        return ctx

    def _waits_on_namesake(self, tpl: Template) -> bool:
        """The pre-flight scan found a template of this name made by someone else: under
        'manual' the container waits for a decision; 'skip' leaves it out; any other decision
        creates ours next to it."""
        c = self.store.conflicts.get(tpl.key)
        if self.store.target_of(tpl.key) or not c or c.get("kind") != "template":
            return False
        decision = c.get("decision")
        if decision == "skip":
            self.journal.skip(tpl.key, "template", "a template of this name is already there; left out, as decided")
            return True
        if decision is None and self.plan.conflicts.strategy_for("template") == "manual":
            self.journal.skip(tpl.key, "template", "a template of this name is already there; waiting for a decision")
            return True
        return False

    # -- items ---------------------------------------------------------------------------
    async def matcher_for(self, ctx: ContainerCtx, *, fresh: bool = False) -> ItemMatcher:
        """The container's items in the target, matched to source items (one read). Read once
        by one item while the others wait: two reads racing with a write could see a target
        item before and after it took a source item's marker."""
        cid = ctx.container_id
        lock = self._matcher_locks.setdefault(cid, asyncio.Lock())
        async with lock:
            if fresh or cid not in self._matchers:
                if not self._claims:
                    self._claims.update(
                        {str(m["target_id"]): k for k, m in self.store.mappings.items() if m.get("kind") == "item"}
                    )
                items = await self.target.list_items(cid)
                self._matchers[cid] = ItemMatcher(items, self._claims, self._named)
            return self._matchers[cid]

    async def migrate_item(self, item: Item, tpl: Template, ctx: ContainerCtx, fields: dict[str, FieldDef]) -> None:
        try:
            await self._migrate_item(item, tpl, ctx, fields)
        finally:
            self._finished.add(item.key)
            if (waiting := self._awaited.pop(item.key, None)) is not None:
                waiting.set()

    async def _migrate_item(self, item: Item, tpl: Template, ctx: ContainerCtx, fields: dict[str, FieldDef]) -> None:
        key = item.key
        self.rules.seen.add(key)
        if item.closed and not self.plan.mapping.include_archived:
            if self.store.target_of(key):
                self.rules.archived_in_source.append(key)
            self.journal.skip(key, "item", "archived in the source")
            return
        mapped = self.store.target_of(key)
        if (
            mapped
            and Store.how(mapped) in ("skipped", "overwritten", "merged")
            and await self.rules.revisit(item, mapped, ctx, fields, tpl)
        ):
            return
        if mapped:
            if self.sync and mapped.get("hash") != item.content_hash():
                await self.rules.update_item(item, mapped, ctx, fields, tpl)
            await self.settle(item, str(mapped["target_id"]), ctx)
            return
        if self._is_child(item):
            await self._migrate_child(item, ctx, fields)
            return
        if key not in self.store.pending and await self.rules.resolve_existing(item, ctx, fields, tpl):
            return
        if self.plan.mapping.duplicates == "merge" and await self.merge_duplicate(item):
            return
        people = self.assignees(item)

        async def find() -> str | None:
            found = (await self.matcher_for(ctx, fresh=True)).by_marker.get(key)
            return found.id if found else None

        item_id = await self.journal.ensure(
            key,
            "item",
            "create item",
            target_type="item",
            find=find,
            hash=item.content_hash(),
            parent_id=ctx.container_id,
            create=partial(self._create_item, NewItem(item, ctx, fields, people)),
        )
        if item_id:
            await self.settle(item, item_id, ctx)

    def _is_child(self, item: Item) -> bool:
        return bool(item.parent_key) and self.target.items_as_subitems

    async def _migrate_child(self, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef]) -> None:
        """A source's sub-item, once, as a sub-item of its parent's target item (of the top
        one, for a sub-item's own sub-items: a target's sub-items have none); quarantined when
        its parent is not in the target."""
        parent = self.store.target_of(item.parent_key or "")
        parent_id = None
        if parent:
            nested = parent.get("target_type") == "subitem"
            parent_id = (parent.get("extra") or {}).get("parent_item") if nested else parent["target_id"]
        if not parent_id:
            why = self.store.quarantine.get(item.parent_key or "", {}).get("reason") or "skipped, or not in scope"
            self.journal.quarantine(item.key, "item", f"its parent {item.parent_key} was not migrated ({why})")
            return
        new = NewItem(item, ctx, fields, self.assignees(item))
        item_id = await self.journal.ensure(
            item.key,
            "item",
            "create sub-item",
            target_type="subitem",
            find=partial(self.target.find_child, new, str(parent_id)),
            hash=item.content_hash(),
            parent_id=ctx.container_id,
            extra={"parent_item": str(parent_id)},
            create=partial(self.target.create_child, new, str(parent_id)),
        )
        if item_id:
            await self.settle(item, item_id, ctx)

    async def _create_item(self, new: NewItem) -> str:
        batches = self._batches.get(new.ctx.key)
        if batches is None:
            return await self.target.create_item(new.item, new.ctx, new.fields, new.people)
        return await batches.create(new.item.key, new)

    async def merge_duplicate(self, item: Item) -> bool:
        """An identical source item was migrated already: this one lands on the same target
        item, with its comments and files (plan mapping.duplicates = "merge")."""
        fp = fingerprint(item)
        first = self._fingerprints.setdefault(fp, item.key)
        if first == item.key:
            return False
        if first not in self._finished:  # the first of the group is still being written
            for batches in self._batches.values():
                batches.left(item.key)  # not created with its batch, which may hold the first one
            finished = self._awaited.setdefault(first, asyncio.Event())
            waits = [asyncio.ensure_future(finished.wait()), asyncio.ensure_future(self.stop.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
        settled = self.store.target_of(first + SETTLED_SUFFIX)
        if not settled:
            return False
        self.store.done(
            item.key,
            "item",
            "item",
            settled["target_id"],
            created=False,
            hash=item.content_hash(),
            extra={"merged_into": first},
        )
        self.store.done(
            item.key + SETTLED_SUFFIX,
            "settle",
            "item",
            settled["target_id"],
            created=False,
            extra=settled.get("extra"),
        )
        self.journal.skip(item.key, "item", f"identical to {first}: merged into its target item")
        return True

    def assignees(self, item: Item) -> Assignees:
        """Who the item goes to: the people decided for its assignees (a user, or a named
        placeholder for one without)."""
        decided = [d for k in item.assignee_keys if (d := self.people.get(k))]
        return Assignees(
            users=[d.user_id for d in decided if d.user_id is not None],
            placeholders=[d.name for d in decided if d.user_id is None],
        )

    async def settle(self, item: Item, item_id: str, ctx: ContainerCtx) -> None:
        """Place the target item at the source item's stage (and, where the target writes
        checklist items as sub-items, add them). Done once per item, and again when a sync finds it moved."""
        stage = ctx.stage_of(item)
        settled = self.store.target_of(item.key + SETTLED_SUFFIX)
        if settled and settled_stage(settled) == stage:
            return
        # On an item someone else made, the state of each thing placing changes is kept as it
        # was before we first changed it, so rollback can put it back.
        flips: dict[str, str] = {}
        anchors = await self.target.place_item(item, item_id, ctx, flips)
        if not settled and self.target.checklists_as_subitems and item.checklists:
            await self.children.subitems(item, item_id, self.assignees(item))
        before = dict((settled or {}).get("extra", {}))
        extra: dict[str, Any] = {"anchor": settled_anchor(settled) or anchors.get(stage, ""), "stage": stage}
        if not (self.store.target_of(item.key) or {}).get("created", True):
            extra["flips"] = {**flips, **before.get("flips", {})}
        self.store.done(item.key + SETTLED_SUFFIX, "settle", "item", item_id, created=False, extra=extra)


async def _until_stopped(stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The source's stream, ending quietly when a stop request cuts a wait for its rate limit."""
    try:
        async for obj in stream:
            yield obj
    except StopRequested:
        return


def _raise_first(failed: list[asyncio.Task[None]]) -> None:
    """A task that ended with an error that must stop the run stops it now, not at the container's end."""
    for t in failed:
        e = t.exception()
        if e is not None and not isinstance(e, asyncio.CancelledError):
            raise e


async def _settle(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for every task; re-raise the first error that must stop the run."""
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
            raise r
