"""TUI test fixtures: UTC clock text, no animations, no cursor blink, the real sandboxes."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

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
