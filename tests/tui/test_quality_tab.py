"""The mapping screen's Quality tab (5): the plan's data-quality rules on the discovered table,
before the run: which rows a critical rule will quarantine and which only warn, each with why."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tui.app import WizardApp
from tui_fakes import frozen_clock, make_table_folder
from tui_scenes import prepare_env, settle


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MIGRATION_WIZARD_HOME", str(tmp_path))
    prepare_env(tmp_path)
    return tmp_path


async def test_the_quality_tab_names_each_failure_before_the_run(home: Path) -> None:
    app = WizardApp(migration=make_table_folder(home), clock=frozen_clock, step="map")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        shown = str(app.screen.query_one("#quality-text", Static).render())
    assert "2 rows failing a critical rule will be quarantined (not written); 2 warning(s)" in shown
    assert "✗ amount on file (critical): 1 row" in shown and "Bob's bakery: 'Amount' is empty" in shown
    assert "✗ amount positive (critical): 1 row" in shown and "Cy's cycles: empty(amount) or amount > 0" in shown
    assert (
        "⚠ known status (warning): 1 row" in shown and "Dee's deli: 'stage' is 'Lost', not one of New, Shipped" in shown
    )
    assert "⚠ email looks right (warning): 1 row" in shown and "Eve's eatery: 'Email' is 'eve', not an email" in shown


async def test_without_rules_the_tab_says_how_to_add_them(home: Path) -> None:
    m = make_table_folder(home)
    m.plan.quality = []
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        shown = str(app.screen.query_one("#quality-text", Static).render())
    assert "The plan has no data-quality rules" in shown
