"""The mapping screen with 100,000 discovered items: paging and filtering work, and the
table never holds more than one page of rows. A behaviour test, not a timing test."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input

from tui.app import WizardApp
from tui.widgets.paged_table import PagedTable
from tui_drive import settle, until
from tui_fakes import frozen_clock, make_folder

N = 100_000


async def test_mapping_pages_and_filters_100k_items(tmp_path: Path) -> None:
    m = make_folder(tmp_path, items=N, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    most_rows = 0

    async with app.run_test(size=(100, 30)) as pilot:
        items = app.screen.query_one("#items-table", PagedTable)
        table = items.query_one(DataTable)

        def rows() -> int:
            nonlocal most_rows
            most_rows = max(most_rows, table.row_count)
            return table.row_count

        await pilot.press("3")
        await until(pilot, lambda: items.total == N, timeout=30, what="the index to load")
        await settle(pilot)
        assert rows() == items.page_size == 100
        assert items.pager_text() == "1–100 of 100,000 · page 1/1000 · [ ] pages"
        assert str(table.get_row_at(0)[0]) == "Draft contract #000000"

        table.focus()
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: items.start == 100)
        await settle(pilot)
        assert rows() == 100 and str(table.get_row_at(0)[0]).endswith("#000100")
        await pilot.press("left_square_bracket", "left_square_bracket")  # the second is a no-op at page 1
        await until(pilot, lambda: items.start == 0)
        await settle(pilot)
        assert str(table.get_row_at(0)[0]).endswith("#000000")

        # Jump to the last page the way the widget does, then check it is short and correct.
        items.action_page(999)
        await until(pilot, lambda: items.start == 99_900)
        await settle(pilot)
        assert rows() == 100 and str(table.get_row_at(99)[0]).endswith("#099999")

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"#01234")
        await pilot.press("enter")
        await until(pilot, lambda: items.filter_text == "#01234" and items.total == 10)
        await settle(pilot)
        assert items.start == 0 and rows() == 10
        assert all("#01234" in str(table.get_row_at(i)[0]) for i in range(10))
        assert items.pager_text() == "1–10 of 10 · page 1/1"

        inp = items.query_one(Input)
        inp.value = "office move"  # a board name: a third of the items
        await until(pilot, lambda: items.filter_text == "office move", timeout=5)
        await until(pilot, lambda: items.total == N // 3 + (1 if N % 3 > 2 else 0))
        await settle(pilot)
        assert rows() == 100

        inp.value = "no such card"
        await until(pilot, lambda: items.total == 0, timeout=5)
        await settle(pilot)
        assert rows() == 0 and items.pager_text() == "no cards match"

    assert most_rows <= 100, "the table never held more than one page"
