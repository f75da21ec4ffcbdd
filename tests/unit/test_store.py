import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wizard.errors import StoreError
from wizard.store import Store


def test_mappings_survive_reopen_and_pending_intents_are_kept(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        s.intent("trello:card:1", "item", "launch")
        s.done("trello:card:1", "item", "run", "r1", hash="h")
        s.intent("trello:card:2", "item", "launch")
        s.failed("trello:card:3", "item", "bad name")
    s = Store(tmp_path)
    assert s.target_of("trello:card:1")["target_id"] == "r1"
    assert "trello:card:2" in s.pending
    assert s.quarantine["trello:card:3"]["reason"] == "bad name"
    s.close()


def test_replay_of_journal_after_last_snapshot(tmp_path: Path) -> None:
    s = Store(tmp_path)
    s.done("k:item:1", "item", "run", "r1")
    s.snapshot()
    s.done("k:item:2", "item", "run", "r2")
    s.journal._fh.flush()  # no close: as if killed
    s2 = Store(tmp_path)
    assert set(s2.mappings) == {"k:item:1", "k:item:2"}


def test_torn_journal_tail_is_cut(tmp_path: Path) -> None:
    s = Store(tmp_path)
    s.done("k:item:1", "item", "run", "r1")
    s.journal._fh.flush()
    with open(tmp_path / "state" / "journal.jsonl", "a") as f:
        f.write('{"seq": 99, "op": "do')
    s2 = Store(tmp_path)
    assert "k:item:1" in s2.mappings
    s2.done("k:item:2", "item", "run", "r2")
    s2.close()
    for line in (tmp_path / "state" / "journal.jsonl").read_text().splitlines():
        json.loads(line)


@pytest.mark.parametrize("text", ["{not json", "[]", '"a string"'])
def test_damaged_snapshot_is_one_sentence(tmp_path: Path, text: str) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "store.json").write_text(text)
    with pytest.raises(StoreError, match="damaged"):
        Store(tmp_path)


def test_undone_removes_mapping(tmp_path: Path) -> None:
    s = Store(tmp_path)
    s.done("k:item:1", "item", "run", "r1")
    s.undone("k:item:1", "run", "r1", "deleted")
    s.close()
    assert "k:item:1" not in Store(tmp_path).mappings


def test_kill_9_at_random_instants_leaves_a_store_that_loads(tmp_path: Path) -> None:
    """A writer process is killed while writing; every reopen must load and keep every
    mapping whose `done` line reached the file."""
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        import wizard.store as st
        st.SNAPSHOT_EVERY = 50
        s = st.Store(__import__('pathlib').Path({str(tmp_path)!r}))
        i = len(s.mappings)
        while True:
            s.intent(f"k:item:{{i}}", "item", "launch")
            s.done(f"k:item:{{i}}", "item", "run", f"r{{i}}")
            i += 1
    """)
    journal = tmp_path / "state" / "journal.jsonl"
    for delay in (0.05, 0.15, 0.3):
        p = subprocess.Popen([sys.executable, "-c", script])
        # Killed a moment after it starts writing, however long a busy machine (a parallel run)
        # takes to start it: a fixed delay from launch could land before its first line.
        start = journal.stat().st_size if journal.exists() else 0
        deadline = time.monotonic() + 60
        while p.poll() is None and time.monotonic() < deadline:
            if journal.exists() and journal.stat().st_size > start:
                break
            time.sleep(0.005)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
        s = Store(tmp_path)
        n = len(s.mappings)
        assert all(s.mappings[f"k:item:{i}"]["target_id"] == f"r{i}" for i in range(n))
        s.close()  # and its folder lock: the next writer process needs it
    assert n > 0


def test_a_damaged_middle_line_stops_in_one_sentence_and_drops_nothing(tmp_path: Path) -> None:
    s = Store(tmp_path)
    for i in range(1, 5):
        s.done(f"k:item:{i}", "item", "run", f"r{i}")
    s.close()  # the snapshot reaches past line 5; damage one before it and make the store read it all again
    journal = tmp_path / "state" / "journal.jsonl"
    (tmp_path / "state" / "store.json").unlink()
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[1] = b'{"seq": 2, "op": "done", "key": "k:it\xff\n'
    journal.write_bytes(b"".join(lines))
    damaged = journal.read_bytes()
    with pytest.raises(StoreError, match=r"Line 2 of the journal .* is damaged .* delete that one line"):
        Store(tmp_path)
    with pytest.raises(StoreError, match="Line 2"):
        Store(tmp_path, readonly=True)
    assert journal.read_bytes() == damaged, "the lines after the damaged one were cut"


def test_a_repeated_sequence_number_is_damage_not_history(tmp_path: Path) -> None:
    """Two writers once gave two lines the same seq: that is named, never replayed silently."""
    s = Store(tmp_path)
    s.done("k:item:1", "item", "run", "r1")
    s.done("k:item:2", "item", "run", "r2")
    s.journal.close()
    journal = tmp_path / "state" / "journal.jsonl"
    first = journal.read_bytes().splitlines(keepends=True)[0]
    journal.write_bytes(journal.read_bytes() + first.replace(b'"k:item:1"', b'"k:item:9"') + first)
    with pytest.raises(StoreError, match="Line 3 of the journal"):
        Store(tmp_path, readonly=True)


def test_a_bad_last_line_is_still_a_torn_tail(tmp_path: Path) -> None:
    s = Store(tmp_path)
    s.done("k:item:1", "item", "run", "r1")
    s.journal.close()
    journal = tmp_path / "state" / "journal.jsonl"
    journal.write_bytes(journal.read_bytes() + b"\x00\x00\x00\n")
    s2 = Store(tmp_path)
    assert "k:item:1" in s2.mappings
    s2.close()
    assert b"\x00" not in journal.read_bytes()
