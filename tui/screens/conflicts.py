"""Conflicts: objects already in the target, found by the pre-flight scan before anything is
written (or met by a run). Each row names the source's item and the target's; below it, every field of
both sides, and what each decision would write. Decide one by one, or every conflict the
filter shows (names, stages, tags, members, or rules such as stage=Doing name=Invoice*),
with a confirmation; undo, or reset to undecided. Decisions go to the store and the audit log."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from tui.screens.base import WizardScreen
from tui.screens.dialogs import ChoiceDialog, ConfirmDialog
from tui.widgets.paged_table import PagedTable
from wizard.engine.conflicts import plain
from wizard.engine.decisions import RULE_FIELDS, Rule, haystack, preview, side_by_side
from wizard.errors import UserError
from wizard.textsafe import rich_text
from wizard.words import words

DECISIONS = {
    "skip": "leave the target as it is",
    "overwrite": "replace the target with the source",
    "merge": "fill what the target lacks, keep the rest",
    "newer": "keep whichever changed last",
}
MARK = {
    None: "? undecided",
    "": "? undecided",
    "skip": "↷ skip",
    "overwrite": "⇥ overwrite",
    "merge": "⇄ merge",
    "newer": "◷ newer",
}


def parse_filter(text: str) -> tuple[list[Rule], str]:
    """Words like stage=Doing or name=Invoice* are rules; the rest is text to look for."""
    rules, words = [], []
    for word in text.split():
        name = word.partition("=")[0].lower()
        if "=" in word and name in RULE_FIELDS and word.partition("=")[2]:
            try:
                rules.append(Rule.parse(word))
                continue
            except Exception:  # noqa: BLE001 - a half-typed rule is just text until it parses
                pass
        words.append(word)
    return rules, " ".join(words)


class ConflictsScreen(WizardScreen):
    STEP = "conflicts"
    TITLE = "Conflicts"
    HELP = (
        "Objects already in the target, found before anything is written. s skip, o overwrite, m merge, "
        "w newer decide the selected one; b decides every conflict the filter shows (after a confirmation); "
        "u undoes the last decision, x resets the selected one to undecided, r reads the target again. The "
        "filter takes names, stages, tags, members, and rules: stage=…, tag=…, member=…, name=Invoice*, "
        "before=2026-01-31."
    )
    BINDINGS = [
        Binding("s", "decide('skip')", "Skip", id="decide-skip", tooltip="Leave the target as it is."),
        Binding(
            "o",
            "decide('overwrite')",
            "Overwrite",
            id="decide-overwrite",
            tooltip="Replace the target with the source.",
        ),
        Binding("m", "decide('merge')", "Merge", id="decide-merge", tooltip="Fill what the target lacks."),
        Binding("w", "decide('newer')", "Newer", id="decide-newer", tooltip="Keep whichever changed last."),
        Binding("b", "bulk", "Bulk", id="decide-bulk", tooltip="One decision for every filtered conflict."),
        Binding("u", "undo", "Undo", id="decide-undo", tooltip="Take back the last decision made here."),
        Binding("x", "reset", "Undecided", id="decide-reset", tooltip="Reset the selected conflict to undecided."),
        Binding("r", "rescan", "Scan again", id="conflicts-rescan", tooltip="Read the target again (writes nothing)."),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[dict] = []
        self.shown: list[dict] = []
        self.filter_rules: list[Rule] = []
        self.undo_stack: list[list[str]] = []
        self.scanning = False

    def body(self):
        plan = self.app.migration.plan
        w = words(plan.source.system, plan.target.system)
        with Vertical(id="conflicts-body"):
            yield Static("", id="conflicts-status")
            yield PagedTable(
                # the decision first: at 80 columns long names push the last columns out of sight
                ("decision", w.source.item[0], f"{w.target.item[0]} in the target", "stage", "differs"),
                None,
                noun="conflicts",
                placeholder="/ filter: names, stages, tags, members, or stage=… name=…",
                id="conflicts-table",
            )
            with Horizontal(id="side-by-side"):
                yield Static("", id="conflict-source", classes="side")
                yield Static("", id="conflict-target", classes="side")

    def on_mount(self) -> None:
        if "conflict_scan" not in self.app.migration.store.meta:
            self._scan()
        else:
            self._load()

    @work(exclusive=True, group="conflict-scan", exit_on_error=False)
    async def _scan(self) -> None:
        self.scanning = True
        self.query_one("#conflicts-status", Static).update(
            Text("Reading the target for what is already there (nothing is written)…")
        )
        try:
            await self.app.migration.scan_conflicts()  # on the app's loop: the store's one writer
        except UserError as e:
            self.notify(f"The scan stopped: {e.sentence}", severity="error", timeout=8)
        finally:
            self.scanning = False
        self._load()

    def _names(self) -> dict[str, str]:
        """Card names from discovery, for conflicts recorded before they carried their own."""
        index = getattr(self.app, "item_index", None)
        if index is None:
            return {}
        wanted = {c["id"] for c in self.conflicts if not (c.get("source") or {}).get("name")}
        return {r[0]: r[1] for r in index.rows if r[0] in wanted} if wanted else {}

    def _load(self, keep_offset: bool = False) -> None:
        m = self.app.migration
        self.conflicts = sorted(m.store.conflicts.values(), key=lambda c: c.get("id", ""))
        strategy = m.plan.conflicts.default
        open_n = sum(not c.get("decision") for c in self.conflicts)
        text = Text()
        if not self.conflicts:
            text.append(f"✓ Nothing of this migration is in the target yet. The plan's default strategy is {strategy}.")
        else:
            text.append(f"{len(self.conflicts)} conflict(s), {open_n} undecided · plan default: ")
            text.append(strategy, style="bold")
            text.append(" · s/o/m/w decide · b all shown · u undo · x undecided")
        self.query_one("#conflicts-status", Static).update(text)
        names = self._names()

        def fetch(text: str, offset: int, limit: int):
            rules, needle = parse_filter(text)
            needle = needle.lower()
            rows = [
                c
                for c in self.conflicts
                if all(r.matches(c) for r in rules)
                and (not needle or needle in haystack(c) + " " + names.get(c["id"], "").lower())
            ]
            self.shown, self.filter_rules = rows, rules
            return len(rows), [self._cells(c, names) for c in rows[offset : offset + limit]]

        self.query_one(PagedTable).set_fetch(fetch, keep_offset=keep_offset)

    @staticmethod
    def _cells(c: dict, names: dict[str, str]) -> tuple[str, ...]:
        src, tgt = c.get("source") or {}, c.get("target") or {}
        return (
            MARK.get(c.get("decision"), "?"),
            plain(src.get("name")) or names.get(c["id"], c["id"]),
            plain(tgt.get("name")) or str(c.get("target_id", "")),
            plain(src.get("stage")),
            ", ".join(c.get("changed", [])) or "—",
        )

    def _row_at_cursor(self) -> dict | None:
        pt = self.query_one(PagedTable)
        i = pt.start + pt.table.cursor_row
        return self.shown[i] if 0 <= i < len(self.shown) and pt.rows else None

    @on(PagedTable.PageLoaded)
    def _page_loaded(self) -> None:
        self._show_sides()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self) -> None:
        self._show_sides()

    def _show_sides(self) -> None:
        c = self._row_at_cursor()
        left, right = self.query_one("#conflict-source", Static), self.query_one("#conflict-target", Static)
        if c is None:
            left.update("")
            right.update("")
            return
        t = Table("", "the card (source)", "the process (target)", expand=True, show_edge=False, pad_edge=False)
        for what, differs, in_source, in_target in side_by_side(c):
            t.add_row(
                rich_text(("≠ " if differs else "  ") + what, "bold" if differs else ""),
                rich_text(in_source, limit=300),
                rich_text(in_target, limit=300),
            )
        left.update(t)
        decided = c.get("decision")
        lines = Text()
        lines.append(rich_text(c.get("reason", ""), "italic"))
        lines.append("\nDecision: ")
        lines.append(decided or "undecided", style="bold")
        if decided and c.get("decided_by"):
            lines.append(rich_text(f" by {c['decided_by']}, {c.get('decided_how') or ''}"))
        for d in DECISIONS:
            lines.append(f"\n{d}: ", style="bold")
            lines.append(rich_text("; ".join(preview(c, d))))
        right.update(lines)

    # -- decisions -------------------------------------------------------------------------
    def why_not(self, action: str) -> str:
        if action in ("decide", "bulk", "reset") and (self.scanning or not self.shown):
            if self.scanning:
                return "The target is still being read; a moment."
            return "No conflict shown to decide." + (
                " Esc clears the filter." if self.query_one(PagedTable).filter_text else ""
            )
        if action == "undo" and not self.undo_stack:
            return "No decision made here yet to undo."
        if action == "rescan" and self.scanning:
            return "The target is being read already."
        return super().why_not(action)

    def next_blocked(self) -> str:
        if self.scanning:
            return "The target is still being read for conflicts; a moment."
        return "The plan's default is manual: decide every conflict first (b decides all shown)."

    def action_decide(self, decision: str) -> None:
        c = self._row_at_cursor()
        if c is not None:
            self._record([c["id"]], decision, "one by one")

    def action_reset(self) -> None:
        c = self._row_at_cursor()
        if c is not None:
            self._record([c["id"]], None, "one by one")

    def action_rescan(self) -> None:
        self._scan()

    def action_bulk(self) -> None:
        ids = [c["id"] for c in self.shown]
        if not ids:
            return
        text = self.query_one(PagedTable).filter_text.strip()
        how = (f"by rule {text}" if self.filter_rules else f"by filter '{text}'") if text else "all at once"
        choices = [(k, f"{k}: {v}") for k, v in DECISIONS.items()]

        def chosen(value: str | None) -> None:
            if not value:
                return

            def confirmed(ok: bool | str | None) -> None:
                if ok is True:
                    self._record(ids, value, how)

            self.app.push_screen(
                ConfirmDialog(
                    f"Decide {len(ids)} conflict(s): {value}?",
                    f"{how[0].upper()}{how[1:]}. The next run applies it; u undoes it.",
                    confirm_label="Decide",
                ),
                confirmed,
            )

        self.app.push_screen(ChoiceDialog(f"One decision for the {len(ids)} conflict(s) shown", choices), chosen)

    def action_undo(self) -> None:
        if self.undo_stack:
            ids = self.undo_stack.pop()
            n = self.app.migration.undo_decisions(ids, via="TUI")
            self.notify(f"Undone: {n} conflict(s) back to their previous decision", timeout=3)
            self._load(keep_offset=True)
            self.refresh_bindings()

    def _record(self, ids: list[str], decision: str | None, how: str) -> None:
        # On the app's loop, between the engine's own writes: the store has one writer at a time.
        self.app.migration.decide(ids, decision, via="TUI", how=how)
        self.undo_stack.append(ids)
        self.notify(f"{len(ids)} conflict(s) → {decision or 'undecided'}", timeout=3)
        self._load(keep_offset=True)
        self.refresh_bindings()

    def can_next(self) -> bool:
        m = self.app.migration
        if m.plan.conflicts.default != "manual" or self.scanning:
            return not self.scanning
        return all(c.get("decision") for c in m.store.conflicts.values())
