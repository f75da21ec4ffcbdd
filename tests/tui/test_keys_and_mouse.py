"""Keyboard first, mouse too: the palette lists the screen's actions, Escape goes back,
`?` opens help, Next is disabled until a step is valid, buttons answer clicks."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Static

from tui.app import WizardApp
from tui.commands import screen_actions
from tui.screens.discovery import DiscoveryScreen
from tui.screens.estimate import EstimateScreen
from tui.screens.help import HelpScreen
from tui.screens.mapping import MappingScreen
from tui.screens.start import NewMigrationDialog, StartScreen
from tui.widgets.paged_table import PagedTable
from tui_drive import settle
from tui_fakes import frozen_clock, make_folder
from wizard.plan import load_plan


async def test_palette_lists_the_screens_actions(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="estimate")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = [t for t, *_ in screen_actions(app.screen)]
        assert "Dry run" in titles and "Back" in titles and "Help" in titles
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"dry run")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EstimateScreen)
        assert app.dry_actions, "the palette ran the screen's dry run"


async def test_escape_help_and_next(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen)
        await pilot.press("escape")  # back one step
        await settle(pilot)
        assert isinstance(app.screen, DiscoveryScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen)


async def test_mouse_opens_the_new_migration_dialog(tmp_path: Path) -> None:
    app = WizardApp(clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartScreen)
        assert app.screen.check_action("open", ()) is None, "nothing to open yet"
        await pilot.click("#btn-new")
        await settle(pilot)
        assert isinstance(app.screen, NewMigrationDialog)
        await pilot.click("#new-name")
        await pilot.press(*"acme")
        await pilot.click("#create")
        await settle(pilot)
        assert app.migration is not None and app.migration.plan.name == "acme"


async def test_checklist_mode_toggles_and_is_saved(tmp_path: Path) -> None:
    m = make_folder(tmp_path, run=False)
    assert m.plan.mapping.checklists == "field"
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MappingScreen)
        assert screen.check_action("checklists", ()) is True
        table = screen.query_one("#shape-list", PagedTable).table

        def checklist_row() -> list[str]:
            row = next(i for i, (kind, _) in enumerate(screen.shape_rows) if kind == "checklists")
            return [str(c) for c in table.get_row_at(row)]

        assert checklist_row()[2] == "text field"
        await pilot.press("c")
        await settle(pilot)
        assert load_plan(m.folder / "plan.toml").mapping.checklists == "subtasks"
        assert checklist_row()[2] == "one task per item"
        losses = str(screen.query_one("#losses-text", Static).content)
        assert "one-off task" in losses and "text field" not in losses, "the lossy note follows the mode"
        await pilot.press("4", "c")  # from the Losses tab too, and back
        await settle(pilot)
        assert load_plan(m.folder / "plan.toml").mapping.checklists == "field"
        assert "lines of a text field" in str(screen.query_one("#losses-text", Static).content)
        await pilot.press("2")
        await settle(pilot)
        assert screen.check_action("checklists", ()) is None, "not on the People tab, where c means nothing"
