"""Other commands started against a folder while `run` writes it: readers read a consistent
snapshot, writers are refused in one sentence, and the folder stays whole (issue 11, item 1)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.e2e.conftest import Served
from tests.e2e.test_cli_flow import _writes, check_complete
from tests.reliability.harness import JournalWatch, run_cli, start_cli

READERS = (("report",), ("conflicts",), ("run", "--dry-run"))
WRITERS = (("verify",), ("conflicts", "--decide", "skip"), ("run", "--yes"), ("discover",))


def journal_seqs(folder: Path) -> list[int]:
    return [json.loads(line)["seq"] for line in (folder / "state" / "journal.jsonl").read_text().splitlines()]


def others(folder: Path, commands: tuple[tuple[str, ...], ...]) -> dict[str, tuple[int, str]]:
    results = {}
    for args in commands:
        r = run_cli(args[0], str(folder), *args[1:], timeout=300)
        assert "Traceback" not in r.stderr, r.stderr
        results[" ".join(args)] = (r.returncode, r.stderr)
    return results


def test_commands_started_during_a_run_leave_the_folder_whole(served_small: Served) -> None:
    folder = served_small.folder
    run = start_cli("run", str(folder), "--yes")
    try:
        assert JournalWatch(folder).wait_for(30, run, timeout=120), run.communicate()
        # Frozen mid-run (perhaps mid-line), holding the folder: readers read, writers are refused.
        os.kill(run.pid, signal.SIGSTOP)
        try:
            during = others(folder, READERS + WRITERS)
        finally:
            os.kill(run.pid, signal.SIGCONT)
        for args in READERS:
            assert during[" ".join(args)][0] == 0, during[" ".join(args)]
        for args in WRITERS:
            code, stderr = during[" ".join(args)]
            assert code == 2 and f"'run' (process {run.pid}, since" in stderr and "is working on" in stderr, stderr
        # While it runs on: whatever the timing, nothing crashes (a writer may get in once the run is over).
        for name, (code, stderr) in others(folder, READERS + WRITERS[:1]).items():
            assert code == 0 or (code == 2 and "is working on" in stderr), (name, stderr)
        out, errs = run.communicate(timeout=600)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, errs + out

    seqs = journal_seqs(folder)
    assert seqs == sorted(set(seqs)), "one writer: the journal's sequence never repeats"
    check_complete(served_small.export("trello"), served_small.export("tallyfy"))
    writes = _writes(served_small.stats("tallyfy"))
    r = run_cli("run", str(folder), "--yes")
    assert r.returncode == 0 and "Created 0," in r.stdout, r.stderr + r.stdout
    assert _writes(served_small.stats("tallyfy")) == writes, "a later run writes nothing new"
    new = [json.loads(x)["op"] for x in (folder / "state" / "journal.jsonl").read_text().splitlines()[len(seqs) :]]
    assert set(new) <= {"meta"}, new
    for args in (("verify",), ("report",)):
        r = run_cli(args[0], str(folder))
        assert r.returncode == 0, r.stderr
