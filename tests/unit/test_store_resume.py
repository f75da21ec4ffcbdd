"""A resume after a kill: the journal's tail after the last snapshot is parsed once (it was
parsed once to find a torn line and again to replay it), and what `json.dumps` wrote but
orjson refuses still loads."""

from __future__ import annotations

import gc
import math
from pathlib import Path

import pytest

from wizard import journal
from wizard.errors import StoreError
from wizard.store import Store


def _killed_store(folder: Path, tail: int) -> None:
    s = Store(folder)
    for i in range(5):
        s.done(f"k:item:{i}", "item", "run", f"r{i}")
    s.snapshot()
    for i in range(5, 5 + tail):
        s.intent(f"k:item:{i}", "item", "launch")
        s.done(f"k:item:{i}", "item", "run", f"r{i}")
    s.journal._fh.close()  # no close(), no final snapshot: as if killed


def test_a_resume_parses_the_journal_tail_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _killed_store(tmp_path, tail=40)
    parsed: list[bytes | str] = []
    real = journal.loads

    def counting(data: bytes | str):
        parsed.append(data)
        return real(data)

    monkeypatch.setattr(journal, "loads", counting)
    s = Store(tmp_path)
    assert len(s.mappings) == 45 and not s.pending
    assert len(parsed) == 80, f"{len(parsed)} journal lines parsed for a tail of 80"
    s.close()


def test_what_the_standard_library_writes_and_orjson_refuses_still_loads(tmp_path: Path) -> None:
    odd = {"nan": float("nan"), "big": 2**70, "lone": "\ud800"}
    s = Store(tmp_path)
    s.done("k:item:1", "item", "run", "r1", extra=odd)
    s.journal._fh.close()  # killed: the entry is replayed from the journal
    s2 = Store(tmp_path)
    extra = s2.target_of("k:item:1")["extra"]
    assert math.isnan(extra["nan"]) and extra["big"] == 2**70 and extra["lone"] == "\ud800"
    s2.close()  # the snapshot now holds them too
    s3 = Store(tmp_path)
    assert s3.target_of("k:item:1")["extra"]["big"] == 2**70
    s3.close()


def test_the_cyclic_collector_is_back_on_after_an_open_even_a_failed_one(tmp_path: Path) -> None:
    Store(tmp_path).close()
    assert gc.isenabled()
    (tmp_path / "state" / "store.json").write_text("{not json")
    with pytest.raises(StoreError):
        Store(tmp_path)
    assert gc.isenabled()
