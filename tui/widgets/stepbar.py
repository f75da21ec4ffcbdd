"""The top line: the migration's name and where we are in the flow, readable without colour.
It never cuts a step's name: when the full names do not fit, the steps away from here
shrink to their numbers (✓ marks the ones done)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.steps import STEP_TITLES, STEPS


class StepBar(Static):
    def __init__(self, step: str, name: str = "") -> None:
        super().__init__(id="stepbar")
        self.step = step
        self.migration_name = name

    def on_mount(self) -> None:
        self.update(self.render_steps())

    def on_resize(self) -> None:
        self.update(self.render_steps())

    def render_steps(self, width: int | None = None) -> Text:
        room = (width if width is not None else self.app.size.width) - 2  # the bar's padding
        here = STEPS.index(self.step) if self.step in STEPS else -1
        name = Text.assemble((self.migration_name, "bold"), " │ ") if self.migration_name else Text("")
        # Full names for every step, then for here and its neighbours, then for here alone.
        for full in (set(range(len(STEPS))), {here - 1, here, here + 1}, {here}):
            bar = name + self._steps(here, full)
            if bar.cell_len <= room:
                return bar
        return self._steps(here, {here})  # the name goes last

    @staticmethod
    def _steps(here: int, full: set[int]) -> Text:
        parts = []
        for i, s in enumerate(STEPS):
            if i == here:
                parts.append(Text(f" {i + 1} {STEP_TITLES[s]} ", style="reverse bold"))
            elif i < here:
                parts.append(Text(f"✓{STEP_TITLES[s]}" if i in full else f"✓{i + 1}"))
            else:
                parts.append(Text(f"{i + 1} {STEP_TITLES[s]}" if i in full else f"{i + 1}"))
        return Text(" › ").join(parts)
