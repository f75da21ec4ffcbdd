"""monday.com on the mapping screen: its stages come from each board's groups, or (the
status_column preset, chosen with s) from the labels of its status column; the choice is
saved to plan.toml and the boards are read again under it, by the real source and mapping."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList, Static
from tui_monday import make_monday_folder

from tui.app import WizardApp
from tui.screens.dialogs import ChoiceDialog
from tui.screens.mapping import MappingScreen
from tui_drive import settle
from tui_fakes import frozen_clock
from wizard.plan import load_plan

GROUPS = ["Intake", "In progress", "Review", "Waiting on client", "Done", "Nothing here yet", "Last year (archived)"]
LABELS = ["Working on it", "Done", "Stuck", "(no status)"]


def stage_names(app: WizardApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, MappingScreen)
    return [obj.name for kind, obj in screen.shape_rows if kind == "stage"]


async def test_the_stage_column_is_chosen_on_the_mapping_screen(tmp_path: Path) -> None:
    m = make_monday_folder(tmp_path)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        shown = str(app.screen.query_one("#source-preset", Static).render())
        assert "board" in shown and "group → step" in shown
        assert stage_names(app) == GROUPS
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        offered = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert any("status_column: board → template · the labels of a status column" in o for o in offered), offered
        await pilot.press("down", "enter")
        await settle(pilot, rounds=8)
        assert isinstance(app.screen, MappingScreen)
        assert load_plan(m.folder).source.preset == "status_column"
        assert "status_column" in str(app.screen.query_one("#source-preset", Static).render())
        assert stage_names(app) == LABELS, "read again: the status labels are the steps"
        assert m.store.inventory["source_preset"] == "status_column"
        fields = [obj.name for kind, obj in app.screen.shape_rows if kind == "field"]
        assert "Status" not in fields and "Owner" in fields, "the stage column is no longer a field"


def test_each_monday_folder_reads_its_own_account(tmp_path: Path) -> None:
    """A sandbox shared by the folders of a test process spent monday.com's complexity budget of
    a minute in two and a half discoveries; the third folder then waited for the next minute."""
    folders = [make_monday_folder(tmp_path / str(i)) for i in range(3)]
    spent = [f.account.window_spent for f in folders]
    assert len({id(f.account) for f in folders}) == 3
    assert spent[0] > 0 and spent == [spent[0]] * 3, spent
