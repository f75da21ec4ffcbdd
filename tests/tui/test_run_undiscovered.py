"""Resuming, from the start screen, a run cut off in a folder without a discovery inventory (a
run of an older version, which kept none, or a plan whose source preset changed since): the
app opens at the run and starts it without the start confirmation's estimate, so the run
discovers first. Its bars get their totals as soon as that discovery is done, before the next
card is written; at the end each bar reads done out of its total, and every card is in the
target once."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label

from tests.e2e.test_cli_flow import check_complete
from tui.app import WizardApp
from tui.model import PHASE_KINDS
from tui_drive import confirm, cut_off_midway, each_card_once, pause_after_cards, settle, until
from wizard.events import ObjectMigrated
from wizard.migration import Migration, read_state


async def _cut_off(folder: Path, sandboxes) -> None:
    m = Migration.create(folder, sandboxes.plan(name="undiscovered", rate_scale=0.01))
    await m.discover()
    app = WizardApp(migration=m, step="run")
    app.backup_first = False
    pause_after_cards(app, 3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await confirm(pilot, "s", "the start confirmation")
        await until(pilot, lambda: app.model.state == "paused", what="the run to pause mid-way")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.return_code is not None, what="the app to leave")
    m = Migration.open(folder)
    m.store.set_inventory({})  # as a version that kept no inventory left it
    m.store.snapshot()
    m.close()


async def test_resuming_a_run_without_an_inventory_gives_its_bars_totals_once_discovered(
    tmp_path: Path, sandboxes
) -> None:
    folder = tmp_path / "undiscovered"
    await _cut_off(folder, sandboxes)
    assert read_state(folder)[0] == "interrupted"
    trello, _ = cut_off_midway(sandboxes)

    app = WizardApp()
    app.backup_first = False
    at_next_card: list[int | None] = []
    emit = app.sink.emit

    def watching(event) -> None:
        emit(event)
        if isinstance(event, ObjectMigrated) and event.kind == "item" and not at_next_card:
            at_next_card.append(app.model.phases["items"].total)

    app.sink.emit = watching
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_folder(folder, "run", then="resume")  # the start screen's Resume (r)
        await until(pilot, lambda: app.last_job == "run" and app.model.started_at is not None, what="the run")
        assert app.migration.inventory() is None, "the folder has no inventory when its run starts"
        await until(pilot, lambda: not app.run_active, timeout=60, what="the run to end")
        await settle(pilot)
        assert app.model.state == "finished", app.model.error
        totals = app.run_totals()
        assert totals["item"] > 0 and at_next_card == [totals["item"]], "the card bar had its total from then on"
        for phase, kind in PHASE_KINDS.items():
            total = totals[kind]
            shown = str(app.screen.query_one(f"#count-{phase}", Label).render())
            assert shown == (f"✓ {total:,}/{total:,}" if total else "none"), (phase, shown)
        overall = sum(totals.values())
        assert str(app.screen.query_one("#count-overall", Label).render()) == f"{overall:,}/{overall:,}"
        assert app.model.eta_source is not None, "the ETA has the estimate's simulation too"
    check_complete(trello, sandboxes.sandbox("tallyfy").export())
    each_card_once(trello, sandboxes.sandbox("tallyfy").export())
