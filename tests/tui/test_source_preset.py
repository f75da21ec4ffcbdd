"""The mapping screen's source preset: shown with what it does, chosen by key or by mouse,
written to plan.toml, and the source read again under it (the real preset and discovery)."""

from __future__ import annotations

from pathlib import Path

from test_keyboard_model import toasts
from textual.widgets import Label, OptionList, Static

from tui.app import WizardApp
from tui.screens.dialogs import ChoiceDialog
from tui.screens.mapping import MappingScreen
from tui_drive import settle
from tui_fakes import ASANA_TASKS, frozen_clock, make_asana_folder, make_folder
from wizard.plan import load_plan


def stage_names(app: WizardApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, MappingScreen)
    return [obj.name for kind, obj in screen.shape_rows if kind == "stage"]


async def test_the_source_preset_is_shown_and_chosen_by_key(tmp_path: Path) -> None:
    m = make_asana_folder(tmp_path)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        shown = str(app.screen.query_one("#source-preset", Static).render())
        assert "board" in shown and "section → step" in shown
        target = " ".join(str(app.screen.query_one("#preset", Label).render()).split())
        assert target == "preset kanban: section → step · task → process", "the target's preset in Asana's words"
        assert stage_names(app) == ["To do", "Doing", "Done"]
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        offered = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert any("project_as_process: project → template whose steps are its tasks" in o for o in offered)
        await pilot.press("down", "enter")
        await settle(pilot, rounds=5)
        assert isinstance(app.screen, MappingScreen)
        assert load_plan(m.folder).source.preset == "project_as_process"
        assert "project_as_process" in str(app.screen.query_one("#source-preset", Static).render())
        target = " ".join(str(app.screen.query_one("#preset", Label).render()).split())
        assert target == "preset kanban: task → step · project → process", "and again under the preset chosen"
        tasks = [*ASANA_TASKS[:3], "Check the tone", *ASANA_TASKS[3:]]
        assert stage_names(app) == tasks, "read again: each task is a step, in section order"
        assert m.store.inventory["source_preset"] == "project_as_process"


async def test_the_source_preset_is_chosen_by_mouse(tmp_path: Path) -> None:
    m = make_asana_folder(tmp_path)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert await pilot.click("#source-preset")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        # at 80 columns the first choice takes the list's first two lines inside its border
        assert await pilot.click(OptionList, offset=(6, 4))
        await settle(pilot, rounds=5)
        assert load_plan(m.folder).source.preset == "project_as_process"
        assert len(stage_names(app)) == len(ASANA_TASKS) + 1


async def test_after_a_run_the_preset_stays_and_the_key_says_why(tmp_path: Path) -> None:
    m = make_asana_folder(tmp_path)
    m.store.done("asana:task:p10", "item", "run", "run1", created=True, parent_id="tpl1")
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        seen = toasts(app)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen), "no choice is offered"
        assert any("roll back first" in t for t in seen), seen
        assert load_plan(m.folder).source.preset == "board"


async def test_a_source_without_presets_shows_no_choice(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="map")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#source-preset")
        assert app.screen.check_action("source_preset", ()) is False
