"""The estimate screen's checkbox: on by default, a real run started from the wizard backs the
source up (the folder's backup/, which then verifies) before anything is written; turned off,
the run writes without one. Against the real in-process sandboxes, driven by keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Checkbox

from tui.app import WizardApp
from tui.screens.estimate import EstimateScreen
from tui_drive import cards_in_target, settle, until
from wizard.backup import verify_backup
from wizard.migration import Migration


@pytest.mark.parametrize("keep_it", [True, False], ids=["on-by-default", "turned-off"])
async def test_a_run_from_the_wizard_backs_the_source_up_first(tmp_path: Path, sandboxes, keep_it: bool) -> None:
    m = Migration.create(tmp_path / "mig", sandboxes.plan(name="mig", rate_scale=0.01))
    await m.discover()
    app = WizardApp(migration=m, step="estimate")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, EstimateScreen)
        await until(pilot, lambda: screen.est is not None, what="the estimate")
        box = screen.query_one("#backup-first", Checkbox)
        assert box.value, "on by default for a real run"
        if not keep_it:
            await pilot.click("#backup-first")
            await settle(pilot)
        assert app.backup_first is keep_it
        app.start_run()  # what the run screen's s does once confirmed
        await until(pilot, lambda: app.model.started_at is not None, what="the run to start")
        await until(pilot, lambda: not app.run_active, timeout=120, what="the run to end")
        await settle(pilot)
        assert app.run_summary is not None, list(app.model.log)
    assert cards_in_target(sandboxes.sandbox("tallyfy").export()), "the run wrote"
    archive = m.folder / "backup"
    assert (archive / "manifest.json").exists() is keep_it
    steps = [json.loads(line)["command"] for line in (m.folder / "audit.log").read_text().splitlines()]
    if keep_it:
        assert verify_backup(archive).ok
        assert steps.index("backup") < steps.index("run"), steps
    else:
        assert "backup" not in steps
