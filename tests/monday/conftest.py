from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.monday.documents import API_VERSION
from adapters.monday.sandbox import MondaySandbox
from adapters.sandboxkit import SandboxServer

SPECS = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "monday"


@pytest.fixture(scope="session")
def shared_sdl() -> str:
    """The SDL of the pinned API version from ../shared/specs/monday (monday.com's own)."""
    path = SPECS / f"schema-{API_VERSION}.graphql"
    if not path.exists():
        pytest.skip(f"{path} is absent (a clone without ../shared): the SDL contract tests need monday.com's SDL")
    return path.read_text("utf-8")


@pytest.fixture
def served() -> Iterator[tuple[MondaySandbox, str]]:
    """The monday.com sandbox (seed 1, small) served on loopback, and its URL."""
    sb = MondaySandbox(seed=1, scale="small")
    with SandboxServer(sb) as srv:
        yield sb, srv.url
