"""The first keyring read of a session chooses the keyring's backend: it scans the installed
entry points and probes each backend, which on a laptop with a desktop keyring takes from tens
of milliseconds to seconds. The app does that in a thread (`wizard.secrets.keyring_ready`),
never on its event loop, where it would freeze the screen: after the first frame with the
preload, and again before the mapping screen reads the target's people."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import keyring.core
import pytest

from tui.app import WizardApp
from tui.screens.mapping import MappingScreen
from tui_drive import until
from tui_fakes import FakeMigration, FakeTarget, frozen_clock, make_folder
from wizard.secrets import keyring_ready, load_credentials


class CredentialedMigration(FakeMigration):
    """The fake target, reached as the real one is: through the profile's credential."""

    def target(self, *, dry_run: bool = False, **kw: Any) -> FakeTarget:
        load_credentials("client", "tallyfy", ("token",))
        return FakeTarget()


@pytest.fixture
def backend_choices(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads the keyring's backend was chosen on, from a keyring that has not chosen one."""
    threads: list[str] = []
    choose = keyring.core.init_backend

    def recorded(*args: Any, **kwargs: Any) -> None:
        threads.append(threading.current_thread().name)
        choose(*args, **kwargs)

    monkeypatch.setattr(keyring.core, "init_backend", recorded)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setenv("MW_CLIENT_TALLYFY_TOKEN", "t0ken-from-the-environment")
    return threads


async def test_the_mapping_screen_reads_people_without_choosing_the_backend_on_the_loop(
    tmp_path: Path, backend_choices: list[str]
) -> None:
    folder = make_folder(tmp_path, items=20, run=False).folder
    m = CredentialedMigration.open(folder)
    keyring.core._keyring_backend = None  # opening the folder may have read the keyring: start unchosen
    backend_choices.clear()
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MappingScreen), what="the mapping screen")
        await until(pilot, lambda: app.target_users is not None, timeout=30, what="the target's people")
        await until(pilot, lambda: app.preloaded, timeout=30, what="the preload")
    assert backend_choices, "the credential was read without choosing a keyring backend"
    on_loop = [t for t in backend_choices if t == threading.main_thread().name]
    assert not on_loop, f"the keyring's backend was chosen on the event loop: {backend_choices}"


def test_keyring_ready_chooses_the_backend_once_and_never_raises(
    backend_choices: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring_ready()
    keyring_ready()
    assert len(backend_choices) == 1

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("no D-Bus session")

    monkeypatch.setattr(keyring.core, "init_backend", broken)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    keyring_ready()  # a broken backend is met by the read, which falls back to the MW_* variables
