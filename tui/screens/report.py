"""Report: per type, what was created, found already there, skipped and failed; what was
dropped or changed and why; the verify read-back; where the reports were written. Rollback
starts here: a preview first, then a confirmation (and, when someone edited a process in the
target since, a separate forced choice). So does a sync: only what changed since the last run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from tui.safe import esc as escape
from tui.safe import line
from tui.screens.base import WizardScreen
from tui.screens.dialogs import ConfirmDialog
from wizard import registry
from wizard.errors import UserError
from wizard.humanize import path_text

QUARANTINE_SHOWN = 20


def step_names(m, app) -> Callable[[object], str]:
    """A rollback step's name as the consultant knows it: the card's, board's, list's or
    label's name in the source; a comment or file by the card it belongs to; else its key."""
    if getattr(app, "item_index", None) is None:
        app.item_index = m.item_index()
    names = {r[0]: r[1] for r in app.item_index.rows}
    inv = m.inventory()
    for c in inv.containers if inv is not None else []:
        names[c.key] = c.name
        for part in ("stages", "tags", "fields", "people"):
            for obj in c.template.get(part, []):
                if obj.get("key") and obj.get("name"):
                    names[obj["key"]] = obj["name"]
    mappings = m.store.mappings
    card_of_run = {v.get("target_id"): names.get(k) for k, v in mappings.items() if v.get("kind") == "item"}

    def name(step) -> str:
        if step.key in names:
            return names[step.key]
        card = card_of_run.get((mappings.get(step.key) or {}).get("parent_id"))
        return f"{step.kind} on '{card}'" if card else step.key

    return name


class ReportScreen(WizardScreen):
    STEP = "report"
    TITLE = "Report"
    HELP = (
        "The outcome, per type, and the reports written to the migration's reports/ folder (Markdown, "
        "JSON, CSV). v reads the target back and compares (verify). u previews a rollback of what the runs "
        "created, then asks before changing anything; what existed before is never touched. s syncs: "
        "it brings over only what changed in the source since the last run (updated, new, deleted cards)."
    )
    BINDINGS = [
        Binding(
            "s",
            "sync",
            "Sync changes",
            id="sync",
            tooltip="Write only what changed in the source since the last run (asks first).",
        ),
        Binding("v", "verify", "Verify", id="verify", tooltip="Read the target back and compare."),
        Binding("u", "rollback", "Roll back…", id="rollback", tooltip="Preview, then undo what the runs created."),
        Binding("g", "regenerate", "Rewrite reports", show=False, id="regenerate"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: dict | None = None
        self.paths: list = []
        self.busy = ""
        self.built_for: int | None = None  # the app's generation the report shows

    def body(self):
        with Horizontal(id="report-main"):
            with VerticalScroll(id="report-body"):
                yield Static("… building the report", id="report-text")
            with VerticalScroll(id="report-side"):  # beside the outcome on a wide terminal
                yield Static("", id="report-side-text")
        with Horizontal(classes="buttons"):
            yield Button("Sync changes (s)", id="btn-sync", compact=True)
            yield Button("Verify (v)", id="btn-verify", variant="primary", compact=True)
            yield Button("Roll back… (u)", id="btn-rollback", variant="error", compact=True)

    def on_mount(self) -> None:
        self.built_for = self.app.generation
        self.action_regenerate()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.built_for is None or not self.is_mounted:
            return  # on_mount builds the first one
        if self.built_for != self.app.generation:  # a run, sync or rollback ended since: show its outcome
            self.built_for = self.app.generation
            self.action_regenerate()
        self._buttons()

    def can_next(self) -> bool:
        return False

    def next_blocked(self) -> str:
        return "The report is the last step: v verifies, s syncs later changes, u rolls back."

    def why_not(self, action: str) -> str:
        if action in ("verify", "rollback", "sync") and self.busy:
            return f"Wait for the {self.busy} to finish."
        if action in ("verify", "rollback") and self.app.run_active:
            return "A run is writing to the target; wait for it to end (or cancel it on the Run step)."
        if action == "sync":
            return self.app.sync_blocked()
        return super().why_not(action)

    def _buttons(self) -> None:
        for bid, action in (("btn-sync", "sync"), ("btn-verify", "verify"), ("btn-rollback", "rollback")):
            self.query_one(f"#{bid}", Button).disabled = not self.check_action(action, ())
        self.refresh_bindings()

    @on(Button.Pressed, "#btn-sync")
    def action_sync(self) -> None:
        if not self.busy:
            self.app.request_sync()

    def action_regenerate(self) -> None:
        self._build()

    @work(exclusive=True, group="report", exit_on_error=False)
    async def _build(self) -> None:
        try:
            self.report, self.paths = await asyncio.to_thread(self.app.migration.report)
        except UserError as e:
            self.query_one("#report-text", Static).update(f"✗ {escape(e.sentence)}")
            return
        self._show()
        self._buttons()

    def on_resize(self) -> None:
        if self.report is not None:
            self._show()

    def _show(self) -> None:
        main, side = self.describe_parts()
        if self.app.size.width >= 120:
            self.query_one("#report-text", Static).update(main)
            self.query_one("#report-side-text", Static).update(side)
        else:
            self.query_one("#report-text", Static).update(main + "\n\n" + side)

    def last_job(self) -> tuple[str, dict[str, dict[str, int]]]:
        """What the latest run or sync did, per count and type: this session's summary when
        there is one, else what the store kept of the last one (it does not say which it was)."""
        summary = self.app.run_summary
        if summary is not None:
            counts = {k: dict(getattr(summary, k)) for k in ("updated", "deleted", "created", "skipped", "failed")}
            return ("Last sync" if self.app.last_job == "sync" else "Last run"), counts
        last = self.app.migration.store.meta.get("last_run") or {}
        return "Last run or sync", {
            k: dict(last.get(k) or {}) for k in ("updated", "deleted", "created", "skipped", "failed")
        }

    def describe(self) -> str:
        main, side = self.describe_parts()
        return main + "\n\n" + side

    def describe_parts(self) -> tuple[str, str]:
        """The outcome (counts, verify, files), and beside it what needs a look (failures,
        losses, open conflicts)."""
        r = self.report or {}
        lines = [
            (
                f"[b]{escape(r.get('migration', ''))}[/]: {r.get('source')} → {r.get('target')} · "
                f"state [b]{r.get('state')}[/]"
            ),
            f"Folder: {escape(path_text(self.app.migration.folder))}",
            "",
            f"{'type':<11}{'in source':>10}{'created':>9}{'already':>9}{'skipped*':>9}{'failed':>8}",
        ]
        for k, v in r.get("per_type", {}).items():
            lines.append(
                f"{k:<11}{v['in_source']:>10,}{v['created']:>9,}{v['already_there']:>9,}"
                f"{v.get('skipped', 0):>9,}{v['failed']:>8,}"
            )
        lines.append("* skipped: in the last run or sync")
        title, counts = self.last_job()
        if any(counts.values()) or self.app.run_summary is not None:
            total = {k: sum(v.values()) for k, v in counts.items()}
            cards = counts["updated"].get("item", 0)
            lines += [
                "",
                f"[b]{title}[/]: ↻ updated {total['updated']:,}"
                + (f" ({cards:,} cards)" if cards and cards != total["updated"] else "")
                + f", − deleted {total['deleted']:,}, ✓ created {total['created']:,}, "
                f"↷ skipped {total['skipped']:,}, ✗ failed {total['failed']:,}",
            ]
        gone = self.app.migration.store.meta.get("source_deletions") or []
        if gone:
            lines.append(
                f"  {len(gone):,} deleted or archived in the source and kept in the target "
                "(the plan does not apply source deletions)"
            )
        side: list[str] = []
        q = r.get("quarantined", [])
        side += [f"[b]Failed, quarantined with the reason[/]: {len(q)}" + ("" if q else " ✓")]
        side += [
            f"  ✗ {escape(str(x.get('key')))} ({x.get('kind')}): {escape(str(x.get('reason')))}"
            for x in q[:QUARANTINE_SHOWN]
        ]
        if len(q) > QUARANTINE_SHOWN:
            side.append(f"  … and {len(q) - QUARANTINE_SHOWN} more in reports/report.csv")
        d = r.get("dropped_or_changed", [])
        if d:
            side += ["", "[b]Dropped or changed, and why[/]"]
            side += [f"  ⚠ {escape(x['what'])}: {escape(x['why'])}" for x in d]
        oc = r.get("open_conflicts", [])
        if oc:
            side += ["", f"[b]Conflicts waiting for a decision[/]: {len(oc)} (see the Conflicts step)"]
        v = r.get("verify")
        lines += ["", "[b]Verify[/] (read back from the target)"]
        if not v:
            lines.append("  not run yet: press v")
        else:
            for k, c in v["kinds"].items():
                ok = "✓ ok" if not c["missing"] and not c["duplicated"] else "✗ mismatch"
                lines.append(
                    f"  {ok:<11} {k:<11} expected {c['expected']:,} · found {c['found']:,} · "
                    f"missing {len(c['missing'])} · duplicated {len(c['duplicated'])}"
                )
        if self.paths:
            folder = self.app.migration.folder
            rel = [str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p) for p in self.paths]
            lines += ["", "[b]Written[/] in the migration folder: " + ", ".join(rel)]
        return "\n".join(lines), "\n".join(side)

    # -- verify --------------------------------------------------------------------------
    @on(Button.Pressed, "#btn-verify")
    def action_verify(self) -> None:
        if not self.busy:
            self._verify()

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def _verify(self) -> None:
        self.busy = "verify"
        self._buttons()
        self.notify("Reading the target back…", timeout=2)
        try:
            res = await self.app.migration.verify()
            self.notify(
                "✓ verify: every record found once" if res.ok else "✗ verify found differences",
                severity="information" if res.ok else "warning",
            )
        except UserError as e:
            self.notify(line(e.sentence), title="Verify failed", severity="error", markup=False)
        finally:
            self.busy = ""
            self._buttons()
        self._build()

    # -- rollback ------------------------------------------------------------------------
    @on(Button.Pressed, "#btn-rollback")
    def action_rollback(self) -> None:
        if not self.busy:
            self._rollback()

    @work(exclusive=True, group="rollback", exit_on_error=False)
    async def _rollback(self) -> None:
        m = self.app.migration
        self.busy = "rollback"
        self._buttons()
        try:
            steps = await m.rollback_preview()
            kept = sum(s.action.startswith("keep") for s in steps)
            if not steps:
                self.notify("Nothing to roll back: no run created anything.", timeout=4)
                return

            # The kept ones first: they are what the choice between y and f is about.
            shown = sorted(
                steps,
                key=lambda s: 0 if s.action.startswith("keep: edited") else 1 if s.action.startswith("keep") else 2,
            )

            name = await asyncio.to_thread(step_names, m, self.app)

            def fetch(text: str, offset: int, limit: int):
                rows = (
                    [s for s in shown if text.lower() in (s.action + s.target_type + s.key + name(s)).lower()]
                    if text
                    else shown
                )
                return len(rows), [(s.target_type, name(s), s.action) for s in rows[offset : offset + limit]]

            target = registry.label(m.plan.target.system)
            if kept:
                summary = (
                    f"Preview: {len(steps) - kept:,} to remove, {kept:,} kept (listed first): edited in "
                    f"{target} after the run, or holding a kept process. y rolls back and leaves the kept ones "
                    f"as they are; f removes them too, and their edits in {target} are lost. What existed "
                    "before the runs is never touched. Nothing has changed yet."
                )
            else:
                summary = (
                    f"Preview: {len(steps):,} to remove. What existed before the runs is never touched. "
                    "Nothing has changed yet."
                )
            choice = await self.app.push_screen_wait(
                ConfirmDialog(
                    "Roll back what the runs created?",
                    summary,
                    columns=("type", "name in the source", "action"),
                    fetch=fetch,
                    confirm_label="Roll back",
                    alternative=("force", "Remove the kept ones too (force)") if kept else None,
                )
            )
            if not choice:
                self.notify("Rollback cancelled; nothing was changed.", timeout=3)
                return
            force = choice == "force"
            counts = await m.rollback(steps, force=force)
            self.app.generation += 1
            self.built_for = self.app.generation
            self.notify(
                f"Rolled back{' (forced)' if force else ''}: {counts['removed']} removed, "
                f"{counts['restored']} restored, {counts['kept']} kept, {counts['already gone']} already gone.",
                timeout=6,
            )
        except UserError as e:
            self.notify(line(e.sentence), title="Rollback stopped", severity="error", markup=False)
        finally:
            self.busy = ""
            self._buttons()
        self._build()
