"""Helpers to drive the app in Pilot tests: wait on workers, never on wall-clock sleeps
except while polling a live run."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from textual.pilot import Pilot
from textual.screen import Screen

from tests.e2e.test_cli_flow import check_complete
from tui.app import WizardApp
from tui.screens.dialogs import ConfirmDialog
from tui.screens.progress import ProgressScreen
from tui_scenes import settle
from wizard.events import ObjectMigrated
from wizard.migration import read_state

S = TypeVar("S", bound=Screen)


async def until(pilot: Pilot, cond: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.05)


async def next_screen(pilot: Pilot, kind: type[S], ready: Callable[[S], bool] | None = None, what: str = "") -> S:
    """Press n (Next), settle, and the screen it led to, which must be a `kind`; with `ready`,
    wait until the screen's own state is there (a worker's result, a table filled) and settle."""
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, kind), f"n led to {type(screen).__name__}, not {kind.__name__}"
    if ready is not None:
        await until(pilot, lambda: ready(screen), what=what or f"the {kind.__name__}'s state")
        await settle(pilot)
    return screen


async def confirm(pilot: Pilot, key: str, what: str) -> None:
    """Press `key`, wait for the confirmation it asks (`what`), and answer y."""
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), what=what)
    await pilot.press("y")


async def run_job(pilot: Pilot, key: str = "s", job: str = "run", timeout: float = 60) -> None:
    """Start the run (or the sync) with `key`, confirm it, and wait until it has started and ended.
    Started means this job's own start (a sync after a run finds the run's start time set)."""
    app = pilot.app
    await confirm(pilot, key, f"the {job}'s confirmation")
    await until(pilot, lambda: app.last_job == job and app.model.started_at is not None, what=f"the {job} to start")
    await until(pilot, lambda: not app.run_active, timeout=timeout, what=f"the {job} to end")
    await settle(pilot)


@asynccontextmanager
async def resumed(folder: Path) -> AsyncIterator[tuple[WizardApp, Pilot]]:
    """Open a folder whose run was cut off: the app opens at the run, which is started again
    and must finish; the app stays open in the block."""
    app = WizardApp(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ProgressScreen), what="the run screen of the folder")
        await settle(pilot)
        await run_job(pilot)
        assert app.model.state == "finished", app.model.error
        yield app, pilot


def screen_text(app) -> str:
    """Everything on screen as plain text (the SVG's text, unescaped)."""

    svg = app.export_screenshot()
    return html.unescape(" ".join(re.findall(r">([^<>]+)</text>", svg))).replace("\xa0", " ")


def cards_in_target(export: dict) -> dict[str, int]:
    return dict(
        Counter(
            r["source_ref"]
            for r in export["runs"]
            if not r.get("preexisting") and not r.get("archived") and r.get("status") != "deleted"
        )
    )


def included_cards(trello: dict) -> set[str]:
    return {f"trello:card:{c['id']}" for b in trello["boards"] for c in b["cards"] if c["visible"]}


def cut_off_midway(sandboxes) -> tuple[dict, dict[str, int]]:
    """After a run stopped mid-way: the target holds some of the source's cards, not all.
    Returns the source's export and the cards in the target."""
    partial = cards_in_target(sandboxes.sandbox("tallyfy").export())
    trello = sandboxes.sandbox("trello").export()
    assert 0 < len(partial) < len(included_cards(trello)), "cut off mid-way"
    return trello, partial


def each_card_once(trello: dict, tallyfy: dict) -> None:
    """Every card the run includes is in the target, exactly once."""
    per_card = cards_in_target(tallyfy)
    assert set(per_card) == included_cards(trello), "every card"
    assert set(per_card.values()) == {1}, f"every card exactly once: {per_card}"


def at_card(app, n: int, act: Callable[[], object]) -> None:
    """Call `act` once the app's run has written its n-th card, as a person's key press would:
    the small sandbox migrates its cards in about a second, too fast to time a key from a test."""

    emit = app.sink.emit

    def acting(event) -> None:
        emit(event)
        if isinstance(event, ObjectMigrated) and event.kind == "item" and app.model.created["item"] == n:
            act()

    app.sink.emit = acting


def pause_after_cards(app, n: int = 3) -> None:
    """Pause the app's run once its n-th card is written, as a person's "p" would."""
    at_card(app, n, app.pause_run)


async def interrupted_then_finished(folder: Path, sandboxes) -> None:
    """After the app left mid-run: the folder reads `interrupted`, its journal has no gap, the
    target holds some cards, and reopening the folder finishes the run with every card once."""
    assert read_state(folder)[0] == "interrupted"
    seqs = [json.loads(line)["seq"] for line in (folder / "state" / "journal.jsonl").read_text().splitlines()]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the journal has a half-written or missing line"
    trello, _ = cut_off_midway(sandboxes)
    async with resumed(folder):
        pass
    assert read_state(folder)[0] == "finished"
    check_complete(trello, sandboxes.sandbox("tallyfy").export())
    each_card_once(trello, sandboxes.sandbox("tallyfy").export())
