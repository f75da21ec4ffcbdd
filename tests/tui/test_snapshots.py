"""Every screen at 80x24 and 160x48, from the fixed scenes in tui_scenes (frozen clock,
fixed data, folders named the same on every machine). Review snapshot_report.html before
running `pytest tests/tui --snapshot-update`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_scenes import SCENES

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", list(SCENES))
def test_screen(scene: str, size: tuple[int, int], scene_home: Path, snap_compare) -> None:
    make, before = SCENES[scene]
    assert snap_compare(make(scene_home), run_before=before, terminal_size=size)


@pytest.mark.parametrize("scene", ["progress", "report"])
def test_screen_without_colour(scene: str, scene_home: Path, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    make, before = SCENES[scene]
    assert snap_compare(make(scene_home), run_before=before, terminal_size=(80, 24))
