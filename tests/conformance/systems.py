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

from adapters import registry

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


def register(system: System) -> None:
    """Add an adapter that the test suite itself registers (it is not an installed plug-in)."""
    _REGISTERED_HERE[system.name] = system


def sources() -> list[System]:
    return [System(name, "source") for name in registry.SOURCES] + [
        s for s in _REGISTERED_HERE.values() if s.kind == "source"
    ]


def targets() -> list[System]:
    return [System(name, "target") for name in registry.TARGETS] + [
        s for s in _REGISTERED_HERE.values() if s.kind == "target"
    ]


def pairs() -> list[tuple[System, System]]:
    return [(s, t) for s in sources() for t in targets()]


def cli_command(*systems: System) -> list[str]:
    """The real CLI, as a subprocess that first imports what these systems need."""
    prelude = "".join(f"import {m}; " for s in systems for m in s.cli_prelude)
    if prelude:
        prelude = f"import sys; sys.path.insert(0, {str(REPO)!r}); {prelude}"
    return [sys.executable, "-c", f"{prelude}from tui.entry import main; main()"]
