"""Estimate: calls per side, duration with the rate-limit waits, bytes, risks; then a dry
run that records the exact action list without writing anything."""

from __future__ import annotations

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static, TabbedContent, TabPane

from tui.model import human_bytes
from tui.safe import esc as escape
from tui.screens.base import WizardScreen
from tui.widgets.paged_table import PagedTable
from wizard.errors import UserError


class EstimateScreen(WizardScreen):
    STEP = "estimate"
    TITLE = "Estimate"
    HELP = (
        "What the run will cost before anything is written: API calls on each side, how long it takes "
        "including rate-limit waits, bytes to move, and risks. The dry run (d) runs the whole plan against "
        "a recording target and lists every call it would make; nothing is written."
    )
    BINDINGS = [
        Binding("d", "dry_run", "Dry run", id="dry-run", tooltip="Record the exact action list; write nothing."),
        Binding("1", "tab('tab-estimate')", "Estimate", show=False, id="tab-estimate"),
        Binding("2", "tab('tab-dry')", "Dry run list", show=False, id="tab-dry"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.est = None
        self.busy = False
        self.dry_error = ""

    def body(self):
        with TabbedContent(id="estimate-tabs"):
            with TabPane("1 Estimate", id="tab-estimate"):
                with VerticalScroll(id="estimate-left"):
                    yield Static("… estimating", id="estimate-text")
            with TabPane("2 Dry run", id="tab-dry"):
                with Horizontal(classes="row", id="dry-top"):
                    yield Button("Dry run (d)", id="btn-dry", variant="primary", compact=True)
                    yield Static("not run yet: d lists the exact actions, writing nothing.", id="dry-status")
                yield PagedTable(
                    ("method", "what", "path"), None, noun="actions", placeholder="/ filter actions…", id="actions"
                )

    def on_mount(self) -> None:
        self._estimate()
        if self.app.dry_actions is not None:
            self._show_actions()
            self.query_one(TabbedContent).active = "tab-dry"

    @work(exclusive=True, group="estimate", exit_on_error=False)
    async def _estimate(self) -> None:
        try:
            self.est = await self.app.migration.estimate()
        except UserError as e:
            self.query_one("#estimate-text", Static).update(f"✗ {escape(e.sentence)}")
            return
        self.query_one("#estimate-text", Static).update(self.describe(self.est, self.app.clock()))

    @staticmethod
    def describe(est, now: float | None = None) -> str:
        lines = ["[b]API calls[/]"]
        for side, calls, total in (
            ("source", est.source_calls, est.source_total),
            ("target", est.target_calls, est.target_total),
        ):
            lines.append(f"  {side}: [b]{total:,}[/]")
            lines += [f"    {v:>7,}  {escape(k)}" for k, v in calls.items()]
        lines += [
            "",
            f"[b]Writes[/] {est.target_writes:,} · [b]Bytes[/] {human_bytes(est.bytes_to_move)}",
            "",
            f"[b]Duration[/] {escape(est.headline(now))}, because:",
        ]
        lines += [f"  • {escape(w)}" for w in est.duration_why]
        if est.risks:
            lines += ["", "[b]Risks[/]"] + [f"  ⚠ {escape(r)}" for r in est.risks]
        else:
            lines += ["", "[b]Risks[/] ✓ none found"]
        return "\n".join(lines)

    @on(Button.Pressed, "#btn-dry")
    def action_dry_run(self) -> None:
        if not self.busy and not self.app.run_active:
            self._dry_run()

    def why_not(self, action: str) -> str:
        if action == "dry_run":
            if self.busy:
                return "The dry run is going on; its list appears when it ends."
            if self.app.run_active:
                return "A run is writing to the target; a dry run waits until it ends."
        return super().why_not(action)

    @work(exclusive=True, group="dry-run", exit_on_error=False)
    async def _dry_run(self) -> None:
        self.busy = True
        self.refresh_bindings()
        self.query_one("#btn-dry", Button).disabled = True
        self.query_one(TabbedContent).active = "tab-dry"
        self.query_one("#dry-status", Static).update("… reading the source, recording each call")
        try:
            _, actions = await self.app.migration.run(dry_run=True)
            self.app.dry_actions = actions
        except UserError as e:
            self.query_one("#dry-status", Static).update(f"✗ {escape(e.sentence)}")
            return
        finally:
            self.busy = False
            self.app.model.state = "idle"
            self.query_one("#btn-dry", Button).disabled = False
            self.refresh_bindings()
        self._show_actions()

    def _show_actions(self) -> None:
        actions = self.app.dry_actions or []
        writes = sum(a.is_write for a in actions)
        self.query_one("#dry-status", Static).update(
            f"✓ {len(actions):,} calls, {writes:,} writes; nothing was written."
        )

        def fetch(text: str, offset: int, limit: int):
            rows = actions
            if text:
                needle = text.lower()
                rows = [
                    a
                    for a in actions
                    if needle in a.what.lower() or needle in a.path.lower() or needle in a.method.lower()
                ]
            return len(rows), [(a.method, a.what, a.path) for a in rows[offset : offset + limit]]

        self.query_one("#actions", PagedTable).set_fetch(fetch)
