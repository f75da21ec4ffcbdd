"""The TUI and the CLI are two faces of one Migration: they leave the same audit.log and
logs/run.jsonl; a dry run is never shown as done; the clock starts with the run; quitting
mid-run says so and reopening the folder resumes to a complete target."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from tests.e2e.conftest import cli
from tests.e2e.test_cli_flow import check_complete
from tui.app import WizardApp, run_demo
from tui.screens.discovery import DiscoveryScreen
from tui.screens.report import ReportScreen
from tui_drive import (
    confirm,
    cut_off_midway,
    each_card_once,
    pause_after_cards,
    resumed,
    run_job,
    screen_text,
    settle,
    until,
)
from wizard.migration import Migration, read_state
from wizard.sandboxes import start_sandboxes

TIMING = {"RateLimited", "RequestRetried"}  # whether a wait or a retry happens depends on the clock


def audit_commands(folder: Path) -> set[str]:
    return {json.loads(ln)["command"] for ln in (folder / "audit.log").read_text().splitlines()}


def log_kinds(folder: Path) -> set[str]:
    return {json.loads(ln)["event"] for ln in (folder / "logs" / "run.jsonl").read_text().splitlines()} - TIMING


async def _start_run(pilot) -> None:
    await confirm(pilot, "s", "the start confirmation")
    await until(pilot, lambda: pilot.app.model.started_at is not None, what="the run to start")


def test_a_tui_run_leaves_the_same_audit_and_log_as_a_cli_run(tmp_path: Path) -> None:
    # The same plan on two fresh worlds: one driven through the TUI, one through the CLI.
    with (
        start_sandboxes(seed=1, scale="small", rate_scale=0.01) as tui_world,
        start_sandboxes(seed=1, scale="small", rate_scale=0.01) as cli_world,
    ):
        tui_folder, cli_folder = tmp_path / "tui", tmp_path / "cli"
        m = Migration.create(tui_folder, tui_world.plan(name="same", rate_scale=0.01))
        app = WizardApp(migration=m, step="discover")

        async def drive() -> None:
            async with app.run_test(size=(120, 40)) as pilot:
                await settle(pilot)
                assert isinstance(app.screen, DiscoveryScreen)
                await pilot.press("d")
                await settle(pilot)
                app.goto("run")
                await settle(pilot)
                text = screen_text(app)
                assert "not started" in text and "/s" not in text, "no clock before the run starts"
                app.goto("estimate")
                await settle(pilot)
                await pilot.press("d")  # the dry run
                await settle(pilot)
                assert app.dry_actions
                assert sum(app.model.created.values()) == 0 and app.model.state == "idle", (
                    "a dry run's actions are not shown as created"
                )
                app.goto("run")
                await settle(pilot)
                assert "created" not in app.screen.query_one("#run-state").render().plain
                await run_job(pilot)
                assert app.model.state == "finished", app.model.error
                app.goto("report")
                await settle(pilot)
                await pilot.press("v")
                await settle(pilot)
                assert isinstance(app.screen, ReportScreen) and app.screen.report["verify"] is not None

        asyncio.run(drive())
        m.close()

        Migration.create(cli_folder, cli_world.plan(name="same", rate_scale=0.01)).close()
        for args in (("discover",), ("estimate",), ("run", "--dry-run"), ("run", "--yes"), ("verify",), ("report",)):
            r = cli(*args[:1], str(cli_folder), *args[1:])
            assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]

    # the same commands, and the TUI's backup before its run (the estimate screen's checkbox, on by default)
    assert audit_commands(cli_folder) == {"new", "discover", "estimate", "run", "verify", "report"}
    assert audit_commands(tui_folder) == audit_commands(cli_folder) | {"backup"}
    tui_kinds, cli_kinds = log_kinds(tui_folder), log_kinds(cli_folder)
    assert tui_kinds == cli_kinds
    assert {"ObjectMigrated", "RunFinished", "PhaseStarted"} <= tui_kinds


async def test_quitting_mid_run_says_so_and_reopening_resumes_to_a_complete_target(
    tmp_path: Path, sandboxes, capsys
) -> None:
    folder = tmp_path / "quit"
    m = Migration.create(folder, sandboxes.plan(name="quit", rate_scale=0.01))
    await m.discover()
    app = WizardApp(migration=m, step="run")
    pause_after_cards(app, 3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _start_run(pilot)
        await until(pilot, lambda: app.model.state == "paused", what="the run to pause mid-way")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.return_code is not None, what="the app to leave")
    assert app.return_code == 130, "quitting a run is not a silent success"
    said = " ".join(capsys.readouterr().err.split())
    assert f"The run stopped at a safe point; nothing is lost, and opening {folder} again resumes it." in said
    assert read_state(folder)[0] == "interrupted"
    trello, _ = cut_off_midway(sandboxes)

    async with resumed(folder) as (again, pilot):
        again.goto("report")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        kinds = again.screen.report["verify"]["kinds"]
        assert all(not k["missing"] and not k["duplicated"] for k in kinds.values()), kinds
    check_complete(trello, sandboxes.sandbox("tallyfy").export())
    each_card_once(trello, sandboxes.sandbox("tallyfy").export())


def test_the_demo_quit_mid_run_and_opened_again_resumes_on_the_same_sandboxes(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    seen: dict = {}

    def first(self: WizardApp, *a, **kw) -> None:
        pause_after_cards(self, 3)

        async def drive() -> None:
            async with self.run_test(size=(100, 30)) as pilot:
                await settle(pilot)
                self.goto("run")
                await settle(pilot)
                await _start_run(pilot)
                await until(pilot, lambda: self.model.state == "paused", what="the run to pause mid-way")
                await pilot.press("ctrl+q")
                await until(pilot, lambda: self.return_code is not None, what="the app to leave")

        asyncio.run(drive())

    def second(self: WizardApp, *a, **kw) -> None:
        async def drive() -> None:
            async with self.run_test(size=(100, 30)) as pilot:
                await settle(pilot)
                assert self.migration.state == "interrupted"
                self.goto("run")
                await settle(pilot)
                await _start_run(pilot)
                await until(pilot, lambda: not self.run_active, timeout=60, what="the resumed run to end")
                assert self.model.state == "finished", self.model.error
                self.goto("report")
                await settle(pilot)
                await pilot.press("v")
                await settle(pilot)
                seen["verify"] = self.screen.report["verify"]["kinds"]
                seen["folder_shown"] = "Folder:" in screen_text(self)
                base = self.migration.plan
                seen["trello"] = httpx.get(
                    base.source.base_url.removesuffix("/1") + "/_sandbox/export", timeout=60
                ).json()
                seen["tallyfy"] = httpx.get(
                    base.target.base_url.removesuffix("/api") + "/_sandbox/export", timeout=60
                ).json()

        asyncio.run(drive())

    folder = tmp_path / "demo"
    monkeypatch.setattr(WizardApp, "run", first)
    assert run_demo(folder) == 130
    out = " ".join(capsys.readouterr().out.split())
    assert f"Demo folder: {folder}" in out and f"The demo's folder is kept: {folder}" in out
    assert read_state(folder)[0] == "interrupted"

    monkeypatch.setattr(WizardApp, "run", second)
    assert run_demo(folder) == 0
    assert all(not k["missing"] and not k["duplicated"] for k in seen["verify"].values()), seen["verify"]
    assert seen["folder_shown"]
    check_complete(seen["trello"], seen["tallyfy"])
    each_card_once(seen["trello"], seen["tallyfy"])
