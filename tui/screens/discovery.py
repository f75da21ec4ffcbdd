"""Discover: pick the containers (boards, workflows, pipes...) to include, then count what the
source holds, live, each in the source's own words."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, SelectionList, Static

from tui.model import human_bytes, human_duration
from tui.safe import text
from tui.screens.base import WizardScreen
from wizard.errors import UserError
from wizard.words import Nouns, nouns

KINDS = ("stage", "field", "tag", "person", "item", "comment", "attachment")


def plurals(words: Nouns) -> dict[str, str]:
    """What each counted kind is called in the source's words."""
    return {
        "person": "people",
        "stage": f"{words.stage[1]} → steps",
        "field": "custom fields",
        "tag": "labels → tags",
        "item": words.item[1],
        "comment": "comments",
        "attachment": "attachments",
    }


class DiscoveryScreen(WizardScreen):
    STEP = "discover"
    TITLE = "Discover"
    HELP = (
        "Untick the boards, workflows or pipes to leave out (saved to plan.toml as mapping.exclude), then "
        "discover: the wizard reads each included one once and counts what is there. Nothing is written anywhere."
    )
    BINDINGS = [
        Binding("d", "discover", "Discover", id="discover", tooltip="Read the included ones and count them."),
        Binding("space", "include", "Include/leave out", show=False, id="toggle"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.containers: list = []
        self.busy = False
        self.started_at: float | None = None
        self.finished_in: float | None = None

    @property
    def words(self) -> Nouns:
        """The source's own words: boards and cards, workflows and runs, pipes and cards."""
        m = self.app.migration
        return nouns("source", m.plan.source.system) if m is not None else Nouns(label="source")

    def body(self):
        with Horizontal(id="discover-body"):
            with Vertical(id="boards-pane"):
                yield Label(f"{self.words.container[1].capitalize()} to include", classes="pane-title")
                yield SelectionList(id="boards")
                yield Label(f"Loading {self.words.container[1]}…", id="boards-status", classes="hint")
            with Vertical(id="counts-pane"):
                yield Label("What the source holds", classes="pane-title")
                yield Static("", id="counts")
                yield Static("", id="discover-status")
                with Horizontal(classes="buttons"):
                    yield Button("Discover (d)", id="btn-discover", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._load_boards()
        self.refresh_model()

    @work(exclusive=True, group="boards", exit_on_error=False)
    async def _load_boards(self) -> None:
        m = self.app.migration
        try:
            self.containers = await m.containers()
        except UserError as e:
            self.query_one("#boards-status", Label).update(text(f"✗ {e.sentence}"))
            return
        excluded = set(m.plan.mapping.exclude)
        sl = self.query_one(SelectionList)
        sl.clear_options()
        for c in self.containers:
            label = text(c.name + (" (archived)" if c.closed else ""))
            sl.add_option((label, c.key, c.key not in excluded and c.id not in excluded))
        self.query_one("#boards-status", Label).update(f"{self.words.containers(len(self.containers))} · space toggles")

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self) -> None:
        m = self.app.migration
        chosen = set(self.query_one(SelectionList).selected)
        keys = [c.key for c in self.containers]
        exclude = [k for k in keys if k not in chosen]
        if exclude != list(m.plan.mapping.exclude) and self.containers:
            m.plan.mapping.exclude = exclude
            self._save()
            self.refresh_bindings()

    @work(exclusive=True, group="save-plan", exit_on_error=False)
    async def _save(self) -> None:
        await asyncio.to_thread(self.app.migration.save_plan)

    def action_include(self) -> None:
        self.query_one(SelectionList).action_select()

    @on(Button.Pressed, "#btn-discover")
    def action_discover(self) -> None:
        if not self.busy:
            self._discover()

    @work(exclusive=True, group="discover", exit_on_error=False)
    async def _discover(self) -> None:
        m = self.app.migration
        excluded = set(m.plan.mapping.exclude)
        ids = [c.id for c in self.containers if c.key not in excluded] if self.containers else None
        self.busy = True
        self.finished_in = None
        self.app.model.start()
        self.started_at = self.app.clock()
        timer = self.set_interval(0.5, self.refresh_model)
        try:
            await m.discover(ids)
            self.finished_in = self.app.clock() - self.started_at
            self.app.shapes.clear()
        except UserError as e:
            self.query_one("#discover-status", Static).update(text(f"✗ {e.sentence}"))
            return
        finally:
            timer.stop()
            self.busy = False
            self.app.model.state = "idle"
        self.refresh_model()
        self.refresh_bindings()

    def can_next(self) -> bool:
        m = self.app.migration
        return not self.busy and m is not None and m.store.inventory != {} and bool(m.store.inventory)

    def next_blocked(self) -> str:
        return "Discovery is going on; Next opens when it ends." if self.busy else "Discover first: press d."

    def why_not(self, action: str) -> str:
        if action == "discover" and self.busy:
            return "Discovery is going on."
        return super().why_not(action)

    def refresh_model(self) -> None:
        m = self.app.migration
        if self.busy:
            counts, size = self.app.model.discovery_totals()
            n = self.app.model.containers_seen
            elapsed = self.app.clock() - (self.started_at or self.app.clock())
            included = len(self.containers) - len(m.plan.mapping.exclude)
            status = f"… discovering {self.words.container[0]} {n} of {included} · {human_duration(elapsed)}"
        else:
            inv = m.inventory() if m is not None else None
            if inv is None:
                counts, size = {}, 0
                status = "Nothing discovered yet: press d."
            else:
                counts = {k: inv.total(k) for k in KINDS}
                size = inv.attachment_bytes
                took = self.finished_in if self.finished_in is not None else inv.elapsed_s
                status = (
                    f"✓ discovered {self.words.containers(len(inv.containers))} in {human_duration(took)} "
                    f"with {inv.source_calls} source calls."
                )
        said = plurals(self.words)
        lines = [f"{counts.get(k, 0):>8,}  {said[k]}" for k in KINDS]
        lines.append(f"{human_bytes(size):>8}  attachment files in total")
        self.query_one("#counts", Static).update("\n".join(lines))
        self.query_one("#discover-status", Static).update(status)
        self.query_one("#btn-discover", Button).disabled = self.busy
