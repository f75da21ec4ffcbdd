"""The estimate screen sets the comment strategies side by side with their finish times; c
chooses one (for every container or for one), which lands in plan.toml and changes the
estimate's duration to what the side by side said it would be."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from tui.app import WizardApp
from tui.screens.dialogs import ChoiceDialog
from tui.screens.estimate import EstimateScreen
from tui_drive import screen_text, settle, until
from tui_fakes import frozen_clock, make_folder
from wizard.plan import load_plan


async def test_choosing_a_comment_strategy_changes_the_duration(tmp_path: Path) -> None:
    m = make_folder(tmp_path, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="estimate")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, EstimateScreen)
        await until(pilot, lambda: screen.est is not None, what="the estimate")
        await settle(pilot)
        before = screen.est
        assert before is not None
        costs = {c.name: c for c in before.comment_strategies}
        assert [c.name for c in before.comment_strategies if c.chosen] == ["each"]
        assert costs["field"].duration_s < costs["each"].duration_s
        text = screen_text(app)
        for c in before.comment_strategies:
            assert f"{c.name}" in text and f"{c.calls:,} calls" in text
        assert "done " in text

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog), "three boards with comments: which one first"
        await pilot.press("enter")  # every container
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        offered = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert offered[2].startswith("  field: ") and "done" in offered[2]
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: screen.est is not before, what="the estimate again")
        await settle(pilot)
        after = screen.est
        assert after is not None
        assert after.duration_s != before.duration_s
        assert after.duration_s == costs["field"].duration_s
        assert load_plan(m.folder).mapping.comments == "field"
        assert "● field" in screen_text(app)

        # one board back to each: the plan names it, the duration grows again
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("down", "enter")  # the first board
        await settle(pilot)
        await pilot.press("up", "up", "enter")  # from field to each
        await until(pilot, lambda: screen.est is not after, what="the estimate a third time")
        await settle(pilot)
        first = m.inventory().containers[0].key
        assert load_plan(m.folder).mapping.comments_by_container == {first: "each"}
        assert screen.est is not None and screen.est.duration_s > after.duration_s
