"""The wizard app: one Migration, one engine model, and the run, which belongs to the app
so that moving between screens never stops it."""

from __future__ import annotations

# isort: off
from tui import startup_gc  # first: the collector is off while the modules below load
# isort: on

import asyncio
import importlib
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding

from tui import warmup
from tui.commands import ScreenCommands
from tui.messages import EngineProgressed, RunEnded
from tui.model import PHASE_KINDS, EngineModel
from tui.safe import line
from tui.signals import exit_on_signals
from tui.sink import TuiSink
from tui.steps import STATE_STEP, STEPS
from wizard import registry
from wizard.backup_layout import FOLDER as BACKUP_FOLDER
from wizard.backup_layout import MANIFEST
from wizard.errors import UserError
from wizard.gc_hold import Hold
from wizard.migration import Migration
from wizard.secrets import keyring_ready

startup_gc.loaded()

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.screens.base import WizardScreen

# Each step's screen, imported when the consultant first reaches it: a screen's module brings
# its share of Textual's widgets and of the engine (the estimate's simulation, the run, the
# report), and the first frame needs one screen, not all of them (issue 19: < 1 s cold).
_SCREENS = {
    "connect": "tui.screens.connect:ConnectScreen",
    "discover": "tui.screens.discovery:DiscoveryScreen",
    "map": "tui.screens.mapping:MappingScreen",
    "estimate": "tui.screens.estimate:EstimateScreen",
    "conflicts": "tui.screens.conflicts:ConflictsScreen",
    "run": "tui.screens.progress:ProgressScreen",
    "report": "tui.screens.report:ReportScreen",
    "start": "tui.screens.start:StartScreen",
    "help": "tui.screens.help:HelpScreen",
    "confirm": "tui.screens.dialogs:ConfirmDialog",
}


PRELOAD_AFTER_S = 0.5  # after the first frame; a consultant reads a screen for longer than that before moving on


def _screen_class(name: str) -> Any:
    module, cls = _SCREENS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def _screen_for(step: str) -> WizardScreen:
    return _screen_class(step)()


class WizardApp(App):
    """Keyboard first; every action is a binding, listed in the footer, the palette and `?`."""

    CSS_PATH = "wizard.tcss"
    TITLE = "Migration wizard"
    COMMANDS = App.COMMANDS | {ScreenCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help", tooltip="Keys and what this screen does."),
        Binding("f1", "help", "Help", show=False, id="help-f1"),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            show=False,
            id="quit",
            tooltip="Leave; a run stops at a safe point and can be resumed.",
        ),
    ]

    def __init__(
        self,
        folder: Path | None = None,
        *,
        migration: Any = None,
        clock: Callable[[], float] = time.time,
        step: str | None = None,
    ) -> None:
        super().__init__()
        self.folder = Path(folder) if folder else None
        self.migration = migration
        self.clock = clock
        self.model = EngineModel(clock=clock)
        self.sink = TuiSink(self, self.model)
        self.first_step = step
        self.stop_event: asyncio.Event | None = None
        self.pause_event: asyncio.Event | None = None
        self.run_summary: Any = None
        self.last_job = ""  # "run" or "sync": what run_summary summarises
        self.generation = 0  # bumped when a run, sync or rollback ends: the report rebuilds
        self.dry_actions: list | None = None
        self.backup_first = True  # the estimate screen's checkbox: back the source up before a real run writes
        self.shapes: dict[str, Any] = {}  # container key -> Template (fields, stages, people)
        self.connected: Any = None  # the last ConnectResult
        self.item_index: Any = None  # wizard.engine.item_index.ItemIndex, loaded once
        self.target_users: list | None = None
        self.leaving = False  # a run or sync is stopping at a safe point before the app exits
        self.preloaded = False  # the other steps' screens are imported and their CSS parsed (_preload)
        self._signals_undo: Callable[[], None] = lambda: None
        self.gc_hold = Hold()
        if migration is not None:
            migration.sink = self.sink

    # -- start ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.gc_hold.start()  # until the first frame (tui/startup_gc.py)
        if self.migration is not None:
            self.goto(self.first_step or STATE_STEP.get(self._state(), "connect"))
        elif self.folder is not None:
            self.open_folder(self.folder, self.first_step)
        else:
            self.push_screen(_screen_class("start")())
        self.call_after_refresh(self._first_frame)
        self._signals_undo = exit_on_signals(self.exit)

    def _first_frame(self) -> None:
        self.gc_hold.end()
        self.set_timer(PRELOAD_AFTER_S, self._preload_screens)

    def on_unmount(self) -> None:
        self.gc_hold.end()  # an app closed before a held frame
        self._signals_undo()

    def _preload_screens(self) -> None:
        """What moving to each step would do the first time (tui/warmup.py: import its screen's
        module, parse its widgets' CSS), a moment after the first frame (issue 19: < 0.1 s warm).
        Not at once: the import holds the interpreter's lock in its thread, and the first screen's
        own loading (the mapping screen's first page of items) would wait on it (< 1 s cold)."""
        self.run_worker(self._preload(), group="preload", exit_on_error=False)

    async def _preload(self) -> None:
        await asyncio.to_thread(warmup.import_screens, {spec.split(":")[0] for spec in _SCREENS.values()})
        warmup.parse_default_css(self.stylesheet)
        await asyncio.to_thread(keyring_ready)  # the connect and mapping steps' first credential read
        self.preloaded = True

    def open_folder(self, folder: Path, step: str | None = None, *, then: str | None = None) -> None:
        """Open a migration folder at a step; `then` = "resume" resumes its run, "sync" asks to sync."""
        self.run_worker(self._open(folder, step, then), group="open", exclusive=True, exit_on_error=False)

    async def _open(self, folder: Path, step: str | None, then: str | None) -> None:
        try:
            m = await asyncio.to_thread(Migration.open, folder, self.sink)
            state = await asyncio.to_thread(lambda: m.state)
        except UserError as e:
            self.notify(line(e.sentence), title="Cannot open", severity="error", markup=False)
            return
        self.adopt(m)
        self.goto(step or STATE_STEP.get(state, "connect"))
        if then == "resume":
            self.start_run()
        elif then == "sync":
            self.request_sync()

    def adopt(self, migration: Any) -> None:
        if self.migration is not None and self.migration is not migration and not self.run_active:
            self.migration.close()
        self.migration = migration
        migration.sink = self.sink
        self.shapes.clear()
        self.dry_actions = None
        self.connected = None
        self.item_index = None
        self.target_users = None

    def _state(self) -> str:
        return self.migration.state if self.migration is not None else "new"

    def on_resize(self) -> None:
        self.set_class(self.size.width < 120, "narrow")

    # -- navigation ----------------------------------------------------------------------
    def goto(self, step: str) -> None:
        """Show a wizard step; going back to a step already on the stack pops to it."""
        for i, screen in enumerate(self.screen_stack):
            if getattr(screen, "STEP", None) == step:
                while len(self.screen_stack) > i + 1:
                    self.pop_screen()
                return
        screen = _screen_for(step)
        self.gc_hold.start()  # until the new screen's first frame (tui/startup_gc.py)
        self.push_screen(screen)
        self.call_after_refresh(self.gc_hold.end)

    def go_back(self, step: str) -> None:
        idx = STEPS.index(step)
        below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
        below_step = getattr(below, "STEP", None)
        if below_step in STEPS and STEPS.index(below_step) < idx:
            self.pop_screen()
        elif idx > 0:
            self.switch_screen(_screen_for(STEPS[idx - 1]))
        elif isinstance(below, _screen_class("start")):
            self.pop_screen()
        else:
            self.switch_screen(_screen_class("start")())

    def action_help(self) -> None:
        help_screen = _screen_class("help")
        if not isinstance(self.screen, help_screen):
            self.push_screen(help_screen(self.screen))

    # -- the run -------------------------------------------------------------------------
    @property
    def run_active(self) -> bool:
        return self.model.state in ("running", "paused", "stopping")

    def run_totals(self) -> dict[str, int]:
        """Per kind, what the run should process (from the inventory), for the bars."""
        m = self.migration
        inv = m.inventory() if m is not None else None
        if inv is None:
            return {}
        excluded = set(m.plan.mapping.exclude)
        totals = dict.fromkeys(PHASE_KINDS.values(), 0)
        for c in inv.containers:
            if c.key in excluded or c.id in excluded:
                continue
            for k in totals:
                totals[k] += c.count(k)
            for x in c.left_out:  # the run passes these by (skipped, with the reason): the bars count them too
                if x.get("kind") in totals:
                    totals[x["kind"]] += 1
        return totals

    def already_done(self) -> dict[str, int]:
        """Per kind, what the store says is in the target already (an interrupted run's part)."""
        done = dict.fromkeys(PHASE_KINDS.values(), 0)
        for mapping in self.migration.store.mappings.values():
            k = mapping.get("kind")
            if k in done:
                done[k] += 1
        return done

    def eta_source(self) -> Callable[[dict[str, int]], float] | None:
        """The live ETA: the estimate's simulation of the work left under the limits in force."""
        m = self.migration
        inv = m.inventory() if m is not None else None
        if m is None or inv is None:
            return None
        from wizard.engine.estimate import eta_s  # noqa: PLC0415 - lazy: the simulation loads with the first run, not the app

        return partial(eta_s, m.plan, inv, learned=m.learned_limits())

    def start_run(self) -> None:
        if self.migration is None or self.run_active:
            return
        self.stop_event = asyncio.Event()
        self.pause_event = asyncio.Event()
        self.pause_event.set()
        self.run_summary = None
        self.last_job = "run"
        self.model.eta_source = self.eta_source()
        totals = self.run_totals()
        self.model.start(totals, self.already_done())
        if not totals:  # a folder never discovered: the run discovers it first
            self.model.discovered = self._discovered
        already = self.model.already
        self.model.note(
            f"▶ run resumed: {already:,} already in the target, not counted in the rate" if already else "▶ run started"
        )
        self.run_worker(
            self._run(),
            name="migration-run",
            group="migration-run",
            exclusive=True,
            exit_on_error=False,
            description="the migration run",
        )
        self.post_message(EngineProgressed())

    def _discovered(self) -> None:
        """The run's own discovery is done: its bars get their totals, its ETA the simulation."""
        self.model.eta_source = self.eta_source()
        self.model.set_totals(self.run_totals(), self.already_done())

    def needs_backup(self) -> bool:
        """Whether the run backs the source up first: asked for, not taken yet in this folder,
        and the source is not itself a backup."""
        m = self.migration
        spec = registry.source(m.plan.source.system)
        return self.backup_first and spec.records_of is None and not (m.folder / BACKUP_FOLDER / MANIFEST).exists()

    async def _run(self) -> None:
        try:
            if self.needs_backup():
                self.model.note("↓ backing up the source before anything is written…")
                done = await self.migration.backup()
                self.model.note(f"✓ backup written: {done.files:,} files, {done.bytes / 1e6:.1f} MB in {done.folder}")
            summary, _ = await self.migration.run(stop=self.stop_event, pause=self.pause_event)
        except UserError as e:
            self.post_message(RunEnded(error=e.sentence))
        except asyncio.CancelledError:
            self.post_message(RunEnded(error="The run was cancelled; it can be resumed."))
            raise
        except Exception as e:  # noqa: BLE001 - a bug or an unexpected failure: keep the app, say it in one line
            self.post_message(RunEnded(error=f"The run stopped on an unexpected error ({type(e).__name__}: {e})."))
        else:
            self.post_message(RunEnded(summary=summary))

    # -- the sync: only what changed since the last run, on the same worker group ----------
    def can_sync(self) -> bool:
        return not self.sync_blocked()

    def sync_blocked(self) -> str:
        """Why a sync cannot start now, in one sentence; "" when it can: the facade's guard
        (nothing migrated, or rolled back since), and no job running here."""
        m = self.migration
        if m is None:
            return "Open a migration first."
        if self.run_active:
            return "A run or sync is going on; sync when it ends."
        return m.can_sync() or ""

    def request_sync(self) -> None:
        """Ask first (a sync writes to the target), then sync; from the report or the start screen."""
        if self.can_sync():
            self.run_worker(self._confirm_sync(), group="confirm-sync", exclusive=True, exit_on_error=False)
        else:
            self.notify(self.sync_blocked(), severity="warning", timeout=5)

    async def _confirm_sync(self) -> None:
        m = self.migration
        src = registry.label(m.plan.source.system)
        tgt = registry.label(m.plan.target.system)
        rule = m.plan.conflicts.strategy_for("item")
        deletions = "removed from" if m.plan.conflicts.apply_source_deletions else "reported and kept in"
        ok = await self.push_screen_wait(
            _screen_class("confirm")(
                f"Sync changes: write what changed in {src} since the last run to {tgt}?",
                f"Each card is compared with what was written; only changed ones are updated, new ones created. "
                f"A card edited on both sides follows the plan's rule ({rule}). Cards deleted in {src} are "
                f"{deletions} {tgt}. You can cancel; a sync can be run again at any time.",
                confirm_label="Sync",
            )
        )
        if ok:
            self.start_sync()

    def start_sync(self) -> None:
        if not self.can_sync():
            return
        self.stop_event = asyncio.Event()
        self.pause_event = asyncio.Event()
        self.pause_event.set()
        self.run_summary = None
        self.last_job = "sync"
        self.model.start(mode="sync")
        self.model.note("▶ sync started: only what changed since the last run is written")
        self.run_worker(
            self._sync(),
            name="migration-sync",
            group="migration-run",
            exclusive=True,
            exit_on_error=False,
            description="the sync",
        )
        self.goto("run")
        self.post_message(EngineProgressed())

    async def _sync(self) -> None:
        try:
            summary = await self.migration.sync(stop=self.stop_event, pause=self.pause_event)
        except UserError as e:
            self.post_message(RunEnded(error=e.sentence, mode="sync"))
        except asyncio.CancelledError:
            self.post_message(RunEnded(error="The sync was cancelled; run it again at any time.", mode="sync"))
            raise
        except Exception as e:  # noqa: BLE001 - as in _run: the app stays, the reason is shown
            self.post_message(
                RunEnded(error=f"The sync stopped on an unexpected error ({type(e).__name__}: {e}).", mode="sync")
            )
        else:
            self.post_message(RunEnded(summary=summary, mode="sync"))

    def pause_run(self) -> None:
        if self.pause_event is not None and self.model.state == "running":
            self.pause_event.clear()
            self.model.state = "paused"
            self.model.note("‖ paused by you: in-flight requests finish, nothing new starts")
            self.post_message(EngineProgressed())

    def resume_run(self) -> None:
        if self.pause_event is not None and self.model.state == "paused":
            self.pause_event.set()
            self.model.state = "running"
            self.model.note("▶ resumed")
            self.post_message(EngineProgressed())

    def cancel_run(self) -> None:
        if self.stop_event is not None and self.run_active:
            self.stop_event.set()
            if self.pause_event is not None:
                self.pause_event.set()
            self.model.state = "stopping"
            self.model.note("■ stopping at the next safe point; the run can be resumed")
            self.post_message(EngineProgressed())

    def on_run_ended(self, message: RunEnded) -> None:
        self.run_summary = message.summary
        self.generation += 1
        if message.error:
            self.model.state = "failed" if self.model.state != "stopping" else "interrupted"
            self.model.error = message.error
            self.model.finished_at = self.clock()
            self.notify(line(message.error), title="Run stopped", severity="error", markup=False)
        elif message.summary is not None:
            self.model.state = "interrupted" if message.summary.interrupted else "finished"
            if self.model.finished_at is None:
                self.model.finished_at = self.clock()
            if message.mode == "sync":
                counts = sync_line(message.summary)
                self.model.note(("■ sync stopped: " if message.summary.interrupted else "✓ sync finished: ") + counts)
                if not message.summary.interrupted:
                    self.notify(f"Sync finished: {counts}.", timeout=6)
                    if getattr(self.screen, "STEP", "") == "run" and self.shows(self.screen):
                        self.goto("report")  # the outcome, with its updated and deleted counts
        self.on_engine_progressed(EngineProgressed())

    def on_engine_progressed(self, message: EngineProgressed) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_model", None)
            if refresh is not None and screen.is_current and self.shows(screen):
                refresh()

    def shows(self, screen: Screen[Any]) -> bool:
        """Whether `screen` has its widgets to refresh. Not yet: pushed but not mounted (its on_mount
        shows the model). No longer: the app is leaving (Textual stops running the app, then removes
        every screen's widgets while the screen still counts as mounted), and a run stopping
        then reports its end to screens that are being torn down."""
        return self.is_running and screen.is_attached and screen.is_mounted

    async def action_quit(self) -> None:
        """Leave (the quit key and the palette's Quit): `exit` says how a run stops first."""
        if not self.run_active:
            self._close_migration()
        self.exit()

    def exit(self, result: Any = None, return_code: int = 0, message: Any = None) -> None:
        """Leave, by any way: the quit action, `App.exit` from anywhere, a signal (tui/signals.py).
        A run or sync in progress stops at a safe point first, and the terminal is told so (exit
        130, like a stopped CLI run): nothing is lost, reopening resumes."""
        going = [w for w in self.workers if w.group == "migration-run" and not w.is_finished]
        if not (self.run_active and going):
            super().exit(result, return_code, message)
        elif not self.leaving:
            self.leaving = True
            self.run_worker(self._stop_then_exit(result, going), group="leave", exit_on_error=False)

    async def _stop_then_exit(self, result: Any, going: list[Any]) -> None:
        job = "sync" if self.model.mode == "sync" else "run"
        self.cancel_run()
        await self.workers.wait_for_complete(going)  # not an empty list: that waits for every worker, this one too
        folder = self.migration.folder if self.migration is not None else ""
        message = (
            f"The {job} stopped at a safe point; nothing is lost, and opening {folder} again "
            f"{'resumes it' if job == 'run' else 'lets you sync again'}."
        )
        self._close_migration()
        super().exit(result, 130, message)

    def _close_migration(self) -> None:
        if self.migration is not None:
            try:
                self.migration.close()
            except Exception:  # noqa: BLE001 - leaving: the journal already holds every write, nothing to say
                pass


def sync_line(summary: Any) -> str:
    """'updated 4, deleted 0, created 1, skipped 0, failed 0' from a RunSummary."""
    n = {k: sum(getattr(summary, k, {}).values()) for k in ("updated", "deleted", "created", "skipped", "failed")}
    return ", ".join(f"{k} {v:,}" for k, v in n.items())


def run_app(folder: Path | None = None) -> int:
    app = WizardApp(folder)
    app.run()
    return app.return_code or 0


def run_demo(workdir: Path | None = None) -> int:
    """The wizard on the demo's sandboxes (seed 1, small, rate windows x0.01), in a folder
    kept in the user data directory: its path is printed before and after."""
    from wizard.demo import demo  # noqa: PLC0415 - lazy: the demo's sandboxes are web servers the wizard never needs

    with demo(workdir) as (m, _running):
        print(f"Demo folder: {m.folder}", flush=True)
        app = WizardApp(migration=m, step="connect")
        try:
            app.run()
        finally:
            m.close()
    print(f"The demo's folder is kept: {m.folder}\nOpen it again with 'bash scripts/demo.sh --workdir {m.folder}'.")
    return app.return_code or 0
