"""Conflicts: objects found already in the target. Side by side, the source and the target,
the plan's default strategy, and a decision per item (or for every filtered one at once),
recorded in the store."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from tui.screens.base import WizardScreen
from tui.screens.dialogs import ChoiceDialog
from tui.safe import text
from tui.widgets.paged_table import PagedTable

DECISIONS = {"skip": "leave the target as it is", "overwrite": "replace the target with the source",
             "merge": "fill what the target lacks, keep the rest", "newer": "keep whichever changed last"}
MARK = {None: "? undecided", "": "? undecided", "skip": "↷ skip", "overwrite": "⇥ overwrite", "merge": "⇄ merge",
        "newer": "◷ newer"}


class ConflictsScreen(WizardScreen):
    STEP = "conflicts"
    TITLE = "Conflicts"
    HELP = ("Objects that already exist in the target. The plan's default strategy applies unless it is "
            "'manual': then each one waits here for a decision. s skip, o overwrite, m merge, w newer decide the "
            "selected one; b decides every conflict the filter shows. Decisions are recorded in the store.")
    BINDINGS = [
        Binding("s", "decide('skip')", "Skip", id="decide-skip", tooltip="Leave the target as it is."),
        Binding("o", "decide('overwrite')", "Overwrite", id="decide-overwrite", tooltip="Replace the target with the source."),
        Binding("m", "decide('merge')", "Merge", id="decide-merge", tooltip="Fill what the target lacks."),
        Binding("w", "decide('newer')", "Newer", id="decide-newer", tooltip="Keep whichever changed last."),
        Binding("b", "bulk", "Bulk", id="decide-bulk", tooltip="One decision for every filtered conflict."),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[dict] = []
        self.shown: list[dict] = []
        self.target_detail: dict[str, dict] = {}

    def body(self):
        with Vertical(id="conflicts-body"):
            yield Static("", id="conflicts-status")
            yield PagedTable(("item", "why", "decision"), None, noun="conflicts",
                             placeholder="/ filter conflicts…", id="conflicts-table")
            with Horizontal(id="side-by-side"):
                yield Static("", id="conflict-source", classes="side")
                yield Static("", id="conflict-target", classes="side")

    def on_mount(self) -> None:
        self._load_index()

    @work(exclusive=True, group="item-index", exit_on_error=False)
    async def _load_index(self) -> None:
        if getattr(self.app, "item_index", None) is None:
            self.app.item_index = await asyncio.to_thread(self.app.migration.item_index)
        self._load()

    def _load(self, keep_offset: bool = False) -> None:
        m = self.app.migration
        self.conflicts = sorted(m.store.conflicts.values(), key=lambda c: c.get("id", ""))
        strategy = m.plan.conflicts.default
        open_n = sum(not c.get("decision") for c in self.conflicts)
        if not self.conflicts:
            text = f"✓ No conflicts. The plan's default strategy is [b]{strategy}[/]."
        else:
            text = (f"{len(self.conflicts)} conflict(s), {open_n} undecided · plan default: [b]{strategy}[/] · "
                    "s/o/m/w decide · b decides all shown")
        self.query_one("#conflicts-status", Static).update(text)
        names = self._names()

        def fetch(text: str, offset: int, limit: int):
            rows = self.conflicts
            if text:
                needle = text.lower()
                rows = [c for c in rows if needle in (names.get(c["id"], "") + c["id"] + str(c.get("reason"))
                                                      + MARK.get(c.get("decision"), "")).lower()]
            self.shown = rows
            page = rows[offset:offset + limit]
            return len(rows), [(names.get(c["id"], c["id"]), c.get("reason", ""), MARK.get(c.get("decision"), "?"))
                               for c in page]

        self.query_one(PagedTable).set_fetch(fetch, keep_offset=keep_offset)

    def _names(self) -> dict[str, str]:
        index = getattr(self.app, "item_index", None)
        if index is None:
            return {}
        wanted = {c["id"] for c in self.conflicts}
        return {r[0]: r[1] for r in index.rows if r[0] in wanted}

    def _row_at_cursor(self) -> dict | None:
        pt = self.query_one(PagedTable)
        i = pt.start + pt.table.cursor_row
        return self.shown[i] if 0 <= i < len(self.shown) and pt.rows else None

    @on(PagedTable.PageLoaded)
    def _page_loaded(self) -> None:
        self._show_sides()

    def on_data_table_row_highlighted(self) -> None:
        self._show_sides()

    def _show_sides(self) -> None:
        c = self._row_at_cursor()
        src, tgt = self.query_one("#conflict-source", Static), self.query_one("#conflict-target", Static)
        if c is None:
            src.update("")
            tgt.update("")
            return
        row = self._index_row(c["id"])
        src.update(text(("In the source", "bold"), "\n", (
            f"card: {row[1]}\nboard: {row[2]}\nlist: {row[3]}\n{'archived' if row[4] else 'open'}" if row else c["id"]),
            multiline=True))
        detail = self.target_detail.get(c["id"])
        if detail is None:
            tgt.update(text(("In the target", "bold"), f"\nprocess {c.get('target_id')}\n… reading it", multiline=True))
            self._fetch_target(c)
        else:
            tgt.update(self._target_text(c, detail, row))

    def _index_row(self, key: str):
        index = getattr(self.app, "item_index", None)
        for r in index.rows if index is not None else []:
            if r[0] == key:
                return r
        return None

    @staticmethod
    def _target_text(c: dict, run: dict, row) -> Text:
        if not run:
            return text(("In the target", "bold"), f"\nprocess {c.get('target_id')}\n✗ no longer there", multiline=True)
        name = str(run.get("name", ""))
        changed = []
        if row and name and name != row[1]:
            changed.append("name differs")
        lines = [f"process: {name}", f"id: {c.get('target_id')}"]
        if run.get("updated_at"):
            lines.append(f"updated: {run['updated_at']}")
        return text(("In the target", "bold"), " · " + ("≠ " + ", ".join(changed) if changed else "= same name"),
                    *(f"\n{x}" for x in lines), multiline=True)

    @work(group="conflict-target", exit_on_error=False)
    async def _fetch_target(self, c: dict) -> None:
        from wizard.errors import UserError

        try:
            run = await self.app.migration.target_process(c["target_id"])
        except (UserError, Exception):
            run = {}
        self.target_detail[c["id"]] = run or {}
        if self._row_at_cursor() is c:
            self._show_sides()

    # -- decisions -------------------------------------------------------------------------
    def why_not(self, action: str) -> str:
        if action in ("decide", "bulk") and not self.shown:
            return "No conflict shown to decide." + (" Esc clears the filter." if self.query_one(PagedTable).filter_text
                                                     else "")
        return super().why_not(action)

    def next_blocked(self) -> str:
        return "The plan's default is manual: decide every conflict first (b decides all shown)."

    def action_decide(self, decision: str) -> None:
        c = self._row_at_cursor()
        if c is not None:
            self._record([c], decision)

    def action_bulk(self) -> None:
        targets = list(self.shown)
        if not targets:
            return
        choices = [(k, f"{k}: {v}") for k, v in DECISIONS.items()]

        def chosen(value: str | None) -> None:
            if value:
                self._record(targets, value)

        self.app.push_screen(ChoiceDialog(f"One decision for the {len(targets)} conflict(s) shown", choices), chosen)

    @work(group="record-conflict", exit_on_error=False)
    async def _record(self, conflicts: list[dict], decision: str) -> None:
        # On the app's loop, between the engine's own writes: the store has one writer at a time.
        self.app.migration.decide([c["id"] for c in conflicts], decision)
        self.notify(f"{len(conflicts)} conflict(s) → {decision}", timeout=3)
        self._load(keep_offset=True)
        self.refresh_bindings()

    def can_next(self) -> bool:
        m = self.app.migration
        if m.plan.conflicts.default != "manual":
            return True
        return all(c.get("decision") for c in m.store.conflicts.values())
