"""Every screen in a fixed state, shared by the snapshot tests and scripts/screenshots.py."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.worker import WorkerCancelled
from tui_monday import make_monday_folder

from tui.app import WizardApp
from tui.screens.dialogs import ConfirmDialog
from tui.widgets.paged_table import PagedTable
from tui_fakes import (
    FROZEN,
    frozen_clock,
    make_asana_folder,
    make_clickup_folder,
    make_clickup_mapping_folder,
    make_discovered_folder,
    make_folder,
    make_pipefy_folder,
    make_processstreet_folder,
    make_table_folder,
)
from wizard.engine.journalled import RunSummary
from wizard.events import (
    LogLine,
    ObjectMigrated,
    ObjectQuarantined,
    ObjectSkipped,
    PhaseFinished,
    PhaseStarted,
    RateLimited,
)
from wizard.schedule import Schedule, write_schedule


def prepare_env(home: Path) -> None:
    os.environ["MIGRATION_WIZARD_HOME"] = str(home)
    os.environ["HOME"] = str(home)  # folders show as ~/migrations/NAME on every machine
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ["TZ"] = "UTC"
    time.tzset()


async def settle(pilot: Pilot, rounds: int = 3) -> None:
    """Let the app's messages and workers run out. A worker cancelled meanwhile is no failure: an
    exclusive worker (a table's page load) is cancelled by the next one it gives way to, and
    Textual's wait_for_complete raised WorkerCancelled for it (a flaky CI failure). A failed
    worker still raises."""
    for _ in range(rounds):
        await pilot.pause()
        for worker in list(pilot.app.workers):
            try:
                await worker.wait()
            except WorkerCancelled:
                pass
    await pilot.pause()


def _app(home: Path, step: str | None, **kw) -> WizardApp:
    m = make_folder(home, **kw)
    return WizardApp(migration=m, clock=frozen_clock, step=step)


def start_app(home: Path) -> WizardApp:
    make_folder(home, "acme-trello", items=30)
    make_folder(home, "globex-pilot", items=30, state="interrupted")
    m = make_folder(home, "initech-new", items=0, run=False)
    m.store.set_meta(state="new")
    m.store.snapshot()
    for name, age in (("acme-trello", 720), ("globex-pilot", 7200), ("initech-new", 3 * 86400)):
        j = home / "migrations" / name / "state" / "journal.jsonl"
        os.utime(j, (FROZEN - age, FROZEN - age))
    # acme-trello is kept in step until cut-over: a systemd timer every hour, its last pass 12 min ago
    write_schedule(
        home / "migrations" / "acme-trello",
        Schedule(
            every_s=3600,
            how="systemd",
            installed_at=FROZEN - 86400,
            last_start=FROZEN - 720,
            last_end=FROZEN - 700,
            last_exit=0,
            last_result="created 0, updated 3",
            passes=24,
        ),
    )
    return WizardApp(clock=frozen_clock)


def fill_run_model(app: WizardApp) -> None:
    """A run half-way through comments, waiting for Tallyfy's comment limit."""
    md = app.model
    md.start({"item": 150, "comment": 360, "attachment": 39})
    md.started_at = FROZEN - 312
    md.note("▶ run started")
    md.apply(PhaseStarted("run", total=3))
    md.apply(LogLine("info", "template for 'Client Onboarding' already in the target; completing it"))
    for i in range(141):
        md.apply(ObjectMigrated("item", f"trello:card:c{i:06d}", f"run{i}", created=i >= 6))
    for i in range(9):
        md.apply(ObjectSkipped("item", f"trello:card:a{i}", "archived in the source"))
    for i in range(212):
        md.apply(ObjectMigrated("comment", f"trello:comment:k{i}", f"cm{i}"))
    md.apply(ObjectQuarantined("comment", "trello:comment:x9", "Tallyfy refused it (422: content is empty)"))
    md.apply(ObjectQuarantined("attachment", "trello:attachment:a1", "240000000 bytes is over the 100 MB limit"))
    md.apply(RateLimited("tallyfy", FROZEN + 754, "120 comments per hour per organization"))


async def _settled(pilot: Pilot) -> None:
    await settle(pilot)


async def _connect(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)


async def _estimate(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("d")
    await settle(pilot)


async def _items(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)


async def _quality(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)


async def _help(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def _rollback_preview(pilot: Pilot) -> None:
    """The rollback worker waits on its dialog: poll for the preview, never wait on workers."""

    await settle(pilot)
    await pilot.press("u")
    for _ in range(200):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, ConfirmDialog) and screen.query(PagedTable) and screen.query_one(PagedTable).total:
            break
    await pilot.pause()


def _asana(home: Path, step: str) -> WizardApp:
    return WizardApp(migration=make_asana_folder(home), clock=frozen_clock, step=step)


async def _source_presets(pilot: Pilot) -> None:
    """The mapping screen's source preset choice, open."""
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)


async def _as_process(pilot: Pilot) -> None:
    """Project as process chosen: each task a step, each project one process."""
    await _source_presets(pilot)
    await pilot.press("down", "enter")
    await settle(pilot, rounds=5)
    # the "saved to plan.toml" toast expires on a timer: shown or gone by the machine's speed, so not in the picture
    pilot.app.clear_notifications()
    await settle(pilot)


def fill_sync_model(app: WizardApp) -> None:
    """A sync two boards of three in: four cards updated, one new, three comments."""
    md = app.model
    md.start(mode="sync")
    md.started_at = FROZEN - 14
    md.note("▶ sync started: only what changed since the last run is written")
    md.apply(PhaseStarted("run", total=3))
    for board in range(2):
        md.apply(PhaseStarted("items"))
        md.apply(
            LogLine(
                "info",
                f"Trello reports {2 + board} changed, 0 deleted cards and {board + 1} new comments; "
                "content hashes confirm each",
            )
        )
        for i in range(2):
            md.apply(ObjectMigrated("item", f"trello:card:c{board}{i}", f"run{board}{i}", created=False))
        md.apply(PhaseFinished("items"))
    md.apply(ObjectMigrated("item", "trello:card:new1", "run-new"))
    for i in range(3):
        md.apply(ObjectMigrated("comment", f"trello:comment:n{i}", f"cm{i}"))
    md.apply(PhaseStarted("items"))


def _progress_app(home: Path) -> WizardApp:
    app = _app(home, "run")
    fill_run_model(app)
    return app


def _sync_app(home: Path) -> WizardApp:
    app = _app(home, "run")
    app.last_job = "sync"
    fill_sync_model(app)
    return app


def _report_after_sync(home: Path) -> WizardApp:
    app = _app(home, "report")
    summary = RunSummary()
    summary.updated.update({"item": 4})
    summary.created.update({"item": 1, "comment": 3})
    app.run_summary, app.last_job = summary, "sync"
    app.migration.store.set_meta(source_deletions=["trello:card:c000007", "trello:card:c000008"])
    return app


SCENES: dict[str, tuple[Callable[[Path], WizardApp], Callable[[Pilot], Awaitable[None]]]] = {
    "start": (start_app, _settled),
    "connect": (lambda h: _app(h, "connect", run=False), _connect),
    "discovery": (lambda h: _app(h, "discover", run=False), _settled),
    "mapping": (lambda h: _app(h, "map", run=False), _settled),
    "mapping-items": (lambda h: _app(h, "map", run=False), _items),
    "estimate": (lambda h: _app(h, "estimate", run=False), _estimate),
    "conflicts": (lambda h: _app(h, "conflicts"), _settled),
    "progress": (_progress_app, _settled),
    "progress-sync": (_sync_app, _settled),
    "report": (lambda h: _app(h, "report"), _settled),
    "report-sync": (_report_after_sync, _settled),
    "rollback": (lambda h: _app(h, "report"), _rollback_preview),
    "help": (lambda h: _app(h, "map", run=False), _help),
    "connect-asana": (lambda h: _asana(h, "connect"), _connect),
    "mapping-asana": (lambda h: _asana(h, "map"), _settled),
    "mapping-asana-presets": (lambda h: _asana(h, "map"), _source_presets),
    "mapping-asana-as-process": (lambda h: _asana(h, "map"), _as_process),
    "connect-monday": (
        lambda h: WizardApp(migration=make_monday_folder(h, discovered=False), clock=frozen_clock, step="connect"),
        _connect,
    ),
    "mapping-monday": (lambda h: WizardApp(migration=make_monday_folder(h), clock=frozen_clock, step="map"), _settled),
    "estimate-monday": (
        lambda h: WizardApp(migration=make_monday_folder(h), clock=frozen_clock, step="estimate"),
        _settled,  # monday.com's minute and daily limits in the source's reads
    ),
    "mapping-monday-status": (
        lambda h: WizardApp(migration=make_monday_folder(h), clock=frozen_clock, step="map"),
        _as_process,  # s, the second preset (status_column), enter: read again under it
    ),
    "mapping-clickup": (
        lambda h: WizardApp(migration=make_clickup_mapping_folder(h), clock=frozen_clock, step="map"),
        _settled,
    ),
    "connect-clickup": (
        lambda h: WizardApp(migration=make_clickup_folder(h), clock=frozen_clock, step="connect"),
        _connect,
    ),
    "mapping-table-quality": (
        lambda h: WizardApp(migration=make_table_folder(h), clock=frozen_clock, step="map"),
        _quality,
    ),
    "connect-processstreet": (
        lambda h: WizardApp(migration=make_processstreet_folder(h), clock=frozen_clock, step="connect"),
        _connect,
    ),
    "connect-pipefy": (
        lambda h: WizardApp(migration=make_pipefy_folder(h), clock=frozen_clock, step="connect"),
        _connect,
    ),
    "discovery-processstreet": (
        lambda h: WizardApp(migration=make_discovered_folder(h, "processstreet"), clock=frozen_clock, step="discover"),
        _settled,
    ),
    "discovery-pipefy": (
        lambda h: WizardApp(migration=make_discovered_folder(h, "pipefy"), clock=frozen_clock, step="discover"),
        _settled,
    ),
}
