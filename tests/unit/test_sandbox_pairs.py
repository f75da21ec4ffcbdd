"""Any registered source with any registered target: the sandboxes, the plan written for
them and the adapters built from it all come from the specs, including one registered at
run time."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wizard import registry
from wizard.errors import UserError
from wizard.migration import Migration
from wizard.sandboxes import default_systems, start_sandboxes
from wizard.secrets import SANDBOX_CREDENTIALS, load_credentials


def test_the_default_sandboxes_are_the_first_source_and_target() -> None:
    assert default_systems() == (next(iter(registry.sources())), next(iter(registry.targets())))


async def test_a_target_registered_at_run_time_gets_its_sandbox_its_plan_and_its_adapter(tmp_path: Path) -> None:
    toy = dataclasses.replace(registry.target("tallyfy"), system="toytarget", label="Toy target")
    with registry.registered(toy):
        assert load_credentials("sandbox", "toytarget", toy.credential_parts) == dict(toy.sandbox.credentials)
        with start_sandboxes(("trello", "toytarget"), rate_scale=0.01) as running:
            plan = running.plan(name="toy", rate_scale=0.01)
            assert (plan.source.system, plan.target.system) == ("trello", "toytarget")
            assert plan.target.base_url == running.urls["toytarget"] + "/api"
            assert plan.target.organization == running.sandbox("toytarget").org_id
            m = Migration.create(tmp_path / "toy", plan)
            try:
                result = await m.connect()
            finally:
                m.close()
            assert result.ok, (result.source_error, result.target_error)
    assert "toytarget" not in SANDBOX_CREDENTIALS


def test_a_system_without_a_sandbox_is_refused_in_one_sentence() -> None:
    with pytest.raises(UserError) as e:
        start_sandboxes(("trello", "jira"))
    with_one = ", ".join(s for s in {**registry.sources(), **registry.targets()} if registry.any_side(s).sandbox)
    assert e.value.sentence == f"'jira' has no sandbox; the systems with one are: {with_one}."
    assert with_one.startswith("trello, ") and "tallyfy" in with_one
