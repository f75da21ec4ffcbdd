"""Items already in the target, and items changed since the last run (sync): the conflict
rules of wizard/engine/conflicts.py applied to the run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from wizard.call_errors import RecordRejected
from wizard.engine.conflicts import _epoch, decision_for, queue, resolve
from wizard.engine.journalled import RunJournal
from wizard.engine.matching import ItemMatcher
from wizard.engine.preflight import source_view
from wizard.events import LogLine, ObjectMigrated
from wizard.model import FieldDef, Item, Template
from wizard.plan import Plan
from wizard.store import Store
from wizard.target import Assignees, ContainerCtx, TargetItem
from wizard.target_copies import keep

EDIT_TOLERANCE_S = 2.0


class ItemHost(Protocol):
    """What the conflict rules ask of the part of the run that writes items."""

    async def matcher_for(self, ctx: ContainerCtx, *, fresh: bool = False) -> ItemMatcher: ...

    def assignees(self, item: Item) -> Assignees: ...

    async def settle(self, item: Item, item_id: str, ctx: ContainerCtx) -> None: ...


class ConflictRules:
    """Decides, per item met in the target, what the run does to it, and keeps the sync's
    account of what the source no longer holds."""

    def __init__(self, journal: RunJournal, plan: Plan, host: ItemHost) -> None:
        self.journal = journal
        self.plan = plan
        self.host = host
        self.seen: set[str] = set()  # items this run met in the source
        self.archived_in_source: list[str] = []  # migrated items the source has archived since
        self.source_deletions: list[str] = []  # migrated items gone from the source, left in the target

    @property
    def store(self) -> Store:
        return self.journal.store

    async def resolve_existing(self, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef], tpl: Template) -> bool:
        """An item for this source item may exist already (the container was there before us,
        or the plan matches by name). True when the conflict rules took care of it."""
        template_preexisted = (self.store.target_of(tpl.key) or {}).get("created") is False
        if not (template_preexisted or self.plan.conflicts.match_by_name):
            return False
        found = (await self.host.matcher_for(ctx)).match(
            item.key, self.journal.target.item_name(item.name), by_name=self.plan.conflicts.match_by_name
        )
        if found.clash:
            self._name_clash(item, found.clash)
        if found.item is None:
            return False
        await self.apply_conflict(item, found.item, ctx, fields, tpl, found.how, ours=False)
        return True

    def _name_clash(self, item: Item, other: str) -> None:
        """Two source items with one name: the target's item went to the first; this one gets
        its own, and the report says so."""
        clash = {"key": item.key, "name": item.name, "other": other}
        self.journal.sink.emit(
            LogLine(
                "warning",
                f"{item.key}: an item with the same name is already matched to {other}; this one gets its own",
            )
        )
        clashes = [c for c in self.store.meta.get("name_clashes", []) if c.get("key") != item.key]
        self.store.set_meta(name_clashes=[*clashes, clash])

    async def update_item(
        self, item: Item, mapped: Mapping[str, Any], ctx: ContainerCtx, fields: dict[str, FieldDef], tpl: Template
    ) -> None:
        """Sync: the item changed in the source since we wrote it."""
        target = self.journal.target
        existing, latest = await target.item_activity(str(mapped["target_id"]))
        if existing is None:
            self.journal.sink.emit(LogLine("warning", f"{item.key}: it is gone from the target; not recreated"))
            return
        ours = self.store.last_write.get(existing.id, mapped.get("at"))
        # Anything anyone did in it counts: an edit, a stage completed or reopened, a comment, a file.
        edited = _epoch(latest) > _epoch(ours) + target.clock_skew + EDIT_TOLERANCE_S
        if not edited:
            await self._write_update(item, existing, ctx, fields, merge=False, mapped=mapped)
            return
        await self.apply_conflict(
            item, existing, ctx, fields, tpl, "changed on both sides since the last run", ours=True
        )

    async def revisit(
        self, item: Item, mapped: Mapping[str, Any], ctx: ContainerCtx, fields: dict[str, FieldDef], tpl: Template
    ) -> bool:
        """An item a conflict already settled. Skipped: nothing is written to it, on this run
        or any other, unless the decision has changed since. Overwritten or merged: a new
        decision to overwrite or merge is applied. True when the item needs nothing else."""
        how = Store.how(mapped)
        strategy = decision_for(self.store, item.key) or self.plan.conflicts.strategy_for("item")
        wanted = {"overwrite": "overwritten", "merge": "merged"}.get(strategy)
        if how == "skipped" and strategy in ("skip", "manual"):
            self.journal.skip(item.key, "item", "kept as it is in the target (conflict: skip)")
            return True
        if how == "skipped" or (wanted and wanted != how and how in ("overwritten", "merged")):
            existing = await self.journal.target.read_item(str(mapped["target_id"]))
            if existing is None:
                self.journal.sink.emit(LogLine("warning", f"{item.key}: it is gone from the target; not recreated"))
                return True
            await self.apply_conflict(item, existing, ctx, fields, tpl, "decided again since the last run", ours=False)
            return True
        return False

    async def apply_conflict(
        self,
        item: Item,
        existing: TargetItem,
        ctx: ContainerCtx,
        fields: dict[str, FieldDef],
        tpl: Template,
        reason: str,
        *,
        ours: bool,
    ) -> None:
        decided = decision_for(self.store, item.key)
        strategy = decided or self.plan.conflicts.strategy_for("item")
        action = resolve(strategy, item.updated_at, existing.updated_at)
        mapped = self.store.target_of(item.key)
        if action == "queue":
            # A pre-flight scan's record (both sides field by field) is kept; otherwise the names.
            queue(
                self.store,
                item.key,
                "item",
                existing.id,
                reason,
                source_view(item, tpl),
                {"name": existing.name, "updated": existing.updated_at},
            )
            self.journal.skip(item.key, "item", f"conflict waiting for a decision: {reason}")
            return
        if action == "skip":
            if ours:
                self._done_item(item, existing.id, ctx, how=Store.how(mapped or {}), mapped=mapped)
                self.journal.skip(item.key, "item", f"{reason}; the target's version is kept")
            else:
                self._done_item(item, existing.id, ctx, how="skipped", mapped=mapped)
                self._resolved("skipped", item.key, existing.id)
            return
        gate = self.journal.target.gate
        since = gate.mark()
        await self._write_update(item, existing, ctx, fields, merge=action == "merge", mapped=mapped, ours=ours)
        if not ours:
            await self.host.settle(item, existing.id, ctx)
        if gate.dry_run:
            # A dry run names, on each write, the decision it depends on.
            gate.annotate(since, item.key, f" — conflict: {action} ({'decided' if decided else 'plan default'})")

    def _done_item(
        self,
        item: Item,
        item_id: str,
        ctx: ContainerCtx,
        *,
        how: str,
        prior: dict[str, Any] | None = None,
        mapped: Mapping[str, Any] | None = None,
    ) -> None:
        """Journal what this folder did to the target's item. One it created stays created;
        one it changed before keeps the prior values of the first change, so a second
        overwrite never makes the first one's result look like the client's."""
        if mapped:
            prior = mapped.get("prior") or prior
            if mapped.get("created"):
                how = "created"
        self.store.done(
            item.key,
            "item",
            "item",
            item_id,
            created=how == "created",
            how=how,
            prior=prior,
            hash=item.content_hash(),
            parent_id=ctx.container_id,
        )

    def _resolved(self, how: str, key: str, item_id: str) -> None:
        self.journal.summary.resolved[how] += 1
        self.journal.summary.existing["item"] += 1
        self.journal.sink.emit(ObjectMigrated("item", key, item_id, created=False))

    async def _write_update(
        self,
        item: Item,
        existing: TargetItem,
        ctx: ContainerCtx,
        fields: dict[str, FieldDef],
        *,
        merge: bool,
        mapped: Mapping[str, Any] | None,
        ours: bool = True,
    ) -> None:
        target = self.journal.target
        # A copy of someone else's item, kept before it is changed (the first copy wins); what
        # this folder created is removed on rollback, so needs none.
        ours_to_remove = bool(mapped and mapped.get("created"))
        copy = not (target.gate.dry_run or ours_to_remove)
        before = keep(self.store.folder, item.key, existing) if copy else existing.prior
        try:
            wrote = await target.update_item(item, existing, ctx, fields, self.host.assignees(item), merge=merge)
        except RecordRejected as e:
            self.journal.quarantine(item.key, "item", f"{target.label} refused the update ({e})")
            return
        how = "merged" if merge else "overwritten"
        prior = {**existing.prior, **before}  # what the update added (a placing's flips), then the first copy
        self._done_item(item, existing.id, ctx, how=how, prior=prior, mapped=mapped)
        if ours:
            (self.journal.summary.updated if wrote else self.journal.summary.existing)["item"] += 1
            self.journal.sink.emit(ObjectMigrated("item", item.key, existing.id, created=False))
        else:
            self._resolved(how, item.key, existing.id)

    async def finish_sync(self, ctx: ContainerCtx) -> None:
        """Items gone from the source: reported, and removed from the target only when the
        plan says so."""
        gone = [
            k
            for k, m in self.store.mappings.items()
            if m.get("kind") == "item" and m.get("parent_id") == ctx.container_id and k not in self.seen
        ]
        gone += self.archived_in_source
        for key in gone:
            m = self.store.target_of(key)
            if not m:
                continue
            if self.plan.conflicts.apply_source_deletions and m.get("created"):
                tt = str(m.get("target_type") or "item")
                how = await self.journal.target.remove(tt, str(m["target_id"]))
                self.store.undone(key, tt, m["target_id"], f"{how}: deleted in the source")
                self.journal.summary.deleted["item"] += 1
            else:
                self.source_deletions.append(key)
        # Set even when empty: a clean sync must clear what an earlier one reported.
        self.store.set_meta(source_deletions=sorted(set(self.source_deletions)))
