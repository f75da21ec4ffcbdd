"""Processes already in the target, and cards changed since the last run (sync): the
conflict rules of wizard/engine/conflicts.py applied to the run."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wizard.engine.conflicts import _epoch, decision_for, queue, resolve
from wizard.engine.journalled import JournalledWriter
from wizard.engine.preflight import source_view
from wizard.events import LogLine, ObjectMigrated
from wizard.http import RecordRejected
from wizard.model import FieldDef, Item, Template
from wizard.store import Store
from wizard.target import TemplateCtx

EDIT_TOLERANCE_S = 2.0


def prior_values(run: dict) -> dict:
    """What an overwrite or a merge may change on a process someone else made: kept in the
    journal so rollback can put it back."""
    return {"name": run.get("name"), "summary": run.get("summary"), "prerun": dict(run.get("prerun") or {})}


class ConflictRules(JournalledWriter):
    """Mixed into RunExecutor; uses its matcher_for, _owners and settle."""

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
        found = (await self.matcher_for(ctx)).match(
            item.key, self.target.run_name(item.name), by_name=self.plan.conflicts.match_by_name
        )
        if found.clash:
            self._name_clash(item, found.clash)
        if found.run is None:
            return False
        await self.apply_conflict(item, found.run, ctx, fields, tpl, found.how, ours=False)
        return True

    def _name_clash(self, item: Item, other: str) -> None:
        """Two cards with one name: the process went to the first; this one gets its own,
        and the report says so."""
        clash = {"key": item.key, "name": item.name, "other": other}
        self.sink.emit(
            LogLine(
                "warning",
                f"{item.key}: a process with the same name is already matched to {other}; "
                f"this card gets its own process",
            )
        )
        clashes = [c for c in self.store.meta.get("name_clashes", []) if c.get("key") != item.key]
        self.store.set_meta(name_clashes=[*clashes, clash])

    async def update_item(
        self, item: Item, mapped: dict, ctx: TemplateCtx, fields: dict[str, FieldDef], tpl: Template
    ) -> None:
        """Sync: the card changed in the source since we wrote it."""
        run, latest = await self.target.activity(mapped["target_id"])
        if run is None:
            self.sink.emit(LogLine("warning", f"{item.key}: its process is gone from the target; not recreated"))
            return
        skew = getattr(getattr(self.target, "client", None), "clock_skew", 0.0)
        ours = self.store.last_write.get(run["id"], mapped.get("at"))
        # Anything anyone did in it counts: an edit, a task completed or reopened, a comment, a file.
        edited = _epoch(latest) > _epoch(ours) + skew + EDIT_TOLERANCE_S
        if not edited:
            await self._write_update(item, run, ctx, fields, tpl, merge=False, mapped=mapped)
            return
        await self.apply_conflict(item, run, ctx, fields, tpl, "changed on both sides since the last run", ours=True)

    async def revisit(
        self, item: Item, mapped: dict, ctx: TemplateCtx, fields: dict[str, FieldDef], tpl: Template
    ) -> bool:
        """A process a conflict already settled. Skipped: nothing is written to it, on this run
        or any other, unless the decision has changed since. Overwritten or merged: a new
        decision to overwrite or merge is applied. True when the card needs nothing else."""
        how = Store.how(mapped)
        strategy = decision_for(self.store, item.key) or self.plan.conflicts.strategy_for("item")
        wanted = {"overwrite": "overwritten", "merge": "merged"}.get(strategy)
        if how == "skipped" and strategy in ("skip", "manual"):
            self._skip(item.key, "item", "kept as it is in the target (conflict: skip)")
            return True
        if how == "skipped" or (wanted and wanted != how and how in ("overwritten", "merged")):
            run = await self.target.get_run(mapped["target_id"])
            if run is None:
                self.sink.emit(LogLine("warning", f"{item.key}: its process is gone from the target; not recreated"))
                return True
            await self.apply_conflict(item, run, ctx, fields, tpl, "decided again since the last run", ours=False)
            return True
        return False

    async def apply_conflict(
        self,
        item: Item,
        run: dict,
        ctx: TemplateCtx,
        fields: dict[str, FieldDef],
        tpl: Template,
        reason: str,
        *,
        ours: bool,
    ) -> None:
        decided = decision_for(self.store, item.key)
        strategy = decided or self.plan.conflicts.strategy_for("item")
        action = resolve(strategy, item.updated_at, run.get("updated_at"))
        mapped = self.store.target_of(item.key)
        if action == "queue":
            # A pre-flight scan's record (both sides field by field) is kept; otherwise the names.
            queue(
                self.store,
                item.key,
                "item",
                run["id"],
                reason,
                source_view(item, tpl),
                {"name": run.get("name"), "updated": run.get("updated_at")},
            )
            self._skip(item.key, "item", f"conflict waiting for a decision: {reason}")
            return
        if action == "skip":
            if ours:
                self._done_item(item, run["id"], ctx, how=Store.how(mapped or {}), mapped=mapped)
                self._skip(item.key, "item", f"{reason}; the target's version is kept")
            else:
                self._done_item(item, run["id"], ctx, how="skipped", mapped=mapped)
                self._resolved("skipped", item.key, run["id"])
            return
        start = len(getattr(self.target, "actions", []))
        await self._write_update(item, run, ctx, fields, tpl, merge=action == "merge", mapped=mapped, ours=ours)
        if not ours:
            await self.settle(item, run["id"], ctx)
        if getattr(self.target, "dry_run", False):
            # A dry run names, on each write, the decision it depends on.
            note = f" — conflict: {action} ({'decided' if decided else 'plan default'})"
            acts = self.target.actions
            for i in range(start, len(acts)):
                if acts[i].key == item.key:
                    acts[i] = replace(acts[i], what=acts[i].what + note)

    def _done_item(
        self,
        item: Item,
        run_id: str,
        ctx: TemplateCtx,
        *,
        how: str,
        prior: dict | None = None,
        mapped: dict | None = None,
    ) -> None:
        """Journal what this folder did to the card's process. A process it created stays
        created; one it changed before keeps the prior values of the first change, so a
        second overwrite never makes the first one's result look like the client's."""
        if mapped:
            prior = mapped.get("prior") or prior
            if mapped.get("created"):
                how = "created"
        self.store.done(
            item.key,
            "item",
            "run",
            run_id,
            created=how == "created",
            how=how,
            prior=prior,
            hash=item.content_hash(),
            parent_id=ctx.template_id,
        )

    def _resolved(self, how: str, key: str, run_id: str) -> None:
        self.summary.resolved[how] += 1
        self.summary.existing["item"] += 1
        self.sink.emit(ObjectMigrated("item", key, run_id, created=False))

    async def _write_update(
        self,
        item: Item,
        run: dict,
        ctx: TemplateCtx,
        fields: dict[str, FieldDef],
        tpl: Template,
        *,
        merge: bool,
        mapped: dict | None,
        ours: bool = True,
    ) -> None:
        owners, placeholders = self._owners(item)
        try:
            wrote = await self.target.update(
                item,
                run,
                ctx,
                fields,
                owners,
                placeholders,
                self.plan.mapping.checklists == "field",
                tpl.key,
                merge=merge,
            )
        except RecordRejected as e:
            self._quarantine(item.key, "item", f"{self.target.label} refused the update ({e})")
            return
        how = "merged" if merge else "overwritten"
        self._done_item(item, run["id"], ctx, how=how, prior=prior_values(run), mapped=mapped)
        if ours:
            (self.summary.updated if wrote else self.summary.existing)["item"] += 1
            self.sink.emit(ObjectMigrated("item", item.key, run["id"], created=False))
        else:
            self._resolved(how, item.key, run["id"])

    async def finish_sync(self, ctx: TemplateCtx) -> None:
        """Cards gone from the source: reported, and removed from the target only when the
        plan says so."""
        gone = [
            k
            for k, m in self.store.mappings.items()
            if m.get("kind") == "item" and m.get("parent_id") == ctx.template_id and k not in self.seen
        ]
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
