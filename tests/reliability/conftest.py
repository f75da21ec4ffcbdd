"""Reliability fixtures: the real CLI against `sandbox serve`, as in tests/e2e."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.sandboxkit import SandboxServer
from tests.e2e.conftest import Served, serve, stop
from wizard.plan import save_plan
from wizard.sandboxes import RunningSandboxes


@pytest.fixture
def served_small(tmp_path: Path) -> Iterator[Served]:
    s = serve(tmp_path / "mig", "--scale", "small", "--seed", "5", "--rate-scale", "0.001")
    yield s
    stop(s)


class InProcess:
    """Both sandboxes served in this process (threads on loopback), so a test can reach into
    their state; the CLI still runs as a subprocess against them."""

    def __init__(
        self,
        folder: Path,
        trello: object,
        tallyfy: object,
        *,
        source_scale: float,
        target_scale: float,
        **mapping: object,
    ) -> None:
        self.folder = folder
        self.running = RunningSandboxes()
        for name, sb in (("trello", trello), ("tallyfy", tallyfy)):
            self.running.servers[name] = self.running.stack.enter_context(SandboxServer(sb))  # type: ignore[arg-type]
        plan = self.running.plan(name=folder.name, rate_scale=target_scale, **mapping)
        plan.source.rate_window_scale = source_scale
        for sub in ("state", "logs", "reports"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        save_plan(folder / "plan.toml", plan)
        self.trello = trello
        self.tallyfy = tallyfy

    @property
    def urls(self) -> dict[str, str]:
        return self.running.urls

    def export(self, system: str) -> dict:
        sb = self.trello if system == "trello" else self.tallyfy
        with sb.lock:  # type: ignore[attr-defined]
            return sb.export_with_manifest()  # type: ignore[attr-defined]  # a source's with its manifest, as served

    def close(self) -> None:
        self.running.close()
