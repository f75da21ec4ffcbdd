"""TUI test fixtures: UTC clock text, no animations, no cursor blink, the real sandboxes."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from tui_scenes import prepare_env
from wizard.sandboxes import start_sandboxes

sys.path.insert(0, str(Path(__file__).parent))  # tui_fakes, tui_scenes


@pytest.fixture(autouse=True)
def _tui_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    time.tzset()

    monkeypatch.setattr(Input, "cursor_blink", False)
    yield
    time.tzset()


@pytest.fixture
def sandboxes():
    running = start_sandboxes(seed=1, scale="small", rate_scale=0.01)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def home() -> Path:
    return Path(os.environ["MIGRATION_WIZARD_HOME"])


@pytest.fixture
def scene_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home for the fixed scenes of tui_scenes (the snapshot tests and the tests that look at a scene)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MIGRATION_WIZARD_HOME", str(home))
    monkeypatch.setenv("HOME", str(home))
    prepare_env(home)
    return home
