"""Shared fixtures. Tests never touch the user's real data folder or keyring."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test its own data folder and no keyring; and the environment as it found it
    afterwards (a test that sets HOME or TZ itself, as the TUI scenes do, would otherwise
    change the tests after it in its worker, which differ from run to run in parallel)."""
    saved = dict(os.environ)
    monkeypatch.setenv("MIGRATION_WIZARD_HOME", str(tmp_path_factory.mktemp("mw-home")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)
        time.tzset()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (their order kept): a parallel run hands them out before the quick
    ones, so the run ends when its longest test does, not a queue of them later."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def shared_spec(*parts: str) -> Path:
    path = SHARED.joinpath("specs", *parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the vendors' specs live in ../shared beside the project")
    return path
