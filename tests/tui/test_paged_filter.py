"""PagedTable's filter box (tui/widgets/paged_table.py) is made on first use: until then a hint
stands in its place. A click on the hint, like `/`, makes the box once and focuses it; typing
filters; clearing it shows every row again."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, Label

from tui.widgets.paged_table import PagedTable
from tui_drive import until

NAMES = [f"supplier {i}" for i in range(30)] + [f"customer {i}" for i in range(20)]


class Host(App[None]):
    def compose(self):
        yield PagedTable(("name",), placeholder="/ filter names…", id="t")

    def on_mount(self) -> None:
        self.query_one(PagedTable).set_items(NAMES, lambda n: (n,))


async def test_the_box_is_made_on_first_use_and_only_once() -> None:
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        pt = app.query_one(PagedTable)
        await until(pilot, lambda: pt.total == 50, what="the rows")
        assert not pt.query(Input), "no Input before the filter is used"
        hint = pt.query_one(".paged-hint", Label)
        assert "/ filter names…" in str(hint.render())

        await pilot.click(hint)
        await until(pilot, lambda: isinstance(app.focused, Input), what="the box, focused by a click on the hint")
        box = pt.filter_input
        assert app.focused is box and not pt.query(".paged-hint")
        assert pt.filter_input is box and len(pt.query(Input)) == 1

        await pilot.press(*"cust")
        await until(pilot, lambda: pt.total == 20, what="the filter applied")
        assert all(str(r[0]).startswith("customer") for r in pt.rows)

        assert pt.clear_filter() is True
        await until(pilot, lambda: pt.total == 50, what="every row again")
        assert box.value == "" and app.focused is pt.table
        assert pt.clear_filter() is False, "nothing left to clear"
        pt.action_focus_filter()
        await pilot.pause()
        assert app.focused is box and len(pt.query(Input)) == 1


async def test_escape_on_a_table_never_filtered_makes_no_box() -> None:
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        pt = app.query_one(PagedTable)
        await until(pilot, lambda: pt.total == 50, what="the rows")
        assert pt.clear_filter() is False
        await pilot.pause()
        assert not pt.query(Input) and pt.query(".paged-hint")
