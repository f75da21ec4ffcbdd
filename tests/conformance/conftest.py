"""The conformance suite's parameters and worlds: every test that asks for `source`, `target`
or `pair` runs once per registered adapter (or pair), against its sandbox."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conformance import systems
from tests.conformance.known_gaps import FLAKY, KNOWN
from tests.conformance.systems import System
from tests.e2e.conftest import Served, cli, serve, stop

PLUGINS = Path(__file__).parent / "plugins"

# Adapters the test suite registers itself: each package under plugins/ registers on import.
for _pkg in sorted(p.name for p in PLUGINS.iterdir() if (p / "__init__.py").exists()) if PLUGINS.exists() else ():
    importlib.import_module(f"tests.conformance.plugins.{_pkg}")


def pytest_configure(config: pytest.Config) -> None:
    for name, what in COVERING.items():
        config.addinivalue_line("markers", f"{name}: {what}")


COVERING = {
    "per_source": "a pair check that runs for every source, into the reference target",
    "per_target": "a pair check that runs for every target, from each reference source",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    test = metafunc.function.__name__

    def param(value: object, *names: str) -> object:
        keys = [(n, t) for n in (*names, "-".join(names)) for t in (test, "*")]
        key = next((k for k in keys if k in KNOWN), None)
        marks = [pytest.mark.xfail(reason=KNOWN[key], strict=True)] if key else []
        flaky = next((k for k in keys if k in FLAKY), None)
        marks += [pytest.mark.xfail(reason=FLAKY[flaky], strict=False)] if flaky and not key else []
        return pytest.param(value, marks=marks, id="-".join(names))

    if "source" in metafunc.fixturenames:
        metafunc.parametrize("source", [param(s, s.name) for s in systems.sources()])
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", [param(t, t.name) for t in systems.targets()])
    if "pair" in metafunc.fixturenames:
        per = {name: metafunc.definition.get_closest_marker(name) is not None for name in COVERING}
        chosen = systems.covering(**per) if any(per.values()) else systems.pairs()
        metafunc.parametrize("pair", [param(p, p[0].name, p[1].name) for p in chosen])


@dataclass
class World:
    """A source and a target sandbox served by `sandbox serve`, a migration folder whose plan
    points at them, and the real CLI (as a subprocess) to drive it."""

    source: System
    target: System
    served: Served

    @property
    def folder(self) -> Path:
        return self.served.folder

    @property
    def command(self) -> list[str]:
        return systems.cli_command(self.source, self.target)

    def cli(self, *args: str, timeout: float = 600):
        return cli(*args, timeout=timeout, command=self.command)

    def ok(self, *args: str) -> str:
        r = self.cli(*args)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        return r.stdout

    def export(self, side: System) -> dict:
        return self.served.export(side.name)

    def stats(self, side: System) -> dict:
        return self.served.stats(side.name)

    def reset_stats(self) -> None:
        for side in (self.source, self.target):
            httpx.post(f"{self.served.urls[side.name]}/_sandbox/stats/reset", timeout=10)


@pytest.fixture
def world(pair: tuple[System, System], tmp_path: Path) -> Iterator[World]:
    source, target = pair
    command = systems.cli_command(source, target)
    served = serve(
        tmp_path / "mig",
        "--systems",
        f"{source.name},{target.name}",
        "--scale",
        "small",
        "--seed",
        "2",
        "--rate-scale",
        "0.001",
        command=command,
    )
    yield World(source, target, served)
    stop(served)
