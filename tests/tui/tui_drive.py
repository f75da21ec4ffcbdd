"""Helpers to drive the app in Pilot tests: wait on workers, never on wall-clock sleeps
except while polling a live run."""

from __future__ import annotations

import asyncio
import html
import re
from collections import Counter
from collections.abc import Callable

from textual.pilot import Pilot

from wizard.events import ObjectMigrated


async def settle(pilot: Pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot: Pilot, cond: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.05)


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


def pause_after_cards(app, n: int = 3) -> None:
    """Pause the app's run once its n-th card is written, as a person's "p" would: the small
    sandbox migrates its cards in about a second, too fast to time a key press from a test."""

    emit = app.sink.emit

    def pausing(event) -> None:
        emit(event)
        if isinstance(event, ObjectMigrated) and event.kind == "item" and app.model.created["item"] == n:
            app.pause_run()

    app.sink.emit = pausing
