"""The registered sources and targets, as the conformance suite runs them.

The suite is parametrised over `sources()`, `targets()` and their pairs: an adapter that is
registered is tested, with no test code of its own. An adapter registered from the test suite
itself (the CSV toy source) is added with `register()` and names the module a CLI subprocess
must import first to know it (`cli_prelude`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from adapters.sandboxkit import SandboxServer
from tests.launch import Forked
from wizard import registry
from wizard.adapter import SourceAdapter
from wizard.events import EventSink
from wizard.plan import Endpoint, Limits

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO.parent / "shared" / "specs"


@dataclass(frozen=True)
class System:
    name: str
    kind: str  # "source" or "target"
    cli_prelude: tuple[str, ...] = ()  # modules a CLI subprocess imports before it starts

    def __str__(self) -> str:
        return self.name


_REGISTERED_HERE: dict[str, System] = {}


def register(spec: registry.AdapterSpec, cli_prelude: str) -> None:
    """Register an adapter from the test suite itself (it is no installed plug-in): in this
    process, and in every CLI subprocess the suite starts, which imports `cli_prelude` first."""
    registry.register(spec)
    _REGISTERED_HERE[spec.system] = System(spec.system, spec.kind, (cli_prelude,))


def _side(kind: str) -> list[System]:
    return [_REGISTERED_HERE.get(name) or System(name, kind) for name in sorted(registry.specs(kind))]  # type: ignore[arg-type]


def sources() -> list[System]:
    return _side("source")


def targets() -> list[System]:
    return _side("target")


def pairs() -> list[tuple[System, System]]:
    """Every source into every other system's target: a system that is both (monday.com) has
    one sandbox, which `sandbox serve` serves once, so it is not paired with itself."""
    return [(s, t) for s in sources() for t in targets() if s.name != t.name]


# The pairs the heavy checks run on (see test_pair.py for why they cover every pair): every
# source into the reference target, and every target from each reference source. The
# reference target is the first-ranked one; the reference sources together hold every kind a
# source sandbox's manifest can list (test_source.py holds them to it).
REFERENCE_SOURCES = ("trello", "asana")


def reference_target() -> str:
    return next(iter(registry.specs("target")))


def covering(*, per_source: bool, per_target: bool) -> list[tuple[System, System]]:
    """Of every pair, those into the reference target (`per_source`) and those from a
    reference source (`per_target`)."""
    ref = reference_target()
    return [
        (s, t) for s, t in pairs() if (per_source and t.name == ref) or (per_target and s.name in REFERENCE_SOURCES)
    ]


def cli_command(*systems: System) -> list[str]:
    """The real CLI, a process of its own per command that first imports what these systems
    need: forked from a server that imported it once (tests/launch.py), as the suite starts
    many; its argv is the fresh subprocess's (which `sandbox serve` is started as)."""
    preload = tuple(m for s in systems for m in s.cli_prelude)
    prelude = "".join(f"import {m}; " for m in preload)
    if prelude:
        prelude = f"import sys; sys.path.insert(0, {str(REPO)!r}); {prelude}"
    return Forked([sys.executable, "-c", f"{prelude}from tui.entry import main; main()"], preload)


def serve_sandbox(spec: registry.AdapterSpec, *, seed: int, scale: str, rate_scale: float = 1.0) -> SandboxServer:
    """The system's own sandbox, seeded, on a loopback port (start it with `with`)."""
    assert spec.sandbox is not None, f"{spec.system} registers no sandbox"
    opts = registry.SandboxOptions(seed=seed, scale=scale, rate_limits="documented", rate_scale=rate_scale)
    return SandboxServer(spec.sandbox.factory(opts))


def connect_source(
    spec: registry.AdapterSpec,
    server: SandboxServer,
    *,
    credentials: dict[str, str] | None = None,
    sink: EventSink | None = None,
    rate_scale: float = 1.0,
) -> SourceAdapter:
    """The source adapter, built as the facade builds it, against its running sandbox."""
    assert spec.sandbox is not None
    endpoint = Endpoint(base_url=server.url + spec.sandbox.api_path, profile="sandbox", rate_window_scale=rate_scale)
    creds = dict(spec.sandbox.credentials) if credentials is None else credentials
    return spec.connect(registry.Connection(endpoint, creds, Limits(), sink))  # type: ignore[no-any-return]
