"""A run that ends in an error is told in one toast and leaves the app standing."""

from __future__ import annotations

from pathlib import Path

from tui.app import WizardApp
from tui.messages import EngineProgressed
from tui_drive import settle, until
from tui_fakes import frozen_clock, make_folder


async def test_a_run_that_fails_says_why_and_the_app_stays_up(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="run")
    seen: list[str] = []
    notify = app.notify

    def record(message: str, *, title: str = "", **kw: object) -> None:
        seen.append(f"{title}: {message}")
        notify(message, title=title, **kw)  # type: ignore[arg-type]

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.backup_first = False  # straight to the run, which is what fails here
        app.start_run()  # the fake's run raises: an unexpected failure, as a bug in the engine would
        await until(pilot, lambda: app.model.state == "failed", what="the run to fail")
        await settle(pilot)
        assert app.is_running
        assert app.model.error.startswith("The run stopped on an unexpected error (AssertionError")
        assert any(t.startswith("Run stopped: The run stopped on an unexpected error") for t in seen), seen


async def test_progress_arriving_while_the_run_screen_is_being_mounted_is_shown_once_it_is(tmp_path: Path) -> None:
    """The engine's progress can arrive between the run screen's push and its mount (on a loaded
    machine): it waits for the screen's own first paint instead of querying widgets not yet there."""
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="estimate")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.goto("run")
        app.on_engine_progressed(EngineProgressed())  # before the pushed screen has mounted its widgets
        await settle(pilot)
        assert app.is_running and getattr(app.screen, "STEP", "") == "run"
        assert str(app.screen.query_one("#run-state").render()).strip()
