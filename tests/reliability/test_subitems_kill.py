"""A source's sub-items into monday.com's subitems, exactly once across SIGKILL: the run is
killed with a sub-item's create in flight (its intent journalled, its answer not yet; the
first one where the board's first subitem is written bare before it gets its values), three
times, then resumed to the end. Every open subtask is one subitem and nothing is doubled or
lost, by `source_ref` in the monday.com sandbox's export against the Asana sandbox's manifest."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.conformance import views
from tests.e2e.conftest import cli, serve, stop
from tests.e2e.test_source_subitems import placed
from tests.reliability.harness import JournalWatch, run_cli, start_cli, store_loads


@pytest.mark.slow
def test_killed_with_a_sub_item_in_flight_each_subtask_is_one_subitem(tmp_path: Path) -> None:
    s = serve(tmp_path / "m", "--systems", "asana,monday", "--seed", "3", "--scale", "small", "--rate-scale", "0.001")
    try:
        folder = str(s.folder)
        assert cli("discover", folder).returncode == 0
        entries = views.manifest(s.export("asana"), "asana")
        subtasks = {e["ref"] for e in entries if e["kind"] == "subitem" and not e["archived"]}
        watch = JournalWatch(s.folder)
        cut: set[str] = set()
        for _ in range(3):
            watch.poll()
            watch.in_flight.clear()  # what the killed run left unanswered is no longer in flight
            proc = start_cli("run", folder, "--yes")
            try:
                while proc.poll() is None:
                    watch.poll()
                    hit = {k for k in watch.in_flight if k in subtasks} - cut
                    if hit:
                        proc.send_signal(signal.SIGKILL)
                        cut |= hit
                        break
                    time.sleep(0.001)
            finally:
                proc.communicate(timeout=60)
            assert proc.returncode == -signal.SIGKILL, f"the run ended ({proc.returncode}) before a sub-item's create"
            store_loads(s.folder)
        last = run_cli("run", folder, "--yes", timeout=900)
        assert last.returncode == 0, last.stderr[-3000:]

        t = views.tally(entries, s.export("monday"))
        assert (t.duplicates, t.lost, t.unexpected) == (0, 0, 0), t.per_kind
        _, parent_of, _ = placed(s)
        assert len(cut) >= 3 and set(parent_of) == subtasks, "every subtask one subitem, the ones cut off among them"
        verify = cli("verify", folder)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        stop(s)
