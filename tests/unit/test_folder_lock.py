"""One writer per migration folder (wizard/folderlock.py), and readers that see a consistent
store while it is written."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wizard import folderlock
from wizard.errors import UserError
from wizard.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_sixteen_processes_never_hold_the_lock_two_at_a_time(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from wizard.folderlock import folder_lock
        with folder_lock(Path({str(tmp_path)!r}), "race", wait_s=120):
            with open({str(trace)!r}, "a") as f:
                f.write(f"in {{os.getpid()}}\\n"); f.flush()
                time.sleep(0.02)
                f.write(f"out {{os.getpid()}}\\n"); f.flush()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(16)]
    assert [p.wait(timeout=180) for p in procs] == [0] * 16
    events = [line.split() for line in trace.read_text().splitlines()]
    assert len(events) == 32
    for (a, pa), (b, pb) in zip(events[0::2], events[1::2], strict=True):
        assert (a, b, pa) == ("in", "out", pb), "two processes were inside the lock at once"


def test_a_second_writer_is_refused_in_one_sentence_naming_the_holder(tmp_path: Path) -> None:
    Store(tmp_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from wizard.folderlock import folder_lock
        with folder_lock(Path({str(tmp_path)!r}), "run"):
            print("held", flush=True)
            time.sleep(60)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert folderlock.holder(tmp_path) == holder.pid
        with pytest.raises(UserError, match=rf"'run' \(process {holder.pid}, since .*\) is working on"):
            Store(tmp_path)
        reader = Store(tmp_path, readonly=True)  # a reader needs no lock
        assert reader.state == "new"
        reader.close()
    finally:
        holder.kill()
        holder.wait()
    assert folderlock.holder(tmp_path) is None, "the kernel released the lock of a killed process"
    Store(tmp_path).close()


def test_the_lock_is_reentrant_within_a_process_and_released_by_the_last_holder(tmp_path: Path) -> None:
    with folderlock.folder_lock(tmp_path, "run"):
        s = Store(tmp_path)
        s.close()
        assert folderlock.holds(tmp_path)
    assert not folderlock.holds(tmp_path)


def test_a_reader_sees_whole_lines_only_and_writes_nothing(tmp_path: Path) -> None:
    w = Store(tmp_path)
    w.done("k:item:1", "item", "run", "r1")
    journal = tmp_path / "state" / "journal.jsonl"
    with open(journal, "ab") as f:
        f.write(b'{"seq": 2, "op": "do')  # a writer mid-append
    before = journal.read_bytes()
    r = Store(tmp_path, readonly=True)
    assert set(r.mappings) == {"k:item:1"}
    r.close()
    assert journal.read_bytes() == before, "a reader cut the writer's line"
    with pytest.raises(UserError, match="read-only"):
        r.set_meta(state="x")
