"""The start screen shows each migration kept in step on a schedule: its next pass in the table
(a ◷ by its state when the terminal is narrow) and, for the selected one, how it is scheduled,
how its last pass ended and when the next one runs."""

from __future__ import annotations

import time
from pathlib import Path

from tui.app import WizardApp
from tui.widgets.paged_table import PagedTable
from tui_drive import screen_text, settle
from tui_fakes import FROZEN, frozen_clock, make_folder
from wizard import schedule
from wizard.migration import remember


def _rows(app: WizardApp) -> dict[str, list[str]]:
    table = app.screen.query_one(PagedTable).table
    return {str(r[0]): [str(c) for c in r] for r in (table.get_row_at(i) for i in range(table.row_count))}


async def test_a_scheduled_migration_shows_its_last_and_next_pass(tmp_path: Path) -> None:
    kept = make_folder(tmp_path / "a", "kept-in-step", items=5)
    plain = make_folder(tmp_path / "b", "one-off", items=5)
    for m in (kept, plain):
        remember(m.folder)
        m.close()
    s = schedule.plan(kept.folder, 3600, None, "systemd", "migration-wizard-kept")
    s = schedule.record_end(kept.folder, schedule.record_start(kept.folder, s, FROZEN - 600), 0, "updated 3")
    next_at = time.strftime("%H:%M", time.localtime(FROZEN - 600 + 3600))

    app = WizardApp(clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        rows = _rows(app)
        assert rows["kept-in-step"][-1] == f"every 1h → {next_at}"
        assert rows["one-off"][-1] == "", "no schedule, nothing said"
        table = app.screen.query_one(PagedTable).table
        table.move_cursor(row=list(rows).index("kept-in-step"))
        await settle(pilot)
        text = screen_text(app)
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(FROZEN - 600))
        assert f"synced every 1h (systemd timer) · last pass {last} ok · next {next_at}" in text

    app = WizardApp(clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = _rows(app)
        assert rows["kept-in-step"][3] == "✓ finished ◷" and rows["one-off"][3] == "✓ finished"
        assert len(rows["kept-in-step"]) == 5, "narrow: no column of its own"

    schedule.write_schedule(kept.folder, s.model_copy(update={"active": False}))  # schedule --remove
    app = WizardApp(clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert _rows(app)["kept-in-step"][-1] == "", "a removed schedule is not shown"


async def test_a_failed_pass_says_so(tmp_path: Path) -> None:
    m = make_folder(tmp_path, "flaky", items=5)
    remember(m.folder)
    m.close()
    s = schedule.plan(m.folder, 900, None, "loop")
    schedule.record_end(m.folder, schedule.record_start(m.folder, s, FROZEN - 60), 3, "Tallyfy keeps failing")
    app = WizardApp(clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "(sync --every) · last pass" in screen_text(app) and "failed (exit 3)" in screen_text(app)
