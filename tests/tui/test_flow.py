"""The whole wizard, driven by keys, against the real in-process sandboxes (seed 1, small,
rate windows x0.01): connect, discover, map with one edit that lands in plan.toml, estimate
and dry run, run to the end, report and verify, a manual conflict decided, rollback; and an
interrupted run resumed from the start screen with every card in the target exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import OptionList

from adapters.tallyfy.mapping import CONVERSIONS
from tui.app import WizardApp, run_demo
from tui.screens.conflicts import ConflictsScreen
from tui.screens.connect import ConnectScreen
from tui.screens.dialogs import ChoiceDialog, ConfirmDialog
from tui.screens.discovery import DiscoveryScreen
from tui.screens.estimate import EstimateScreen
from tui.screens.mapping import MappingScreen
from tui.screens.progress import ProgressScreen
from tui.screens.report import ReportScreen
from tui.screens.start import StartScreen
from tui.widgets.paged_table import PagedTable
from tui_drive import (
    cards_in_target,
    confirm,
    cut_off_midway,
    each_card_once,
    included_cards,
    next_screen,
    pause_after_cards,
    run_job,
    screen_text,
    settle,
    until,
)
from wizard.migration import Migration, read_state
from wizard.plan import load_plan
from wizard.secrets import SANDBOX_CREDENTIALS


async def test_whole_flow(tmp_path: Path, sandboxes) -> None:
    m = Migration.create(tmp_path / "flow", sandboxes.plan(name="flow", rate_scale=0.01))
    app = WizardApp(migration=m, step="connect")
    async with app.run_test(size=(120, 40)) as pilot:
        # -- connect --
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        assert app.screen.check_action("next", ()) is None, "Next is disabled until the connection is tested"
        await pilot.press("t")
        await settle(pilot)
        assert app.connected is not None and app.connected.ok
        text = screen_text(app)
        assert "✓ connected as" in text
        for secret in (v for creds in SANDBOX_CREDENTIALS.values() for v in creds.values()):
            assert secret not in text

        # -- discover --
        await next_screen(pilot, DiscoveryScreen)
        assert app.screen.containers, "the boards are listed"
        assert app.screen.check_action("next", ()) is None
        await pilot.press("d")
        await settle(pilot)
        inv = m.inventory()
        assert inv is not None and inv.total("item") > 0
        assert f"{inv.total('item'):>8,}  cards".strip() in screen_text(app)

        # -- map: one field-type edit lands in plan.toml --
        screen = await next_screen(pilot, MappingScreen, lambda s: s.shape is not None, "the board's shape")
        row = next(
            i for i, (kind, f) in enumerate(screen.shape_rows) if kind == "field" and len(CONVERSIONS[f.type]) > 1
        )  # a field with a type to change to
        field = screen.shape_rows[row][1]
        table = screen.query_one("#shape-list", PagedTable).table
        table.focus()
        table.move_cursor(row=row)
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        ids = [v for v, _ in dialog.choices]
        choice = next(v for v in ids if v != dialog.current)
        dialog.query_one(OptionList).highlighted = ids.index(choice)
        await pilot.press("enter")
        await settle(pilot)
        assert load_plan(m.folder / "plan.toml").mapping.field_types == {field.key: choice}
        await pilot.press("3")  # the item list, paged
        await settle(pilot)
        items = screen.query_one("#items-table", PagedTable)
        assert items.total == inv.total("item") and 0 < items.table.row_count <= items.page_size

        # -- estimate and dry run --
        await next_screen(pilot, EstimateScreen)
        assert app.screen.est is not None and app.screen.est.target_total > 0
        await pilot.press("d")
        await settle(pilot)
        assert app.dry_actions and any(a.is_write for a in app.dry_actions)
        actions = app.screen.query_one("#actions", PagedTable)
        assert actions.total == len(app.dry_actions) and 0 < actions.table.row_count <= actions.page_size
        assert not cards_in_target(sandboxes.sandbox("tallyfy").export()), "a dry run writes nothing"

        # -- conflicts (none yet), then the run --
        await next_screen(pilot, ConflictsScreen)
        await next_screen(pilot, ProgressScreen)
        await run_job(pilot)
        assert app.model.state == "finished", app.model.error
        assert "✓ finished" in screen_text(app)
        each_card_once(sandboxes.sandbox("trello").export(), sandboxes.sandbox("tallyfy").export())

        # -- report and verify --
        await next_screen(pilot, ReportScreen)
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.report["verify"] is not None
        assert all(not k["missing"] and not k["duplicated"] for k in app.screen.report["verify"]["kinds"].values())
        assert "✓ ok" in screen_text(app)
        assert {p.name for p in (m.folder / "reports").iterdir()} >= {"report.md", "report.json", "report.csv"}

    # -- a manual conflict: a second migration finds the same cards already in the target --
    m2 = Migration.create(tmp_path / "again", sandboxes.plan(name="again", rate_scale=0.01))
    m2.plan.conflicts.default = "manual"
    m2.save_plan()
    await m2.discover()
    app2 = WizardApp(migration=m2, step="run")
    async with app2.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_job(pilot)
        assert m2.store.conflicts, "the engine queued the cards it found already in the target"
        app2.goto("conflicts")
        await settle(pilot)
        screen = app2.screen
        assert isinstance(screen, ConflictsScreen)
        assert screen.check_action("next", ()) is None, "manual conflicts must be decided first"
        first = screen.shown[0]["id"]
        await pilot.press("o")
        await settle(pilot)
        assert m2.store.conflicts[first]["decision"] == "overwrite"
        assert Migration.open(m2.folder).store.conflicts[first]["decision"] == "overwrite", "recorded durably"
        await pilot.press("b")
        await settle(pilot)
        dialog = app2.screen
        assert isinstance(dialog, ChoiceDialog)
        dialog.query_one(OptionList).highlighted = 0  # skip
        await confirm(pilot, "enter", "the bulk confirmation")
        await settle(pilot)
        assert all(c["decision"] for c in m2.store.conflicts.values())
        assert screen.check_action("next", ()) is True
    m2.close()

    # -- rollback from the first migration's report: preview, then confirm --
    app3 = WizardApp(tmp_path / "flow", step="report")
    async with app3.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app3.screen, ReportScreen)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app3.screen, ConfirmDialog), what="the rollback preview")
        preview = app3.screen.query_one(PagedTable)  # (the rollback worker waits on this dialog: no settle here)
        await until(pilot, lambda: preview.total > 0, what="the preview's steps")
        assert preview.table.row_count <= preview.page_size
        assert cards_in_target(sandboxes.sandbox("tallyfy").export()), "the preview changed nothing"
        await pilot.press("y")
        await until(pilot, lambda: not isinstance(app3.screen, ConfirmDialog))
        await settle(pilot)
        assert not cards_in_target(sandboxes.sandbox("tallyfy").export())
        assert read_state(tmp_path / "flow")[0] == "rolled back"


async def test_interrupted_run_resumes_from_start_screen(tmp_path: Path, sandboxes) -> None:
    folder = tmp_path / "cut"
    m = Migration.create(folder, sandboxes.plan(name="cut", rate_scale=0.01))
    await m.discover()
    app = WizardApp(migration=m, step="run")
    pause_after_cards(app, 3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await confirm(pilot, "s", "the start confirmation")
        await until(pilot, lambda: app.model.state == "paused", what="the run paused after three cards")
        # the screen repaints on its next refresh after the state turns: wait for it, not a fixed moment
        await until(pilot, lambda: "‖ paused" in screen_text(app), what="the screen to say paused")
        await pilot.press("x")
        await until(pilot, lambda: not app.run_active, timeout=60, what="the run to stop")
        await settle(pilot)
        assert app.model.state == "interrupted"
    m.close()
    assert read_state(folder)[0] == "interrupted"
    trello, partial = cut_off_midway(sandboxes)

    start = WizardApp()
    async with start.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(start.screen, StartScreen)
        assert "‖ interrupted" in screen_text(start)
        await pilot.press("r")
        # The rest of the run takes well under a second: wait for it to have started, not to be
        # seen running (a poll can miss that window entirely).
        await until(
            pilot,
            lambda: isinstance(start.screen, ProgressScreen) and start.model.started_at is not None,
            what="resume",
        )
        await until(pilot, lambda: not start.run_active, timeout=60, what="the resumed run to end")
        await settle(pilot)
        assert start.model.state == "finished", start.model.error
        # The bars started from what the first run wrote (totals from the inventory, done from
        # the store), and the rate counts only what this run did.
        items = start.model.phases["items"]
        left_out = sum(x["kind"] == "item" for c in start.migration.inventory().containers for x in c.left_out)
        assert items.total == len(included_cards(trello)) + left_out, "cards to write, and those passed by"
        assert items.baseline == len(partial), "the cards bar starts where the cut-off run stopped"
        assert items.done == items.total
        assert start.model.already == sum(p.baseline for p in start.model.phases.values())
        assert f"{items.total:,}/{items.total:,}" in screen_text(start)
    each_card_once(trello, sandboxes.sandbox("tallyfy").export())


def test_run_demo_opens_the_wizard_on_fresh_sandboxes(tmp_path: Path, monkeypatch) -> None:
    seen: dict = {}

    def headless_run(self: WizardApp, *a, **kw) -> None:
        async def drive() -> None:
            async with self.run_test(size=(100, 30)) as pilot:
                await settle(pilot)
                seen["screen"] = type(self.screen).__name__
                await pilot.press("ctrl+t")
                await settle(pilot)
                seen["ok"] = self.connected is not None and self.connected.ok

        asyncio.run(drive())

    monkeypatch.setattr(WizardApp, "run", headless_run)

    assert run_demo(tmp_path / "demo") == 0
    assert seen == {"screen": "ConnectScreen", "ok": True}
    assert load_plan(tmp_path / "demo" / "plan.toml").source.profile == "sandbox"
