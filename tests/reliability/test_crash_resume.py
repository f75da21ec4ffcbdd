"""Kill it and it resumes: SIGINT / SIGTERM stop at the next safe point, say how to resume and
exit 130. (SIGKILL with a write of each kind in flight runs for every source and every target
in tests/conformance/test_pair.py; at seeded random moments, the harness, by hand.) Everything
is checked from the sandboxes' own exports, never from our verify."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

import tests.reliability.harness as h
from tests.e2e.conftest import Served
from tests.e2e.test_cli_flow import check_complete
from tests.reliability.harness import JournalWatch, run_cli, start_cli, store_loads, tally


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_at_a_safe_point_says_how_to_resume_and_exits_130(
    served_small: Served, sig: signal.Signals
) -> None:
    folder = served_small.folder
    watch = JournalWatch(folder)
    proc = start_cli("run", str(folder), "--yes")
    try:
        assert watch.wait_for(40, proc, timeout=60), "the run was still going when signalled"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert "error:" not in err, "a stop on request is not an error"
    assert f"migration-wizard run {folder}" in (out + err).replace("\n", ""), "it says how to resume"
    store_loads(folder)
    mid = tally(served_small.export("trello"), served_small.export("tallyfy"))
    assert mid.duplicates == 0 and mid.lost > 0, "it stopped part-way, without doubling anything"

    r = run_cli("run", str(folder), "--yes")
    assert r.returncode == 0, r.stderr
    trello, tallyfy = served_small.export("trello"), served_small.export("tallyfy")
    check_complete(trello, tallyfy)
    t = tally(trello, tallyfy)
    assert (t.duplicates, t.lost) == (0, 0), t.per_kind


def test_the_harness_is_one_documented_command() -> None:
    cmd = "python -m tests.reliability.harness --scale medium --kills 12 --seed 7"
    assert cmd in (h.__doc__ or "")
    assert cmd in (Path(h.__file__).parent / "README.md").read_text()
