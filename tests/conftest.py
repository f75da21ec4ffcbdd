"""Shared fixtures. Tests never touch the user's real data folder or keyring."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATION_WIZARD_HOME", str(tmp_path_factory.mktemp("mw-home")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (their order kept): a parallel run hands them out before the quick
    ones, so the run ends when its longest test does, not a queue of them later."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def shared_spec(*parts: str) -> Path:
    path = SHARED.joinpath("specs", *parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the vendors' specs live in ../shared beside the project")
    return path
