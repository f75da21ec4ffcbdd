"""The collector held off while the app starts (tui/startup_gc.py) is always back on: after the
first frame, after an app closed before it, and never turned on when it was off before."""

from __future__ import annotations

import gc
from pathlib import Path

from tui import startup_gc
from tui.app import WizardApp
from tui_drive import settle
from tui_fakes import frozen_clock, make_folder


def test_pause_then_resume_once_and_an_off_collector_stays_off() -> None:
    assert gc.isenabled(), "tui.app's import turned it back on"
    resume = startup_gc.pause()
    assert not gc.isenabled()
    resume()
    assert gc.isenabled()
    gc.disable()
    try:
        resume()  # a second call does nothing
        assert not gc.isenabled()
        startup_gc.pause()()
        assert not gc.isenabled(), "off before the pause: off after it"
    finally:
        gc.enable()


async def test_the_app_turns_it_back_on_at_its_first_frame(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=30, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert gc.isenabled()
    assert gc.isenabled()


async def test_an_app_closed_before_its_first_frame_turns_it_back_on(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=30, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="connect")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app._gc_resume = startup_gc.pause()  # as it is from the app's mount until its first frame
        assert not gc.isenabled()
    assert gc.isenabled(), "closing the app turned it back on"
