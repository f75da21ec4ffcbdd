"""The store's tables that grow with the workspace (`mappings`, `last_write`) are held on disk,
not in the heap, and a snapshot does not hold the store a second time (issue 19, item 4),
measured with tracemalloc on stores shaped like a run's: items, their settle entries, comments
hanging on them, and `last_write`."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

from wizard.store import MappingRecord, Store

ITEMS = 4_000  # x 5 mappings


def shaped_docs(items: int) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []

    def add(**doc: Any) -> None:
        docs.append(
            {"seq": len(docs) + 1, "at": f"2026-11-30T09:00:{len(docs) % 60:02d}.{len(docs) % 997:03d}Z", **doc}
        )

    for i in range(items):
        key, item_id = f"trello:card:{i:024x}", f"{i:032x}"
        add(
            key=key,
            kind="item",
            target_type="run",
            target_id=item_id,
            parent_id="c" * 32,
            hash=f"{i:016x}",
            created=True,
        )
        add(
            key=key + "#settled",
            kind="settle",
            target_type="item",
            target_id=item_id,
            created=False,
            extra={"anchor": f"t{i}"},
        )
        for n in range(3):
            add(key=f"trello:comment:{i:020x}{n:04x}", kind="comment", target_type="comment",
                target_id=f"c{i:027x}{n:04x}", parent_id=item_id, created=True)  # fmt: skip
    return docs


def write_snapshot(folder: Path, docs: list[dict[str, Any]]) -> None:
    """A store.json as a run of that size leaves it (the journal empty after it)."""
    (folder / "state").mkdir(parents=True)
    data = {
        "mappings": {str(i + 1): d for i, d in enumerate(docs)},
        "last_write": {"1": {d["target_id"]: d["at"] for d in docs}},
        "meta": {"1": {"state": "interrupted", "journal_seq": len(docs), "journal_offset": 0}},
    }
    (folder / "state" / "store.json").write_text(json.dumps(data))


def test_mappings_leave_the_heap_once_a_snapshot_has_written_them(tmp_path: Path) -> None:
    docs = shaped_docs(ITEMS)
    write_snapshot(tmp_path, docs)
    docs_by_key = {d["key"]: d for d in docs[:50]}
    del docs
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        s = Store(tmp_path)
        s.snapshot()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    try:
        assert len(s.mappings) == ITEMS * 5 and not s.mappings.loaded and not s.last_write.loaded
        # A dict per mapping, with its own copy of every id and timestamp, took about 950 bytes; a
        # record with a slot per field about 700 (and the strings it pointed at). SQLite's own page
        # cache (at most store_tables.CACHE_KIB per table) is not Python's heap.
        assert held / len(s.mappings) < 40, f"{held / len(s.mappings):.0f} bytes per mapping"
        assert s.target_of("trello:card:" + f"{7:024x}") == {**docs_by_key[f"trello:card:{7:024x}"]}
    finally:
        s.close()


def test_mappings_written_by_a_run_go_to_disk_at_once(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        s.done("trello:card:1", "item", "run", "r1", parent_id="c1", hash="h")
        assert not s.mappings.loaded and not s.last_write.loaded
        m = s.mappings["trello:card:1"]
        assert m["target_id"] == "r1" and m["parent_id"] == "c1" and m["hash"] == "h" and m["key"] == "trello:card:1"
        assert s.last_write["r1"] == s.last_write["c1"] == m["at"]


def test_a_run_of_the_large_sandboxs_size_keeps_its_heap_flat(tmp_path: Path) -> None:
    """10,000 mappings written through `done`, as a run writes them: Python's heap holds
    nothing per mapping (it held about 700 bytes each: 28 MB at the large sandbox's 40,000)."""
    docs = shaped_docs(2_000)
    tracemalloc.start()
    try:
        s = Store(tmp_path)
        before = tracemalloc.get_traced_memory()[0]
        for d in docs:
            s.done(d["key"], d["kind"], d["target_type"], d["target_id"], created=d["created"],
                   parent_id=d.get("parent_id"), hash=d.get("hash"), extra=d.get("extra"))  # fmt: skip
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    try:
        assert len(s.mappings) == len(docs) and held / len(docs) < 40, f"{held / len(docs):.0f} bytes per mapping"
    finally:
        s.close()


def test_a_snapshot_does_not_hold_the_store_twice(tmp_path: Path) -> None:
    write_snapshot(tmp_path, shaped_docs(ITEMS))
    s = Store(tmp_path)
    try:
        s.snapshot()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            s.snapshot()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        written = (tmp_path / "state" / "store.json").stat().st_size
        # One json.dumps of the whole store held a string as large as the file, and copies of every table.
        assert peak - before < written / 6, f"{(peak - before) / 1e6:.2f} MB more for a {written / 1e6:.2f} MB file"
    finally:
        s.close()
    with Store(tmp_path) as again:
        assert len(again.mappings) == ITEMS * 5 and len(again.last_write) == ITEMS * 4


def test_records_read_like_the_dicts_they_replace_and_reload_as_written(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        s.done("k:item:1", "item", "run", "r1", created=False, how="merged", prior={"title": "x"}, extra={"a": 1})
        s.done("k:item:2", "item", "run", "r2", parent_id="p")
        first = dict(s.target_of("k:item:1") or {})
    doc = json.loads((tmp_path / "state" / "store.json").read_text())
    assert {d["key"] for d in doc["mappings"].values()} == {"k:item:1", "k:item:2"}
    with Store(tmp_path) as s:
        loaded = s.target_of("k:item:1")
        assert isinstance(loaded, dict) and dict(loaded) == first  # as the snapshot holds it
        s.snapshot()  # now on disk
        m = s.target_of("k:item:1")
        assert m is not None and dict(m) == first
        assert m["prior"] == {"title": "x"} and m.get("extra", {})["a"] == 1 and m.get("parent_id") is None
        assert "hash" not in m and "created" in m and m["created"] is False
        assert Store.how(m) == "merged" and Store.how(s.mappings["k:item:2"]) == "created"
        assert {**s.mappings["k:item:2"]}["parent_id"] == "p"


def test_a_field_a_later_version_adds_is_kept() -> None:
    m = MappingRecord({"key": "k:item:1", "seq": 1, "at": "t", "kind": "item", "later": [1, 2]})
    assert m["later"] == [1, 2] and m.to_json()["later"] == [1, 2] and "later" in m


def test_a_closed_store_still_reads(tmp_path: Path) -> None:
    """A closed store's mappings read as the dicts they replace did (a screen shows them)."""
    s = Store(tmp_path)
    s.done("k:item:1", "item", "run", "r1")
    s.close()
    assert s.mappings["k:item:1"]["target_id"] == "r1" and s.last_write["r1"]
