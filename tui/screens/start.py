"""Start: the migrations found on this machine, their state and last activity; open one,
resume an interrupted one, or start a new one."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from tui.safe import text as safe_text
from tui.screens.base import KeyedScreen
from tui.widgets.footer import WizardFooter
from tui.widgets.paged_table import PagedTable
from tui.widgets.select import Select
from wizard import registry
from wizard.errors import UserError
from wizard.migration import Migration, _home, known_sessions
from wizard.plan import Plan, Source, Target
from wizard.schedule import Schedule, interval_words

STATE_MARK = {
    "new": "· new",
    "discovered": "◇ discovered",
    "planned": "◆ planned",
    "running": "▶ running",
    "interrupted": "‖ interrupted",
    "finished": "✓ finished",
    "rolled back": "↺ rolled back",
}


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
    for base, label in ((_home(), "‹data›"), (Path.home(), "~")):
        try:
            return f"{label}/{Path(folder).resolve().relative_to(Path(base).resolve())}"
        except ValueError:
            continue
    return str(folder)


def clip_left(text: str, width: int) -> str:
    """The end of a path is what tells folders apart: cut from the left."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def when(then: float, long: bool = True) -> str:
    """The local date and time of the last run, to the minute."""
    return time.strftime("%Y-%m-%d %H:%M" if long else "%m-%d %H:%M", time.localtime(then))


HOW = {"loop": "sync --every", "systemd": "systemd timer", "launchd": "launchd", "schtasks": "Task Scheduler"}


def next_sync(s: Schedule | None, now: float) -> str:
    """The schedule column: how often, and the next pass ('' when there is no schedule)."""
    if s is None or not s.active:
        return ""
    if s.ended(now):
        return "ended"
    due = s.next_run(now)
    every = interval_words(s.every_s)
    if due is None:
        return f"{every}, ended"
    at = "now" if due <= now else time.strftime("%H:%M" if due - now < 86400 else "%m-%d %H:%M", time.localtime(due))
    return f"every {every} → {at}"


def schedule_detail(s: Schedule, now: float) -> str:
    """The selected migration's schedule in a sentence: how, last pass and how it ended, next pass."""
    how = HOW.get(s.how, "crontab line")
    parts = [f"synced every {interval_words(s.every_s)} ({how})"]
    if s.last_start is not None:
        ended = "running" if s.last_end is None else ("ok" if s.last_exit == 0 else f"failed (exit {s.last_exit})")
        parts.append(f"last pass {when(s.last_start)} {ended}")
    if s.until is not None:
        parts.append(f"until {when(s.until)}")
    parts.append(f"next {next_sync(s, now).removeprefix(f'every {interval_words(s.every_s)} → ') or 'none'}")
    return " · ".join(parts)


class StartScreen(KeyedScreen):
    """Migrations on this machine. Open one, resume one that was cut off, or start a new one.
    Each row says where its folder is, from where to where, its state, its last run and, when
    it syncs on a schedule, its next pass, so many migrations of the same name can be told
    apart; / filters them."""

    TITLE = "Migrations on this machine"
    BINDINGS = [
        Binding("escape", "back", "Clear filter", show=False, id="back"),
        Binding(
            "enter,o",
            "open",
            "Open",
            key_display="o",
            id="open",
            tooltip="Open the selected migration where it stands.",
        ),
        Binding("r", "resume", "Resume", id="resume", tooltip="Resume the selected interrupted run."),
        Binding(
            "s",
            "sync",
            "Sync changes",
            id="start-sync",
            tooltip="For a finished migration: write only what changed in the source since (asks first).",
        ),
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
            # Narrow, a scheduled migration's state is marked ◷ instead: the line below the table says when.
            self.wide = self.app.size.width >= 120
            columns = ("migration", "folder", "from → to", "state", "last run", "next sync")
            yield PagedTable(
                columns if self.wide else columns[:-1],
                noun="migrations",
                placeholder="/ filter by name, folder, system or state…",
                id="sessions",
            )
            yield Static("", id="start-detail")
            with Horizontal(classes="buttons"):
                yield Button("Open (o)", id="btn-open", variant="primary", compact=True)
                yield Button("Resume (r)", id="btn-resume", compact=True)
                yield Button("Sync changes (s)", id="btn-sync", compact=True)
                yield Button("New (c)", id="btn-new", compact=True)
        yield WizardFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="sessions", exit_on_error=False)
    async def _load(self) -> None:
        self.sessions = await asyncio.to_thread(known_sessions)
        wide, now = self.wide, self.app.clock()
        arrow, width = (" → ", 40) if wide else ("→", 14)

        def row(s) -> tuple:
            state = STATE_MARK.get(s.state, s.state)
            cells = (
                s.name,
                clip_left(short_path(s.folder.parent), width),
                f"{s.source}{arrow}{s.target}",
                state if wide or not next_sync(s.schedule, now) else f"{state} ◷",
                when(s.last_activity, wide),
            )
            return (*cells, next_sync(s.schedule, now)) if wide else cells

        self.query_one(PagedTable).set_items(self.sessions, row, lambda s: " ".join((*row(s), str(s.folder))))
        n = len(self.sessions)
        self.query_one("#start-status", Label).update(
            f"{n} migration{'s' if n != 1 else ''} found." if n else "No migration yet: press c to start one."
        )
        self._detail()
        if n:
            self.focus_main()

    def selected(self):
        return self.query_one(PagedTable).selected_item()

    @on(PagedTable.PageLoaded)
    @on(DataTable.RowHighlighted)
    def _detail(self) -> None:
        s = self.selected()
        hint = {"interrupted": "r resumes the interrupted run", "finished": "s syncs what changed since the last run"}
        if s:
            text = Text.assemble(
                short_path(s.folder),
                " · last run ",
                when(s.last_activity),
                " (",
                ago(s.last_activity, self.app.clock()),
                ")",
            )
            if s.schedule is not None and s.schedule.active:
                text.append("\n" + schedule_detail(s.schedule, self.app.clock()))
            if s.state in hint:
                text.append(f"\n{hint[s.state]}")
        else:
            text = Text("")
        self.query_one("#start-detail", Static).update(text)
        for bid, action in (("btn-open", "open"), ("btn-resume", "resume"), ("btn-sync", "sync")):
            self.query_one(f"#{bid}", Button).disabled = not self.check_action(action, ())
        self.refresh_bindings()

    def why_not(self, action: str) -> str:
        s = self.selected()
        if action in ("open", "resume", "sync") and s is None:
            return "No migration selected: press c to start one." if not self.sessions else "Select a migration first."
        if action == "resume" and s.state != "interrupted":
            return f"Only an interrupted run can be resumed; this one is {s.state}."
        if action == "sync" and s.state != "finished":
            return f"Only a finished migration can be synced; this one is {s.state}."
        return super().why_not(action)

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
        sources, targets = registry.sources(), registry.targets()
        with Vertical(classes="dialog"):
            yield Label("New migration", classes="dialog-title")
            yield Label("Name (the folder's name; letters, digits, - and _)")
            yield Input(placeholder="acme-trello", id="new-name", restrict=r"[A-Za-z0-9_.-]*", max_length=64)
            yield Label("From")
            yield Select([(s.label, k) for k, s in sources.items()], allow_blank=False, id="new-source")
            yield Label("To")
            yield Select([(s.label, k) for k, s in targets.items()], allow_blank=False, id="new-target")
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
        self._do_create(
            name, str(self.query_one("#new-source", Select).value), str(self.query_one("#new-target", Select).value)
        )

    @work(exclusive=True, group="create", exit_on_error=False)
    async def _do_create(self, name: str, source: str, target: str) -> None:
        folder = _home() / "migrations" / name
        plan = Plan(
            name=name,
            source=Source(system=source, base_url=registry.source(source).default_url, profile="default"),
            target=Target(system=target, base_url=registry.target(target).default_url, profile="default"),
        )
        try:
            m = await asyncio.to_thread(Migration.create, folder, plan)
            m.close()
        except UserError as e:
            self.query_one("#new-error", Label).update(safe_text(f"✗ {e.sentence}"))
            return
        self.dismiss(folder)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
