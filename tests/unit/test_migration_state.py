"""The facade's state never says more than the journal does: a run left 'running' by a
process that is gone is 'interrupted', in the report too."""

from __future__ import annotations

from pathlib import Path

from wizard.migration import Migration
from wizard.plan import Plan, Source, Target


def _plan() -> Plan:
    return Plan(
        name="s",
        source=Source(system="trello", base_url="http://127.0.0.1:9/1", profile="p"),
        target=Target(system="tallyfy", base_url="http://127.0.0.1:9/api", profile="p", organization="o"),
    )


def test_a_run_cut_off_by_a_kill_reads_as_interrupted_in_the_report(tmp_path: Path) -> None:
    m = Migration.create(tmp_path / "m", _plan())
    m.store.set_meta(state="running")  # what a killed run leaves behind
    m.store.snapshot()
    m.close()
    again = Migration.open(tmp_path / "m")
    assert again.state == "interrupted"
    report, _ = again.report()
    assert report["state"] == "interrupted"
    assert "state **interrupted**" in (tmp_path / "m" / "reports" / "report.md").read_text()
    again.close()


def test_a_finished_run_reads_as_finished(tmp_path: Path) -> None:
    m = Migration.create(tmp_path / "m", _plan())
    m.set_state("finished")
    assert m.state == "finished" and m.report()[0]["state"] == "finished"
    m.close()
