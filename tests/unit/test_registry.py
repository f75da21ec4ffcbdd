"""The registry: adapters found through entry points, one registered at run time, a broken
plug-in named rather than crashing the wizard."""

from __future__ import annotations

from importlib.metadata import EntryPoint, EntryPoints

import pytest

from wizard import registry
from wizard.errors import PlanError
from wizard.registry import AdapterSpec, CredentialPart, RateProfile, RateWindow


def toy(system: str = "toycsv", kind: registry.Kind = "source") -> AdapterSpec:
    return AdapterSpec(
        system=system,
        label="Toy CSV",
        kind=kind,
        connect=lambda c: None,
        default_url="http://127.0.0.1:1",
        credentials=(CredentialPart("token", "Token", "anywhere"),),
        item_noun=("row", "rows"),
    )


def test_the_built_in_adapters_come_from_the_entry_points():
    groups = {kind: {ep.name for ep in registry.entry_points(group=g)} for kind, g in registry.GROUPS.items()}
    assert "trello" in groups["source"] and "tallyfy" in groups["target"]
    trello, tallyfy = registry.source("trello"), registry.target("tallyfy")
    assert (trello.label, trello.kind, trello.credential_parts) == ("Trello", "source", ("key", "token"))
    assert (tallyfy.label, tallyfy.kind, tallyfy.credential_parts) == ("Tallyfy", "target", ("token",))
    assert [f.name for f in tallyfy.fields] == ["organization"]
    for spec in (trello, tallyfy):
        assert spec.sandbox is not None and set(spec.credential_parts) <= set(spec.sandbox.credentials)
        # beyond what login asks: only a webhook's signing secret, which listen reads
        assert set(spec.sandbox.credentials) - set(spec.credential_parts) <= {"secret"}
        assert spec.default_url.startswith("https://")
    assert trello.items(1) == "1 card" and trello.items(1200) == "1,200 cards"
    # listed by rank, then by name: the built-in pair first (package metadata keeps no order)
    assert next(iter(registry.sources())) == "trello" and next(iter(registry.targets())) == "tallyfy"


def test_an_unknown_system_is_one_sentence_naming_the_known_ones():
    with pytest.raises(PlanError) as e:
        registry.source("tallyfy")
    known = ", ".join(sorted(registry.sources()))  # every registered source, whichever are installed
    assert "trello" in known
    assert e.value.sentence == f"'tallyfy' is not a registered source; the sources are: {known}."
    with pytest.raises(PlanError, match="not a registered system"):
        registry.any_side("nosuch")


def test_a_spec_registered_at_run_time_is_found_inside_its_block_only():
    spec = toy()
    with registry.registered(spec):
        assert registry.source("toycsv") is spec
        assert registry.label("toycsv") == "Toy CSV"
        assert registry.any_side("toycsv") is spec
    assert "toycsv" not in registry.sources()
    assert registry.label("toycsv") == "toycsv"


def test_a_spec_with_a_bad_name_is_refused():
    with pytest.raises(ValueError, match="lower-case"):
        registry.register(toy("Toy CSV"))


def test_a_broken_or_mislabelled_plug_in_is_named_and_skipped(monkeypatch):
    eps = [
        EntryPoint("broken", "no_such_module_anywhere:SPEC", "migration_wizard.sources"),
        EntryPoint("tallyfy", "adapters.tallyfy.spec:SPEC", "migration_wizard.sources"),  # a target as a source
        EntryPoint("trello", "adapters.trello.spec:SPEC", "migration_wizard.sources"),
    ]
    monkeypatch.setattr(registry, "entry_points", lambda: EntryPoints(eps))  # one scan, both groups
    monkeypatch.setattr(registry, "_loaded", {})
    # what a test registered at run time (the toy CSV source, imported by the conformance suite in
    # the same worker) is not this test's entry points
    monkeypatch.setattr(registry, "_added", {"source": {}, "target": {}})
    monkeypatch.setattr(registry, "problems", [])
    with pytest.warns(RuntimeWarning):
        found = registry.sources()
    assert list(found) == ["trello"]
    assert len(registry.problems) == 2
    assert "'broken'" in registry.problems[0] and "could not be loaded" in registry.problems[0]
    assert "is a target spec registered as a source" in registry.problems[1]


def test_rate_profile_scales_and_gives_the_steady_rate():
    rate = RateProfile((RateWindow(100, 10.0), RateWindow(300, 10.0), RateWindow(100, 900.0, "members")))
    assert rate.calls_per_s() == 10.0
    assert rate.scaled(0.01).calls_per_s() == pytest.approx(1000.0)
    assert rate.calls_per_s(0.01) == pytest.approx(1000.0)


def test_a_quota_is_no_steady_rate_but_a_wait_each_time_it_runs_out():
    rate = RateProfile((RateWindow(100, 10.0), RateWindow(1_000, 3600.0, quota=True)))
    assert rate.calls_per_s() == 10.0
    assert rate.seconds_for(1_000) == pytest.approx(100.0)  # within the quota: the steady rate alone
    assert rate.seconds_for(1_001) == pytest.approx(100.1 + 3600.0)
    assert rate.seconds_for(2_500, scale=0.01) == pytest.approx(2.5 + 2 * 36.0)
    assert [w.calls for w in rate.quotas_exceeded(1_001)] == [1_000] and not rate.quotas_exceeded(1_000)


def test_a_target_preset_is_described_in_each_source_s_own_words():
    """The mapping screen says what the target's preset does with the source's nouns: an Asana
    section, never a Trello list."""
    kanban = registry.target("tallyfy").preset("kanban")
    assert kanban is not None
    trello, asana = registry.source("trello"), registry.source("asana")
    assert kanban.described(trello.container_noun[0], trello.stage_noun[0], trello.item_noun[0]) == (
        "list → step · card → process"
    )
    assert kanban.described(asana.container_noun[0], asana.stage_noun[0], asana.item_noun[0]) == (
        "section → step · task → process"
    )
    for target in registry.targets().values():  # every placeholder a target writes is one the core fills
        for p in target.presets:
            assert "{" not in p.described("c", "s", "i"), (target.system, p.name)


def test_a_system_asked_for_by_name_loads_that_plug_in_only() -> None:
    """Opening a plan needs its source's and its target's specs, not every plug-in's module (issue
    19's cold start); a listing, as the connect screen's, loads them all. In a fresh interpreter:
    this process has loaded them already."""
    import subprocess  # noqa: PLC0415 - this test only
    import sys  # noqa: PLC0415

    probe = (
        "import sys\n"
        "from wizard import registry\n"
        "spec = lambda: sorted(m for m in sys.modules if m.startswith('adapters.') and m.endswith('spec'))\n"
        "assert registry.source('trello').system == 'trello' and registry.label('tallyfy') == 'Tallyfy'\n"
        "print(spec())\n"
        "registry.sources(); registry.targets()\n"
        "print(len(spec()))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "['adapters.tallyfy.spec', 'adapters.trello.spec']"
    modules = {ep.value.split(":")[0] for g in registry.GROUPS.values() for ep in registry.entry_points(group=g)}
    assert int(out[1]) == len(modules) > 2
