"""A moment after the first frame the app does what the first move to each step would do
(tui/warmup.py): it imports the steps' screens and parses every widget class's default CSS.
Once it says so (`app.preloaded`), moving to the mapping screen, the widest step, builds its
widgets with no new CSS for the stylesheet to parse: a new source makes Textual parse the
whole stylesheet again on the next mount, about a third of a warm move (issue 19, < 0.1 s)."""

from __future__ import annotations

from pathlib import Path

from tui.app import WizardApp
from tui.screens.mapping import MappingScreen
from tui_drive import settle, until
from tui_fakes import frozen_clock, make_folder


async def test_after_the_preload_moving_to_the_mapping_screen_parses_no_new_css(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=50, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="connect")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.preloaded, timeout=30, what="the preload")
        sources = set(app.stylesheet.source)
        app.goto("map")
        await until(pilot, lambda: isinstance(app.screen, MappingScreen) and app.screen.tabs_built, what="the tabs")
        await settle(pilot)
        added = set(app.stylesheet.source) - sources
        assert not added, f"CSS first parsed on the move: {sorted(str(a) for a in added)}"
