from __future__ import annotations

from pathlib import Path

import pytest

from adapters.monday.documents import API_VERSION

SPECS = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "monday"


@pytest.fixture(scope="session")
def shared_sdl() -> str:
    """The SDL of the pinned API version from ../shared/specs/monday (monday.com's own)."""
    path = SPECS / f"schema-{API_VERSION}.graphql"
    if not path.exists():
        pytest.skip(f"{path} is absent (a clone without ../shared): the SDL contract tests need monday.com's SDL")
    return path.read_text("utf-8")
