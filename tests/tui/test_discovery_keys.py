"""Space includes or leaves out the highlighted board from anywhere on the Discover screen."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, SelectionList

from tui.app import WizardApp
from tui.screens.discovery import DiscoveryScreen
from tui_drive import settle, until
from tui_fakes import frozen_clock, make_folder


async def test_space_on_the_discover_button_leaves_out_the_highlighted_board(tmp_path: Path) -> None:
    m = make_folder(tmp_path, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="discover")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, DiscoveryScreen)
        await until(pilot, lambda: bool(screen.containers), what="the boards")
        boards = screen.query_one(SelectionList)
        boards.highlighted = 0
        screen.query_one("#btn-discover", Button).focus()
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert m.plan.mapping.exclude == [screen.containers[0].key]
        await pilot.press("space")
        await settle(pilot)
        assert m.plan.mapping.exclude == []
