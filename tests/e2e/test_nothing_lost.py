"""Issue 10: nothing lost silently. The real CLI against the sandboxes' new shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import serve, stop
from wizard.plan import load_plan


@pytest.mark.parametrize("systems", ["tallyfy", "trello", "trello,tallyfy"])
def test_sandbox_serve_any_subset_of_systems(tmp_path: Path, systems: str) -> None:
    s = serve(tmp_path / "mig", "--systems", systems, "--rate-scale", "0.01")
    try:
        assert set(s.urls) == set(systems.split(","))
        plan = load_plan(tmp_path / "mig" / "plan.toml")
        for system, endpoint in (("trello", plan.source), ("tallyfy", plan.target)):
            if system in s.urls:
                assert endpoint.base_url.startswith(s.urls[system]) and endpoint.profile == "sandbox"
            else:
                assert endpoint.base_url.startswith("https://") and endpoint.profile == "mig"
    finally:
        stop(s)
