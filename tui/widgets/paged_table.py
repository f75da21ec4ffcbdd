"""A table that holds one page of rows at a time, with a filter box and a pager line.

It never asks a DataTable to hold more than `page_size` rows: 100,000 items are browsed
as 1,000 pages fetched on demand from a query function (run off the UI thread). A short
list held in memory is shown with `set_items`, which keeps the objects behind the rows.

Keys: `/` (bound on the screen) focuses the filter; Enter in the filter goes back to the
rows; Escape clears the filter first, then returns to the rows (see WizardScreen.action_back).

The filter's Input is made on the first `/` (or a click on the hint that stands in its place):
an Input is the heaviest widget of a table's first frame, and most tables are never filtered
(issue 19: moving to the mapping step < 0.1 s)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from tui.safe import line

Fetch = Callable[[str, int, int], tuple[int, Sequence[Sequence[object]]]]
PAGE_SIZE = 100


class PagedTable(Vertical):
    BINDINGS = [
        Binding(
            "right_square_bracket",
            "page(1)",
            "Next page",
            key_display="]",
            show=False,
            id="page-next",
            tooltip="Show the next page of rows.",
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            "Prev page",
            key_display="[",
            show=False,
            id="page-prev",
            tooltip="Show the previous page of rows.",
        ),
    ]

    class PageLoaded(Message):
        def __init__(self, table: PagedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[str],
        fetch: Fetch | None = None,
        *,
        page_size: int = PAGE_SIZE,
        placeholder: str = "/ filter…",
        noun: str = "rows",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="paged")
        self.columns = list(columns)
        self.fetch = fetch
        self.page_size = page_size
        self.placeholder = placeholder
        self.noun = noun
        self.start = 0
        self.total = 0
        self.filter_text = ""
        self.rows: list[Sequence[object]] = []
        self.shown: list[Any] = []  # with set_items: the objects the filter keeps, in order
        self._debounce: Timer | None = None
        self._loading: Worker[None] | None = None

    def compose(self):
        with Horizontal(classes="paged-top"):
            yield Label(Text(self.placeholder), classes="paged-hint")
            yield Label("", classes="paged-pager")
        yield DataTable(cursor_type="row", zebra_stripes=True, classes="paged-table")

    def on_mount(self) -> None:
        if not self.query(DataTable):
            return  # mounted as the app closes: Textual then mounts none of its children
        self.table.add_columns(*(Text(c) for c in self.columns))  # never markup, so no markup parser either
        if self.fetch is not None:
            self.reload()

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    def set_fetch(self, fetch: Fetch, *, keep_offset: bool = False) -> None:
        self.fetch = fetch
        if not keep_offset:
            self.start = 0
        self.reload()

    def set_items(
        self,
        items: Iterable[Any],
        row: Callable[[Any], Sequence[object]],
        text: Callable[[Any], str] | None = None,
        *,
        keep_offset: bool = True,
    ) -> None:
        """Show a list held in memory: `row` gives an object's cells, `text` what the filter
        searches (the cells by default). `selected_item()` answers with the object."""
        items = list(items)
        search = text or (lambda o: " ".join(str(c) for c in row(o)))

        def fetch(needle: str, offset: int, limit: int):
            kept = [o for o in items if needle.lower() in search(o).lower()] if needle else items
            self.shown = kept
            return len(kept), [row(o) for o in kept[offset : offset + limit]]

        self.set_fetch(fetch, keep_offset=keep_offset)

    def reload(self) -> None:
        if self.fetch is not None:
            self._loading = self._load(self.filter_text, self.start)

    async def page_shown(self) -> None:
        """Return once the page being loaded, if any, is shown (or its load failed or gave way)."""
        if self._loading is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._loading.wait()

    @work(exclusive=True, group="page", exit_on_error=False)
    async def _load(self, text: str, offset: int) -> None:
        fetch = self.fetch
        assert fetch is not None
        total, rows = await asyncio.to_thread(fetch, text, offset, self.page_size)
        self._show(total, list(rows), offset)

    def _show(self, total: int, rows: list, offset: int) -> None:
        self.total, self.start, self.rows = total, offset, rows
        table = self.table
        cursor = table.cursor_row
        table.clear()
        cells = [[Text(line(v), no_wrap=True) for v in r] for r in rows]  # never markup; controls visible
        table.add_rows(cells)
        # DataTable widens auto-width columns only when idle; a frame drawn before that would
        # cache the cells cut to the header's width. Size them now, from the page itself.
        for i, column in enumerate(table.ordered_columns):
            widest = max((r[i].cell_len for r in cells if i < len(r)), default=0)
            column.content_width = max(column.content_width, widest)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        self.query_one(".paged-pager", Label).update(self.pager_text())
        self.post_message(self.PageLoaded(self))

    def pager_text(self) -> str:
        if not self.total:
            return f"no {self.noun}" + (" match" if self.filter_text else "")
        first, last = self.start + 1, self.start + len(self.rows)
        pages = (self.total + self.page_size - 1) // self.page_size
        page = self.start // self.page_size + 1
        keys = " · [ ] pages" if pages > 1 else ""
        return f"{first:,}–{last:,} of {self.total:,} · page {page}/{pages}{keys}"

    @on(Input.Changed, ".paged-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, lambda: self._apply_filter(event.value))

    @on(Input.Submitted, ".paged-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_filter(event.value)
        self.table.focus()

    def _apply_filter(self, text: str) -> None:
        if text == self.filter_text and self.rows:
            return
        self.filter_text = text
        self.start = 0
        self.reload()

    def action_page(self, delta: int) -> None:
        new = self.start + delta * self.page_size
        if 0 <= new < max(self.total, 1):
            self.start = new
            self.reload()

    @property
    def filter_input(self) -> Input:
        """The filter box, made (in the hint's place) the first time it is asked for."""
        try:
            return self.query_one(".paged-filter", Input)
        except NoMatches:
            pass
        box = Input(placeholder=self.placeholder, classes="paged-filter", compact=True)
        hint = self.query_one(".paged-hint", Label)
        self.query_one(".paged-top", Horizontal).mount(box, before=hint)
        hint.remove()
        return box

    @on(events.Click, ".paged-hint")
    def _hint_clicked(self, event: events.Click) -> None:
        event.stop()
        self.action_focus_filter()

    def action_focus_filter(self) -> None:
        self.filter_input.focus()

    def clear_filter(self) -> bool:
        """Escape's first job: empty the filter (and show every row again). False if it was empty."""
        boxes = self.query(".paged-filter").results(Input)
        box = next(boxes, None)
        had = bool((box is not None and box.value) or self.filter_text)
        if box is not None:
            box.value = ""
        if self._debounce is not None:
            self._debounce.stop()
        if self.filter_text:
            self._apply_filter("")
        self.table.focus()
        return had

    def selected(self) -> Sequence[object] | None:
        row = self.table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def selected_item(self) -> Any:
        """With set_items: the object on the cursor's row, or None."""
        i = self.start + self.table.cursor_row
        return self.shown[i] if self.rows and 0 <= i < len(self.shown) else None
