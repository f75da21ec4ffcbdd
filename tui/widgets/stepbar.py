"""The top line: the migration's name and where we are in the flow, readable without colour."""

from __future__ import annotations

from textual.widgets import Static

from tui.app import STEP_TITLES, STEPS


class StepBar(Static):
    def __init__(self, step: str, name: str = "") -> None:
        super().__init__(id="stepbar")
        self.step = step
        self.migration_name = name

    def on_mount(self) -> None:
        self.update(self.render_steps())

    def render_steps(self) -> str:
        here = STEPS.index(self.step) if self.step in STEPS else -1
        wide = self.app.size.width >= 120
        parts = []
        for i, s in enumerate(STEPS):
            title = STEP_TITLES[s] if wide or i == here else STEP_TITLES[s][:4]
            if i == here:
                parts.append(f"[reverse b] {i + 1} {STEP_TITLES[s]} [/]")
            elif i < here:
                parts.append(f"✓{title}")
            else:
                parts.append(f"{i + 1} {title}")
        name = f"[b]{self.migration_name}[/] │ " if self.migration_name else ""
        return name + " › ".join(parts)
