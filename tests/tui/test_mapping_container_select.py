"""The mapping screen's board chooser: one widget showing the board on screen, its list made only
when it opens (issue 19, a warm move to the mapping step). Opening it by key or by click, then
choosing, shows the other board's shape; Escape keeps the board."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import OptionList

from tui.app import WizardApp
from tui.screens.dialogs import ChoiceDialog
from tui.widgets.picker import Picker
from tui_drive import settle, until
from tui_fakes import frozen_clock, make_folder


async def test_the_board_list_opens_on_demand_and_chooses_a_board(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=30, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        boards = [c.key for c in screen.containers]
        assert len(boards) > 1, "the fake inventory has several boards"
        chooser = screen.query_one("#container", Picker)
        assert chooser.value == screen.container_key == boards[0]
        assert str(chooser.render()).startswith(screen.containers[0].name)
        assert not chooser.children, "one widget: no list of boards before it is opened"

        chooser.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog), what="the list open")
        options = app.screen.query_one(OptionList)
        assert options.option_count == len(boards)
        assert options.highlighted == 0, "the board shown is the one highlighted"
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.container_key == boards[1], what="the second board chosen")
        assert app.screen is screen and chooser.value == boards[1]
        assert str(chooser.render()).startswith(screen.containers[1].name)
        shape = screen.query_one("#shape-list").rows
        assert any(screen.containers[1].name in str(cell) for row in shape for cell in row), "its shape shown"

        await pilot.click(Picker)  # a click opens it too, on the board now shown
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog), what="the list open by a click")
        assert app.screen.query_one(OptionList).highlighted == 1
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the list closed")
        assert screen.container_key == boards[1] and chooser.value == boards[1]


async def test_a_board_name_is_shown_as_written_never_as_markup() -> None:
    class Host(App[None]):
        def compose(self):
            yield Picker([("b1", "[bold]Q3[/] \x1b[31m plan")], "b1", title="t", prompt="none", id="p")

    async with Host().run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        shown = str(pilot.app.query_one(Picker).render())
        assert "[bold]Q3[/]" in shown and "\x1b" not in shown


async def test_with_nothing_to_choose_it_says_so_and_opens_nothing() -> None:
    class Host(App[None]):
        def compose(self):
            yield Picker([], None, title="t", prompt="no boards discovered", id="p")

    async with Host().run_test(size=(60, 5)) as pilot:
        picker = pilot.app.query_one(Picker)
        picker.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert str(picker.render()).startswith("no boards discovered")
        assert not isinstance(pilot.app.screen, ChoiceDialog)
