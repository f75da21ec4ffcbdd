"""What every wizard step shares: the step bar, Back (Escape), Next (n) enabled only when
the step is valid, and the footer."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from tui.widgets.stepbar import StepBar


class WizardScreen(Screen):
    STEP = ""
    HELP = ""
    AUTO_FOCUS = ".paged-table, #shape-table, DataTable, SelectionList"
    BINDINGS = [
        Binding("escape", "back", "Back", id="back", tooltip="The previous step; nothing is lost."),
        Binding("n", "next", "Next", id="next", tooltip="The next step, once this one is done."),
    ]

    def compose(self):
        m = self.app.migration
        yield StepBar(self.STEP, m.plan.name if m is not None else "")
        yield from self.body()
        yield Footer(compact=True)

    def body(self):
        return iter(())

    # -- Next / Back ---------------------------------------------------------------------
    def can_next(self) -> bool:
        return True

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "next":
            return True if self.can_next() else None
        return True

    def action_next(self) -> None:
        if not self.can_next():
            return
        from tui.app import STEPS

        i = STEPS.index(self.STEP)
        if i + 1 < len(STEPS):
            self.app.goto(STEPS[i + 1])

    def action_back(self) -> None:
        self.app.go_back(self.STEP)

    def on_screen_resume(self) -> None:
        self.refresh_bindings()
        refresh = getattr(self, "refresh_model", None)
        if refresh is not None:
            refresh()
