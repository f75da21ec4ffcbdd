"""Estimate: calls per side, duration with the rate-limit waits, bytes, risks; then a dry
run that records the exact action list without writing anything."""

from __future__ import annotations

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Static

from tui.model import human_bytes
from tui.safe import esc as escape
from tui.screens.base import WizardScreen
from tui.screens.dialogs import ChoiceDialog
from tui.widgets.paged_table import PagedTable
from tui.widgets.tab_strip import StripPane, TabStrip
from wizard.engine.estimate import StrategyCost, estimate
from wizard.engine.inventory import ContainerInventory
from wizard.errors import UserError
from wizard.humanize import finish_text, human_duration
from wizard.plan import COMMENT_STRATEGIES

PEOPLE_HELP = {
    "invite": "invited as members (seats)",
    "guest": "added as guests, 30 an hour",
    "placeholder": "kept as named placeholders",
    "map": "each mapped to a member",
}
STRATEGY_HELP = {
    "each": "one comment per comment",
    "digest": "one comment per item, its history",
    "field": "the history in a field, no comment",
    "recent": "the last few as comments, the rest as a digest",
}


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
        Binding(
            "c",
            "comments",
            "Comments",
            id="comments",
            tooltip="How comments land, per container, with each one's cost.",
        ),
        Binding("1", "tab('tab-estimate')", "Estimate", show=False, id="tab-estimate"),
        Binding("2", "tab('tab-dry')", "Dry run list", show=False, id="tab-dry"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.est = None
        self.busy = False
        self.dry_error = ""

    def body(self):
        with TabStrip(id="estimate-tabs"):
            with StripPane("1 Estimate", id="tab-estimate"):
                with VerticalScroll(id="estimate-left"):
                    yield Checkbox(
                        "Back up the source before the run writes (into backup/)",
                        self.app.backup_first,
                        id="backup-first",
                        compact=True,
                    )
                    yield Static("… estimating", id="estimate-text")
            with StripPane("2 Dry run", id="tab-dry"):
                with Horizontal(classes="row", id="dry-top"):
                    yield Button("Dry run (d)", id="btn-dry", variant="primary", compact=True)
                    yield Static("not run yet: d lists the exact actions, writing nothing.", id="dry-status")
                yield PagedTable(
                    ("method", "what", "path"), None, noun="actions", placeholder="/ filter actions…", id="actions"
                )

    @on(Checkbox.Changed, "#backup-first")
    def _backup_first(self, event: Checkbox.Changed) -> None:
        self.app.backup_first = event.value

    def on_mount(self) -> None:
        self._estimate()
        if self.app.dry_actions is not None:
            self._show_actions()
            self.query_one(TabStrip).active = "tab-dry"

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
        if est.comment_strategies:
            lines += ["", "[b]Comments[/], by strategy (c chooses, per container):"]
            for c in est.comment_strategies:
                mark = "●" if c.chosen else " "
                lines.append(
                    f"  {mark} {c.name:<7} {human_duration(c.duration_s):>14}  done {finish_text(c.duration_s, now)}"
                    f"  · {c.calls:,} calls  {escape(STRATEGY_HELP[c.name])}"
                )
        if est.people_strategies:
            lines += [
                "",
                "[b]People[/] with an email, each way for all of them (chosen per person on the mapping screen):",
            ]
            for c in est.people_strategies:
                mark = "●" if c.chosen else " "
                lines.append(
                    f"  {mark} {c.name:<11} {human_duration(c.duration_s):>14}  done {finish_text(c.duration_s, now)}"
                    f"  · {c.calls:,} calls  {escape(PEOPLE_HELP[c.name])}"
                )
        if est.risks:
            lines += ["", "[b]Risks[/]"] + [f"  ⚠ {escape(r)}" for r in est.risks]
        else:
            lines += ["", "[b]Risks[/] ✓ none found"]
        return "\n".join(lines)

    def action_comments(self) -> None:
        """Choose a comment strategy for every container, or for one: each choice shows what
        the whole run would then cost. The choice is saved to plan.toml and estimated again."""
        inv = self.app.migration.inventory()
        containers = [c for c in (inv.containers if inv else []) if c.count("comment")]
        if len(containers) > 1:
            choices = [("", "every container")] + [
                (c.key, f"{c.name} ({c.count('comment'):,} comments)") for c in containers
            ]

            def picked(key: str | None) -> None:
                if key is not None:
                    self._choose_strategy(next((c for c in containers if c.key == key), None))

            self.app.push_screen(ChoiceDialog("Comments: which container?", choices), picked)
        else:
            self._choose_strategy(None)

    def _choose_strategy(self, container: ContainerInventory | None) -> None:
        plan = self.app.migration.plan
        mapping = plan.mapping
        inv = self.app.migration.inventory()
        current = mapping.comment_strategy(container.key, container.id) if container else mapping.comments
        costs = {c.name: c for c in self.est.comment_strategies} if self.est is not None else {}
        if container is not None and inv is not None:  # what the whole run costs with this container's choice
            costs = {name: self._with(plan, inv, container.key, name) for name in COMMENT_STRATEGIES}
        now = self.app.clock()
        choices = [
            (name, f"{name}: {costs[name].text(now)} · {STRATEGY_HELP[name]}" if name in costs else name)
            for name in COMMENT_STRATEGIES
        ]

        def chosen(name: str | None) -> None:
            if name is None:
                return
            if container is None:
                mapping.comments = name
                mapping.comments_by_container.clear()
            else:
                mapping.comments_by_container[container.key] = name
            self._save_plan(f"comments of {container.name if container else 'every container'} → {name}")

        where = f"'{container.name}'" if container else "every container"
        self.app.push_screen(ChoiceDialog(f"How the comments of {where} land", choices, current), chosen)

    @staticmethod
    def _with(plan, inv, key: str, name: str) -> StrategyCost:
        mapping = plan.mapping.model_copy(
            update={"comments_by_container": {**plan.mapping.comments_by_container, key: name}}
        )
        alt = estimate(plan.model_copy(update={"mapping": mapping}), inv, side_by_side=False)
        return StrategyCost(name=name, calls=alt.source_total + alt.target_total, duration_s=alt.duration_s)

    def plan_saved(self) -> None:
        self._estimate()

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
        self.query_one(TabStrip).active = "tab-dry"
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
