"""The collector held off while the app starts and while it moves to a step (tui/startup_gc.py,
wizard/gc_hold.py) is always back on: after the first frame, after a move's first frame, after
an app closed while holding it; and a collector that was off before is never turned on."""

from __future__ import annotations

import gc
from pathlib import Path

from tui.app import WizardApp
from tui_drive import settle, until
from tui_fakes import frozen_clock, make_folder
from wizard.gc_hold import Hold


def test_a_hold_ends_once_and_an_off_collector_stays_off() -> None:
    assert gc.isenabled(), "tui.app's import turned it back on"
    hold = Hold()
    hold.start()
    hold.start()  # two moves in a row: one hold
    assert not gc.isenabled() and hold.holding
    hold.end()
    assert gc.isenabled() and not hold.holding
    gc.disable()
    try:
        hold.end()  # not holding: nothing
        assert not gc.isenabled()
        hold.start()
        hold.end()
        assert not gc.isenabled(), "off before the hold: off after it"
    finally:
        gc.enable()


async def test_the_app_turns_it_back_on_after_its_first_frame_and_after_a_move(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=30, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="connect")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert gc.isenabled() and not app.gc_hold.holding
        app.goto("map")
        assert not gc.isenabled(), "held from the move"
        await until(pilot, lambda: app.screen.STEP == "map" and gc.isenabled(), what="the mapping screen, and on")
        await settle(pilot)
        assert gc.isenabled()
    assert gc.isenabled()


async def test_an_app_closed_while_holding_it_turns_it_back_on(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=30, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="connect")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.gc_hold.start()  # as from the app's mount, or a move, to the next frame
        assert not gc.isenabled()
    assert gc.isenabled(), "closing the app turned it back on"
