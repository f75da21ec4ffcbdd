"""Start: the migrations found on this machine, their state and last activity; open one,
resume an interrupted one, or start a new one."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Select, Static

STATE_MARK = {"new": "· new", "discovered": "◇ discovered", "planned": "◆ planned", "running": "▶ running",
              "interrupted": "‖ interrupted", "finished": "✓ finished", "rolled back": "↺ rolled back"}
DEFAULT_URLS = {"trello": "https://api.trello.com/1", "tallyfy": "https://go.tallyfy.com/api",
                "asana": "https://app.asana.com/api/1.0", "clickup": "https://api.clickup.com/api/v2",
                "monday": "https://api.monday.com/v2", "pipefy": "https://api.pipefy.com",
                "processstreet": "https://public-api.process.st/api/v1.1"}


def ago(then: float, now: float) -> str:
    d = max(0, now - then)
    if d < 60:
        return "just now"
    if d < 3600:
        return f"{int(d // 60)} min ago"
    if d < 86400:
        return f"{int(d // 3600)} h ago"
    if d < 86400 * 14:
        return f"{int(d // 86400)} days ago"
    return time.strftime("%Y-%m-%d", time.gmtime(then))


def short_path(folder: Path) -> str:
    from wizard.migration import _home

    for base, label in ((_home(), "‹data›"), (Path.home(), "~")):
        try:
            return f"{label}/{Path(folder).resolve().relative_to(Path(base).resolve())}"
        except ValueError:
            continue
    return str(folder)


class StartScreen(Screen):
    """Migrations on this machine. Open one, resume one that was cut off, or start a new one."""

    TITLE = "Migrations on this machine"
    BINDINGS = [
        Binding("enter,o", "open", "Open", id="open", tooltip="Open the selected migration where it stands."),
        Binding("r", "resume", "Resume", id="resume", tooltip="Resume the selected interrupted run."),
        Binding("s", "sync", "Sync changes", id="start-sync",
                tooltip="For a finished migration: write only what changed in the source since (asks first)."),
        Binding("c", "new", "New", id="new", tooltip="Create a new migration folder."),
        Binding("f5", "reload", "Refresh", id="reload", tooltip="Look for migrations again."),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list = []

    def compose(self):
        yield Static("[b]Migration wizard[/] │ migrations on this machine", id="stepbar")
        with Vertical(id="start-body"):
            yield Label("Looking for migrations…", id="start-status")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="sessions")
            yield Static("", id="start-detail")
            with Horizontal(classes="buttons"):
                yield Button("Open (o)", id="btn-open", variant="primary", compact=True)
                yield Button("Resume (r)", id="btn-resume", compact=True)
                yield Button("Sync changes (s)", id="btn-sync", compact=True)
                yield Button("New (c)", id="btn-new", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        t = self.query_one(DataTable)
        t.add_columns("migration", "state", "from → to", "last activity")
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="sessions", exit_on_error=False)
    async def _load(self) -> None:
        from wizard.migration import known_sessions

        self.sessions = await asyncio.to_thread(known_sessions)
        now = self.app.clock()
        t = self.query_one(DataTable)
        t.clear()
        for s in self.sessions:
            t.add_row(s.name, STATE_MARK.get(s.state, s.state), f"{s.source} → {s.target}", ago(s.last_activity, now))
        n = len(self.sessions)
        self.query_one("#start-status", Label).update(
            f"{n} migration{'s' if n != 1 else ''} found." if n else "No migration yet: press c to start one.")
        self._detail()
        self.refresh_bindings()
        if n:
            t.focus()

    def selected(self):
        t = self.query_one(DataTable)
        return self.sessions[t.cursor_row] if self.sessions and 0 <= t.cursor_row < len(self.sessions) else None

    @on(DataTable.RowHighlighted)
    def _detail(self) -> None:
        s = self.selected()
        hint = {"interrupted": "  ·  r resumes the interrupted run", "finished": "  ·  s syncs what changed since"}
        text = f"{short_path(s.folder)}{hint.get(s.state, '')}" if s else ""
        self.query_one("#start-detail", Static).update(text)
        for bid, action in (("btn-open", "open"), ("btn-resume", "resume"), ("btn-sync", "sync")):
            self.query_one(f"#{bid}", Button).disabled = not self.check_action(action, ())
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        s = self.selected()
        if action == "open":
            return True if s else None
        if action == "resume":
            return True if s and s.state in ("interrupted",) else None
        if action == "sync":
            return True if s and s.state == "finished" else None
        return True

    @on(Button.Pressed, "#btn-open")
    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        if s := self.selected():
            self.app.open_folder(s.folder)

    @on(Button.Pressed, "#btn-resume")
    def action_resume(self) -> None:
        s = self.selected()
        if s and s.state == "interrupted":
            self.app.open_folder(s.folder, "run", then="resume")

    @on(Button.Pressed, "#btn-sync")
    def action_sync(self) -> None:
        s = self.selected()
        if s and s.state == "finished":
            self.app.open_folder(s.folder, "report", then="sync")

    @on(Button.Pressed, "#btn-new")
    def action_new(self) -> None:
        self.app.push_screen(NewMigrationDialog(), self._created)

    def _created(self, folder: Path | None) -> None:
        if folder is not None:
            self.app.open_folder(folder, "connect")


class NewMigrationDialog(ModalScreen[Path | None]):
    """A name, a source and a target: the folder and its plan.toml are created from them."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="new-cancel")]

    def compose(self):
        from adapters.registry import ALL_SOURCES, TARGETS

        with Vertical(classes="dialog"):
            yield Label("New migration", classes="dialog-title")
            yield Label("Name (the folder's name; letters, digits, - and _)")
            yield Input(placeholder="acme-trello", id="new-name", restrict=r"[A-Za-z0-9_.-]*", max_length=64)
            yield Label("From")
            yield Select([(v, k) for k, v in ALL_SOURCES.items()], value="trello", allow_blank=False, id="new-source")
            yield Label("To")
            yield Select([(v, k) for k, v in TARGETS.items()], value="tallyfy", allow_blank=False, id="new-target")
            yield Label("", id="new-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Create (enter)", id="create", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    @on(Input.Submitted)
    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        name = self.query_one("#new-name", Input).value.strip()
        if not name:
            self.query_one("#new-error", Label).update("✗ A name is needed.")
            return
        self._do_create(name, str(self.query_one("#new-source", Select).value),
                        str(self.query_one("#new-target", Select).value))

    @work(exclusive=True, group="create", exit_on_error=False)
    async def _do_create(self, name: str, source: str, target: str) -> None:
        from wizard.errors import UserError
        from wizard.migration import Migration, _home
        from wizard.plan import Plan, Source, Target

        folder = _home() / "migrations" / name
        plan = Plan(name=name, source=Source(system=source, base_url=DEFAULT_URLS[source], profile="default"),
                    target=Target(system=target, base_url=DEFAULT_URLS[target], profile="default"))
        try:
            m = await asyncio.to_thread(Migration.create, folder, plan)
            m.close()
        except UserError as e:
            self.query_one("#new-error", Label).update(f"✗ {e.sentence}")
            return
        self.dismiss(folder)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
