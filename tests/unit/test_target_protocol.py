"""Every registered target implements `TargetAdapter` as declared: each of the protocol's
methods, with the protocol's parameters in the same order and kind (the protocol is
structural, so a renamed or missing verb would otherwise surface only when the engine calls it)."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from wizard import registry
from wizard.plan import Limits, MappingOptions, Target
from wizard.registry import Connection
from wizard.target import TargetAdapter

VERBS = sorted(
    name
    for name, member in vars(TargetAdapter).items()
    if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
)


def _built(system: str) -> object:
    """The spec's own target, built as the wizard builds it (nothing is sent on building)."""
    spec = registry.targets()[system]
    endpoint = Target(system=system, base_url=spec.default_url, profile="p")
    creds = dict.fromkeys(spec.credential_parts, "x")
    return spec.connect(Connection(endpoint, creds, Limits(), mapping=MappingOptions()))


def _shape(fn: object) -> list[tuple[str, object]]:
    return [(p.name, p.kind) for p in inspect.signature(fn).parameters.values()]  # type: ignore[arg-type]


@pytest.mark.parametrize("system", sorted(registry.targets()))
def test_each_target_has_every_verb_of_the_protocol_with_its_parameters(system: str) -> None:
    target = _built(system)
    impl = type(target)
    assert {"calls", "place_item", "read_back", "removal"} <= set(VERBS)
    for name in VERBS:
        want, got = vars(TargetAdapter)[name], getattr(impl, name, None)
        assert got is not None, f"{impl.__name__} has no {name}"
        if isinstance(want, property):
            assert isinstance(inspect.getattr_static(impl, name), property), f"{impl.__name__}.{name} is no property"
        else:
            assert _shape(got) == _shape(want), f"{impl.__name__}.{name}{inspect.signature(got)}"
    asyncio.run(target.aclose())  # type: ignore[attr-defined]
