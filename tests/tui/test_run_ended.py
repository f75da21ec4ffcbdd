"""A run that ends in an error is told in one toast and leaves the app standing."""

from __future__ import annotations

from pathlib import Path

from tui.app import WizardApp
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
