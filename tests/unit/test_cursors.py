"""Cursors kept by the framework: persisted through the store's journal, never moved back
when ordered, and read from a folder written before streams had names."""

from __future__ import annotations

from pathlib import Path

from wizard.cursors import CHANGES, Cursors
from wizard.store import Store


def test_an_ordered_cursor_only_moves_forward_and_survives_a_reopen(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        cursors = Cursors(store)
        assert cursors.get(CHANGES, "b1") is None
        assert cursors.advance(CHANGES, "b1", "0005", ordered=True)
        assert not cursors.advance(CHANGES, "b1", "0003", ordered=True), "a second read never goes behind"
        assert cursors.advance("comments", "b1", "2024-01-01T00:00:00Z", ordered=True)
        assert cursors.advance("tokens", "b1", "zzz", ordered=False)
        assert cursors.advance("tokens", "b1", "aaa", ordered=False), "an opaque token is replaced"
    with Store(tmp_path) as store:
        cursors = Cursors(store)
        assert cursors.get(CHANGES, "b1") == "0005"
        assert cursors.get("comments", "b1") == "2024-01-01T00:00:00Z"
        assert cursors.get("tokens", "b1") == "aaa"


def test_a_folder_from_before_streams_reads_its_change_cursors(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.set_meta(cursors={"b1": "0007", "b2": "0009"})
        cursors = Cursors(store)
        assert cursors.get(CHANGES, "b2") == "0009"
        assert cursors.advance(CHANGES, "b1", "0008", ordered=True)
        assert (cursors.get(CHANGES, "b1"), cursors.get(CHANGES, "b2")) == ("0008", "0009")
