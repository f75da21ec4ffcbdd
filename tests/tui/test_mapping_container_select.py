"""The mapping screen's board chooser: its list of boards is made when it first opens (issue 19,
a warm move to the mapping step), and opening it by key or by click, then choosing, shows the
other board's shape as before."""

from __future__ import annotations

from pathlib import Path

from textual.widgets._select import SelectCurrent, SelectOverlay

from tui.app import WizardApp
from tui.widgets.lazy_select import LazySelect
from tui_drive import settle, until
from tui_fakes import frozen_clock, make_folder


async def test_the_board_list_is_made_on_first_opening_and_chooses_a_board(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=30, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        boards = [c.key for c in screen.containers]
        assert len(boards) > 1, "the fake inventory has several boards"
        chooser = screen.query_one("#container", LazySelect)
        current = chooser.query_one(SelectCurrent)
        assert chooser.value == screen.container_key == boards[0]
        assert str(current.label) == screen.containers[0].name
        assert not chooser.query(SelectOverlay), "no list of boards before it is opened"

        chooser.focus()
        await pilot.press("enter")
        await until(pilot, lambda: chooser.expanded and isinstance(app.focused, SelectOverlay), what="the list open")
        overlay = chooser.query_one(SelectOverlay)
        assert overlay.option_count == len(boards)
        assert overlay.highlighted == 0, "the board shown is the one highlighted"
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.container_key == boards[1], what="the second board chosen")
        assert not chooser.expanded and chooser.value == boards[1]
        assert str(current.label) == screen.containers[1].name

        await pilot.click(SelectCurrent)  # a click opens it too, on the board now shown
        await until(pilot, lambda: chooser.expanded, what="the list open by a click")
        assert overlay.highlighted == 1 and len(chooser.query(SelectOverlay)) == 1
        await pilot.press("escape")
        await until(pilot, lambda: not chooser.expanded, what="the list closed")
        assert screen.container_key == boards[1]
