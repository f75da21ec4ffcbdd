"""Report: per type, what was created, found already there, skipped and failed; what was
dropped or changed and why; the verify read-back; where the reports were written. Rollback
starts here: a preview first, then a confirmation."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.widgets import Button, Static

from tui.screens.base import WizardScreen
from tui.screens.dialogs import ConfirmDialog

QUARANTINE_SHOWN = 20


class ReportScreen(WizardScreen):
    STEP = "report"
    TITLE = "Report"
    HELP = ("The outcome, per type, and the reports written to the migration's reports/ folder (Markdown, "
            "JSON, CSV). v reads the target back and compares (verify). u previews a rollback of what the runs "
            "created, then asks before changing anything; what existed before is never touched.")
    BINDINGS = [
        Binding("v", "verify", "Verify", id="verify", tooltip="Read the target back and compare."),
        Binding("u", "rollback", "Roll back…", id="rollback", tooltip="Preview, then undo what the runs created."),
        Binding("g", "regenerate", "Rewrite reports", show=False, id="regenerate"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: dict | None = None
        self.paths: list = []
        self.busy = ""

    def body(self):
        with VerticalScroll(id="report-body"):
            yield Static("… building the report", id="report-text")
        with Horizontal(classes="buttons"):
            yield Button("Verify (v)", id="btn-verify", variant="primary", compact=True)
            yield Button("Roll back… (u)", id="btn-rollback", variant="error", compact=True)

    def on_mount(self) -> None:
        self.action_regenerate()

    def can_next(self) -> bool:
        return False

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("verify", "rollback"):
            return None if self.busy or self.app.run_active else True
        return super().check_action(action, parameters)

    def action_regenerate(self) -> None:
        self._build()

    @work(exclusive=True, group="report", exit_on_error=False)
    async def _build(self) -> None:
        from wizard.errors import UserError

        from tui.ops import make_report

        try:
            self.report, self.paths = await asyncio.to_thread(make_report, self.app.migration)
        except UserError as e:
            self.query_one("#report-text", Static).update(f"✗ {escape(e.sentence)}")
            return
        self.query_one("#report-text", Static).update(self.describe())

    def describe(self) -> str:
        r = self.report or {}
        summary = self.app.run_summary
        skipped = dict(summary.skipped) if summary is not None else {}
        lines = [f"[b]{escape(r.get('migration', ''))}[/]: {r.get('source')} → {r.get('target')} · state [b]{r.get('state')}[/]", "",
                 f"{'type':<11}{'in source':>10}{'created':>9}{'already':>9}{'skipped':>9}{'failed':>8}"]
        for k, v in r.get("per_type", {}).items():
            sk = skipped.get(k)
            lines.append(f"{k:<11}{v['in_source']:>10,}{v['created']:>9,}{v['already_there']:>9,}"
                         f"{('—' if sk is None else f'{sk:,}'):>9}{v['failed']:>8,}")
        if summary is None:
            lines.append("(skipped counts come from a run in this session)")
        q = r.get("quarantined", [])
        lines += ["", f"[b]Failed, quarantined with the reason[/]: {len(q)}" + ("" if q else " ✓")]
        lines += [f"  ✗ {escape(str(x.get('key')))} ({x.get('kind')}): {escape(str(x.get('reason')))}"
                  for x in q[:QUARANTINE_SHOWN]]
        if len(q) > QUARANTINE_SHOWN:
            lines.append(f"  … and {len(q) - QUARANTINE_SHOWN} more in reports/report.csv")
        d = r.get("dropped_or_changed", [])
        if d:
            lines += ["", "[b]Dropped or changed, and why[/]"]
            lines += [f"  ⚠ {escape(x['what'])}: {escape(x['why'])}" for x in d]
        oc = r.get("open_conflicts", [])
        if oc:
            lines += ["", f"[b]Conflicts waiting for a decision[/]: {len(oc)} (see the Conflicts step)"]
        v = r.get("verify")
        lines += ["", "[b]Verify[/] (read back from the target)"]
        if not v:
            lines.append("  not run yet: press v")
        else:
            for k, c in v["kinds"].items():
                ok = "✓ ok" if not c["missing"] and not c["duplicated"] else "✗ mismatch"
                lines.append(f"  {ok:<11} {k:<11} expected {c['expected']:,} · found {c['found']:,} · "
                             f"missing {len(c['missing'])} · duplicated {len(c['duplicated'])}")
        if self.paths:
            folder = self.app.migration.folder
            rel = [str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p) for p in self.paths]
            lines += ["", "[b]Written[/] in the migration folder: " + ", ".join(rel)]
        return "\n".join(lines)

    # -- verify --------------------------------------------------------------------------
    @on(Button.Pressed, "#btn-verify")
    def action_verify(self) -> None:
        if not self.busy:
            self._verify()

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def _verify(self) -> None:
        from wizard.errors import UserError

        from tui.ops import run_verify

        self.busy = "verify"
        self.refresh_bindings()
        self.notify("Reading the target back…", timeout=2)
        try:
            res = await run_verify(self.app.migration)
            self.notify("✓ verify: every record found once" if res.ok else "✗ verify found differences",
                        severity="information" if res.ok else "warning")
        except UserError as e:
            self.notify(e.sentence, title="Verify failed", severity="error")
        finally:
            self.busy = ""
            self.refresh_bindings()
        self._build()

    # -- rollback ------------------------------------------------------------------------
    @on(Button.Pressed, "#btn-rollback")
    def action_rollback(self) -> None:
        if not self.busy:
            self._rollback()

    @work(exclusive=True, group="rollback", exit_on_error=False)
    async def _rollback(self) -> None:
        from wizard.errors import UserError

        from tui.ops import rollback_apply, rollback_preview

        m = self.app.migration
        self.busy = "rollback"
        self.refresh_bindings()
        try:
            steps = await rollback_preview(m)
            kept = sum(s.action.startswith("keep") for s in steps)
            if not steps:
                self.notify("Nothing to roll back: no run created anything.", timeout=4)
                return

            def fetch(text: str, offset: int, limit: int):
                rows = [s for s in steps if text.lower() in (s.action + s.target_type + s.key).lower()] if text else steps
                return len(rows), [(s.action, s.target_type, s.key) for s in rows[offset:offset + limit]]

            ok = await self.app.push_screen_wait(ConfirmDialog(
                "Roll back what the runs created?",
                f"Preview: {len(steps) - kept:,} to remove, {kept:,} kept (edited in the target since, or existed "
                "before). Nothing has changed yet.",
                columns=("action", "type", "source record"), fetch=fetch, confirm_label="Roll back"))
            if not ok:
                self.notify("Rollback cancelled; nothing was changed.", timeout=3)
                return
            counts = await rollback_apply(m, steps)
            self.notify(f"Rolled back: {counts['removed']} removed, {counts['kept']} kept, "
                        f"{counts['already gone']} already gone.", timeout=6)
        except UserError as e:
            self.notify(e.sentence, title="Rollback stopped", severity="error")
        finally:
            self.busy = ""
            self.refresh_bindings()
        self._build()
