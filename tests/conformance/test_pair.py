"""Every registered source into every registered target, through the real CLI (a subprocess)
against both sandboxes, checked from the sandboxes' own exports and request counts: the
estimate, the dry run and the run agree; what arrived is the source's manifest, each object
once, and verify balances every kind (the ledger); a malformed record is quarantined and the
run goes on; a refused or denied target stops in one sentence; SIGKILL at random moments
then resume loses and doubles nothing; rollback, itself killed half-way, brings the target
back exactly; a sync with no change writes nothing."""

from __future__ import annotations

import json
import signal
from collections import Counter

import pytest

from tests.conformance import views
from tests.conformance.conftest import World
from tests.reliability.harness import JournalWatch, crash_resume, start_cli, store_loads


def balanced(per_kind: dict) -> None:
    """The report's per-kind table: the source's own count = migrated + dropped with a reason."""
    assert per_kind
    for kind, b in per_kind.items():
        assert b["source"] == b["migrated"] + b["dropped"] and b["missing"] == 0, (kind, b)


def arrived_once(world: World) -> views.Tally:
    entries = views.manifest(world.export(world.source), world.source.name)
    t = views.tally(entries, world.export(world.target))
    assert t.checked > 20 and (t.duplicates, t.lost, t.unexpected) == (0, 0, 0), t.per_kind
    return t


@pytest.mark.slow
def test_estimate_dry_run_and_run_agree_everything_arrives_once_and_nothing_is_written_twice(world: World) -> None:
    """One migration, checked all the way: the estimate and the dry run write nothing and
    foretell the run (same writes, same calls, the estimate within 5 %); every manifest object
    is held once and verify balances every kind (the report's ledger); then a sync with no
    change in the source, and a second run, write nothing."""
    world.ok("discover", str(world.folder))
    est = json.loads(world.ok("estimate", str(world.folder), "--json"))
    dry = json.loads(world.ok("run", str(world.folder), "--dry-run", "--json"))
    assert views.writes(world.stats(world.target)) == Counter(), "the estimate and the dry run wrote nothing"
    world.reset_stats()
    world.ok("run", str(world.folder), "--yes")
    stats = world.stats(world.target)
    assert sum(views.writes(stats).values()) == dry["writes"], "the real run made exactly the writes the dry run listed"
    assert views.calls(stats) == dry["calls"], "and exactly as many calls"
    est_target = sum(est["target_calls"].values())
    assert abs(est_target - views.calls(stats)) <= 0.05 * views.calls(stats)
    source_calls = views.calls(world.stats(world.source))
    assert abs(sum(est["source_calls"].values()) - source_calls) <= 0.05 * source_calls
    assert Counter(a["method"] for a in dry["actions"])["POST"] > 0 and all(a["what"] for a in dry["actions"])

    arrived_once(world)
    world.ok("verify", str(world.folder))
    world.ok("report", str(world.folder))
    report = json.loads((world.folder / "reports" / "report.json").read_text())
    balanced(report["per_kind"])

    world.reset_stats()
    world.ok("sync", str(world.folder))
    assert views.writes(world.stats(world.target)) == Counter(), "a sync with no change writes nothing"
    world.ok("run", str(world.folder), "--yes")
    assert views.writes(world.stats(world.target)) == Counter(), "nor does a second run"


def test_a_malformed_record_is_quarantined_and_the_run_goes_on(world: World) -> None:
    ref = world.served.post(world.source.name, "corrupt", {})["ref"]
    r = world.cli("run", str(world.folder), "--yes")
    assert r.returncode == 1, "a run with a quarantined record does not claim success"
    assert "quarantined" in r.stdout + r.stderr and "Traceback" not in r.stderr
    world.ok("report", str(world.folder))
    report = json.loads((world.folder / "reports" / "report.json").read_text())
    quarantined = {q["key"]: q["reason"] for q in report["quarantined"]}
    assert quarantined.get(ref), f"{ref} is quarantined with its reason"
    assert views.held(world.export(world.target))[ref] == 0
    entries = views.manifest(world.export(world.source), world.source.name)
    t = views.tally(entries, world.export(world.target))
    assert t.duplicates == 0 and t.lost <= 1 + len(quarantined), t.per_kind


def test_a_target_that_refuses_or_denies_us_stops_the_run_in_one_sentence(world: World) -> None:
    for status in (401, 403):
        world.served.post(world.target.name, "faults", {f"rate_{status}": 1.0})
        r = world.cli("run", str(world.folder), "--yes")
        assert r.returncode == 2, r.stdout + r.stderr
        assert "Traceback" not in r.stderr and f"({status}:" in r.stderr.replace("\n", " ")
        assert len([ln for ln in r.stderr.splitlines() if ln.startswith("error:")]) == 1, r.stderr
        store_loads(world.folder)
    world.served.post(world.target.name, "faults", {})
    world.ok("run", str(world.folder), "--yes")
    arrived_once(world)


@pytest.mark.slow
def test_twelve_sigkills_at_random_moments_lose_and_double_nothing(world: World) -> None:
    figs = crash_resume(
        world.served,
        kills=12,
        seed=11,
        scale="small",
        log=lambda s: None,
        source=world.source.name,
        target=world.target.name,
        command=world.command,
    )
    assert figs.kills >= 10, figs.kill_points
    assert figs.store_loads == figs.kills
    assert figs.tally.checked > 50
    assert (figs.tally.duplicates, figs.tally.lost, figs.tally.unexpected) == (0, 0, 0), figs.tally.per_kind
    world.ok("verify", str(world.folder))  # files and every other kind balance against the source's own counts


@pytest.mark.slow
def test_a_rollback_killed_half_way_resumes_to_exactly_the_state_before_the_run(world: World) -> None:
    folder = str(world.folder)
    before = views.live_state(world.export(world.target))
    world.ok("run", folder, "--yes")
    watch = JournalWatch(world.folder)
    start = watch.poll()
    kills = 0
    for extra in (15, 40):
        proc = start_cli("rollback", folder, "--yes", command=world.command)
        alive = watch.wait_for(max(watch.poll(), start) + extra, proc, timeout=60)
        if alive:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
        store_loads(world.folder)
    assert kills == 2, "both kills landed in a running rollback"
    assert views.live_state(world.export(world.target)) != before, "the kills cut the rollback short"
    world.ok("rollback", folder, "--yes")
    assert views.live_state(world.export(world.target)) == before, "exactly as before the run"
    world.reset_stats()
    assert "0 removed" in world.ok("rollback", folder, "--yes")
    assert views.writes(world.stats(world.target)) == Counter(), "a second rollback writes nothing"
