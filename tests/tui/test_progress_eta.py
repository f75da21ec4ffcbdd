"""The progress screen's ETA is the estimate's own simulation of the work left (issue 19): a run
paused part-way shows the seconds `eta_s` gives for what its bars say is done, under the limits
in force, not the work left at the run's pace."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tui.app import WizardApp
from tui.model import ETA_EVERY_S, PHASE_KINDS
from tui.screens.dialogs import ConfirmDialog
from tui_drive import pause_after_cards, screen_text, settle, until
from wizard.engine.estimate import eta_s
from wizard.humanize import human_duration
from wizard.migration import Migration


async def test_a_paused_runs_eta_is_the_simulation_of_what_is_left(tmp_path: Path, sandboxes) -> None:
    m = Migration.create(tmp_path / "eta", sandboxes.plan(name="eta", rate_scale=0.01))
    await m.discover()
    now = [time.time()]
    app = WizardApp(migration=m, step="run", clock=lambda: now[0])
    pause_after_cards(app, 3)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the start confirmation")
        await pilot.press("y")
        await until(pilot, lambda: app.model.state == "paused", what="the run to pause part-way")
        md = app.model
        done = {kind: md.phases[phase].done for phase, kind in PHASE_KINDS.items() if phase in md.phases}
        assert 0 < done["item"] < md.totals["item"], done
        now[0] += ETA_EVERY_S  # the next look simulates again, from what is done now
        shown = md.eta()
        want = eta_s(m.plan, m.inventory(), done, learned=m.learned_limits())
        assert shown == pytest.approx(want, abs=0.01), (shown, want, done)
        pace = max(0, (md.total or 0) - md.processed) / md.throughput() if md.throughput() > 0 else None
        assert pace is None or abs(pace - want) > 0.01, "the run's pace would say the same: nothing is told apart"
        await pilot.pause(0.2)  # not settle: the paused run's worker does not complete
        assert f"ETA {human_duration(shown)}" in " ".join(screen_text(app).split())
        app.cancel_run()
        await until(pilot, lambda: md.state == "interrupted", timeout=60, what="the run to stop")
