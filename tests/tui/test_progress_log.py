"""The run screen's log wraps its long lines at its width, at 80x24 and after a resize: no line
runs off the right edge behind a horizontal scrollbar (at 80x24 most did, and the scrollbar was
a dark band under the log's lines)."""

from __future__ import annotations

from pathlib import Path

from tui_scenes import SCENES


def _fits(log) -> bool:
    return not log.show_horizontal_scrollbar and log.virtual_size.width <= log.scrollable_content_region.width


async def test_the_run_log_wraps_at_its_width_and_again_after_a_resize(scene_home: Path) -> None:
    make, settled = SCENES["progress"]
    app = make(scene_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        log = app.screen.query_one("#run-log")
        longest = max(len(line) for line in app.model.log)
        assert longest > log.scrollable_content_region.width, "the scene has lines longer than the log is wide"
        assert _fits(log)
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert _fits(log)
        said = " ".join(strip.text.rstrip() for strip in log.lines)
        assert all(" ".join(line.split()) in " ".join(said.split()) for line in app.model.log), "every line whole"
