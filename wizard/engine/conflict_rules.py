"""Processes already in the target, and cards changed since the last run (sync): the
conflict rules of wizard/engine/conflicts.py applied to the run."""

from __future__ import annotations

from typing import Any

from wizard.engine.conflicts import _epoch, decision_for, queue, resolve
from wizard.engine.journalled import JournalledWriter
from wizard.events import LogLine, ObjectMigrated
from wizard.http import RecordRejected
from wizard.model import FieldDef, Item, Template
from wizard.target import TemplateCtx

EDIT_TOLERANCE_S = 2.0


class ConflictRules(JournalledWriter):
    """Mixed into RunExecutor; uses its _run_index, _owners and settle."""

    plan: Any
    seen: set[str]
    archived_in_source: list[str]
    source_deletions: list[str]

    async def resolve_existing(self, item: Item, ctx: TemplateCtx, fields: dict[str, FieldDef], tpl: Template) -> bool:
        """A process for this card may exist already (the template was there before us, or the
        plan matches by name). True when the conflict rules took care of the card."""
        template_preexisted = (self.store.target_of(tpl.key) or {}).get("created") is False
        if not (template_preexisted or self.plan.conflicts.match_by_name):
            return False
        by_marker, by_name = await self._run_index(ctx)
        run = by_marker.get(item.key)
        how = "already in the target (provenance marker)"
        if run is None and self.plan.conflicts.match_by_name:
            run = by_name.get(item.name.strip().lower())
            how = "a process with the same name is already in the template"
        if run is None:
            return False
        await self.apply_conflict(item, run, ctx, fields, tpl, how, ours=False)
        return True

    async def update_item(self, item: Item, mapped: dict, ctx: TemplateCtx, fields: dict[str, FieldDef],
                          tpl: Template) -> None:
        """Sync: the card changed in the source since we wrote it."""
        run = await self.target.get_run(mapped["target_id"])
        if run is None:
            self.sink.emit(LogLine("warning", f"{item.key}: its process is gone from the target; not recreated"))
            return
        skew = getattr(getattr(self.target, "client", None), "clock_skew", 0.0)
        ours = self.store.last_write.get(run["id"], mapped.get("at"))
        edited = _epoch(run.get("updated_at")) > _epoch(ours) + skew + EDIT_TOLERANCE_S
        if not edited:
            await self._write_update(item, run, ctx, fields, tpl, merge=False, created=mapped.get("created", True))
            return
        await self.apply_conflict(item, run, ctx, fields, tpl, "changed on both sides since the last run", ours=True)

    async def apply_conflict(self, item: Item, run: dict, ctx: TemplateCtx, fields: dict[str, FieldDef],
                             tpl: Template, reason: str, *, ours: bool) -> None:
        decided = decision_for(self.store, item.key)
        strategy = decided or self.plan.conflicts.strategy_for("item")
        action = resolve(strategy, item.updated_at, run.get("updated_at"))
        created = (self.store.target_of(item.key) or {}).get("created", False) if ours else False
        if action == "queue":
            queue(self.store, item.key, "item", run["id"], reason,
                  {"name": item.name, "stage": item.stage_key, "updated": str(item.updated_at or "")},
                  {"name": run.get("name"), "stage": run.get("current_step", ""), "updated": run.get("updated_at")})
            self._skip(item.key, "item", f"conflict waiting for a decision: {reason}")
            return
        if action == "skip":
            if not ours:
                self.store.done(item.key, "item", "run", run["id"], created=False, hash=item.content_hash())
                self._count("item", run["id"], created=False, key=item.key)
            else:
                self.store.done(item.key, "item", "run", run["id"], created=created, hash=item.content_hash())
                self._skip(item.key, "item", f"{reason}; the target's version is kept")
            return
        await self._write_update(item, run, ctx, fields, tpl, merge=action == "merge", created=created)
        if not ours:
            await self.settle(item, run["id"], ctx)

    async def _write_update(self, item: Item, run: dict, ctx: TemplateCtx, fields: dict[str, FieldDef], tpl: Template,
                            *, merge: bool, created: bool) -> None:
        owners, placeholders = self._owners(item)
        try:
            wrote = await self.target.update(item, run, ctx, fields, owners, placeholders,
                                             self.plan.mapping.checklists == "field", tpl.key, merge=merge)
        except RecordRejected as e:
            self._quarantine(item.key, "item", f"{self.target.label} refused the update ({e})")
            return
        self.store.done(item.key, "item", "run", run["id"], created=created, hash=item.content_hash(),
                        parent_id=ctx.template_id)
        if wrote:
            self.summary.updated["item"] += 1
        else:
            self.summary.existing["item"] += 1
        self.sink.emit(ObjectMigrated("item", item.key, run["id"], created=False))

    async def finish_sync(self, ctx: TemplateCtx) -> None:
        """Cards gone from the source: reported, and removed from the target only when the
        plan says so."""
        gone = [k for k, m in self.store.mappings.items()
                if m.get("kind") == "item" and m.get("parent_id") == ctx.template_id and k not in self.seen]
        gone += self.archived_in_source
        for key in gone:
            m = self.store.target_of(key)
            if not m:
                continue
            if self.plan.conflicts.apply_source_deletions and m.get("created"):
                how = await self.target.remove("run", m["target_id"])
                self.store.undone(key, "run", m["target_id"], f"{how}: deleted in the source")
                self.summary.deleted["item"] += 1
            else:
                self.source_deletions.append(key)
        # Set even when empty: a clean sync must clear what an earlier one reported.
        self.store.set_meta(source_deletions=sorted(set(self.source_deletions)))
