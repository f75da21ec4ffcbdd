"""The mapping screen's item index: opening it parses nothing, a page parses its own lines,
and a filter or a lookup by key reads every row (parsed once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.engine import item_index
from wizard.engine.item_index import ItemIndex, ItemIndexWriter, ItemRow
from wizard.model import Item


def _index(folder: Path, n: int) -> None:
    (folder / "state").mkdir(parents=True)
    w = ItemIndexWriter(folder)
    for i in range(n):
        name = f"Card «{i}»" + (' with "quotes"' if i % 7 == 0 else "")
        w.add(
            Item(key=f"trello:card:{i}", template_key="trello:board:b", name=name, closed=i % 3 == 0), "Board", "To Do"
        )
    w.close()


def test_a_page_parses_only_its_own_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _index(tmp_path, 1000)
    parsed: list[bytes | str] = []
    real = item_index.loads
    monkeypatch.setattr(item_index, "loads", lambda data: parsed.append(data) or real(data))
    index = ItemIndex(tmp_path)
    total, page = index.query("", 200, 100)
    assert total == len(index) == 1000
    assert [r.key for r in page] == [f"trello:card:{i}" for i in range(200, 300)]
    assert len(parsed) == 100, f"{len(parsed)} lines parsed to show a page of 100"


def test_a_filter_and_the_rows_see_every_item(tmp_path: Path) -> None:
    _index(tmp_path, 1000)
    index = ItemIndex(tmp_path)
    assert index.rows[7] == ("trello:card:7", 'Card «7» with "quotes"', "Board", "To Do", False)
    total, page = index.query('«7» WITH "QUOTES"', 0, 5)
    assert total == 1 and page == [ItemRow("trello:card:7", 'Card «7» with "quotes"', "Board", "To Do", False)]
    assert index.query("to do", 990, 100) == (1000, [ItemRow(*r) for r in index.rows[990:]])
    assert index.query("", 0, 10)[1] == [ItemRow(*r) for r in index.rows[:10]]


def test_a_folder_without_an_index_is_empty(tmp_path: Path) -> None:
    index = ItemIndex(tmp_path)
    assert len(index) == 0 and index.rows == [] and index.query("x") == (0, []) and index.query() == (0, [])


def test_the_first_pages_are_cut_from_the_front_without_splitting_every_line(tmp_path: Path) -> None:
    _index(tmp_path, 3000)
    index = ItemIndex(tmp_path)
    assert len(index) == 3000
    total, first = index.query("", 0, 100)
    assert total == 3000 and [r.key for r in first] == [f"trello:card:{i}" for i in range(100)]
    assert [r.key for r in index.query("", 900, 100)[1]] == [f"trello:card:{i}" for i in range(900, 1000)]
    assert index._lines is None, "a page among the first thousand lines split the whole index"
    assert [r.key for r in index.query("", 2950, 100)[1]] == [f"trello:card:{i}" for i in range(2950, 3000)]
    assert index._lines is not None and len(index._lines) == 3000


def test_an_index_cut_short_of_its_last_newline_counts_its_last_line(tmp_path: Path) -> None:
    _index(tmp_path, 5)
    path = tmp_path / "state" / "items.jsonl"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    index = ItemIndex(tmp_path)
    assert len(index) == 5 and [r.key for r in index.query("", 0, 100)[1]] == [f"trello:card:{i}" for i in range(5)]
    assert len(index.rows) == 5
