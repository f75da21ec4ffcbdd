"""The toy CSV source is registered from this folder alone: no entry point names it, and the
conformance suite's sources and pairs include it (tests/conformance/test_source.py and
test_pair.py run every check on it, with no test code of its own)."""

from __future__ import annotations

from importlib.metadata import entry_points

from tests.conformance import systems
from tests.conformance.plugins.csv_toy import SPEC
from wizard import registry


def test_registered_from_the_test_suite_and_held_to_the_conformance_suite() -> None:
    assert registry.source("csv") is SPEC
    assert "csv" not in {ep.name for ep in entry_points(group=registry.GROUPS["source"])}
    assert "csv" in {s.name for s in systems.sources()}
    assert ("csv", "tallyfy") in {(s.name, t.name) for s, t in systems.pairs()}
