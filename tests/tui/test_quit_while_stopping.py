"""Leaving the app while a run is stopping: the run's end does not touch the screens being torn
down, and the store and journal stay whole: a later run resumes and finishes, nothing twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui.app import WizardApp
from tui.screens.progress import ProgressScreen
from tui_drive import at_card, confirm, interrupted_then_finished, settle, until
from wizard.migration import Migration


async def test_leaving_while_the_run_stops_ends_quietly_and_a_later_run_finishes_it(tmp_path: Path, sandboxes) -> None:
    folder = tmp_path / "stopping"
    m = Migration.create(folder, sandboxes.plan(name="stopping", rate_scale=0.01))
    await m.discover()
    app = WizardApp(migration=m, step="run")
    run = m.run

    async def ending_as_the_screen_goes(**kw):
        """The real run, whose end reaches the app once the run screen's widgets are gone: the
        moment of a machine under load, where the app leaves while the run stops."""
        summary = await run(**kw)
        stopped.set()
        loop = asyncio.get_running_loop()
        end = loop.time() + 30
        while screen.query("#run-state") and loop.time() < end:  # noqa: ASYNC110 - the teardown posts no event to await
            await asyncio.sleep(0)
        return summary

    stopped = asyncio.Event()  # the run reached its safe point; its end is not yet told to the app
    at_card(app, 3, app.cancel_run)  # x pressed mid-run, as a person would
    m.run = ending_as_the_screen_goes  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await confirm(pilot, "s", "the start confirmation")
        await until(
            pilot, lambda: app.stop_event is not None and app.stop_event.is_set(), what="the run to be told to stop"
        )
        # held until the run is at its safe point: on a loaded machine the app could otherwise
        # leave (and cancel the run's worker) before the run got there, and the moment under
        # test, the run's end arriving while the screens are torn down, would not happen
        await until(pilot, stopped.is_set, what="the run to reach its safe point")
        assert [w.name for w in app.workers if w.group == "migration-run" and w.is_running] == ["migration-run"]
        ended = app.generation
    # the context's end is the app's exit, at once, with the run's end not yet told to the app
    assert app.generation == ended + 1, "the run's end reached the app as it left"
    await interrupted_then_finished(folder, sandboxes)
