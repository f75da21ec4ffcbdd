"""Leaving the app mid-run by a way other than its quit key: `App.exit()` called from elsewhere,
a signal (SIGTERM, as a supervisor sends), the command palette's Quit (which calls the app's own
quit action). Each stops the run at a safe point before the app goes, as the quit key does: the
folder reads `interrupted`, the journal has no gap, and reopening finishes the run with every
card exactly once."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from textual.command import CommandPalette

from tui.app import WizardApp
from tui_drive import at_card, confirm, interrupted_then_finished, pause_after_cards, settle, until
from wizard.migration import Migration


async def _palette_quit(pilot) -> None:
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), what="the command palette")
    await pilot.press(*"quit")
    await until(
        pilot,
        lambda: "Quit the application" in str(pilot.app.screen.query_one("CommandList").get_option_at_index(0).prompt),
        what="the palette to offer Quit",
    )
    await pilot.press("enter")


async def _sigterm(pilot) -> None:
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None), "SIGTERM would end the process where it is"
    signal.raise_signal(signal.SIGTERM)


@pytest.mark.parametrize("way", ["app.exit", "palette", "SIGTERM"])
async def test_leaving_mid_run_by_any_way_stops_at_a_safe_point_and_reopening_finishes(
    tmp_path: Path, sandboxes, capsys, way: str
) -> None:
    folder = tmp_path / "leaving"
    m = Migration.create(folder, sandboxes.plan(name="leaving", rate_scale=0.01))
    await m.discover()
    app = WizardApp(migration=m, step="run")
    if way == "app.exit":
        at_card(app, 3, app.exit)  # App.exit from elsewhere than the quit action, the run going
    else:
        pause_after_cards(app, 3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await confirm(pilot, "s", "the start confirmation")
        if way != "app.exit":
            await until(pilot, lambda: app.model.state == "paused", what="the run to pause mid-way")
            await (_palette_quit if way == "palette" else _sigterm)(pilot)
        await until(pilot, lambda: app.return_code is not None, what="the app to leave")
    assert app.return_code == 130, "leaving mid-run is not a silent success"
    said = "".join(capsys.readouterr().err.split())  # the terminal's width wraps it anywhere, mid-path too
    assert (
        "".join(f"The run stopped at a safe point; nothing is lost, and opening {folder} again resumes it.".split())
        in said
    )
    await interrupted_then_finished(folder, sandboxes)
