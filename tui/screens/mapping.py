"""Map: container by container, how the source lands in the target. Lists become steps,
fields get a target type (every lossy conversion says why), people are matched, invited or
kept as placeholders; the item list pages through every discovered card."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import DataTable, Label, Select, Static, TabbedContent, TabPane

from tui.screens.base import WizardScreen
from tui.screens.dialogs import ChoiceDialog
from tui.widgets.paged_table import PagedTable

PRESETS = {"kanban": "list → step · card → process",
           "checklist": "workflow → template · run → process", "form": "fields → kick-off form"}
CHECKLIST_MODES = {"field": "text field", "subtasks": "one task per item"}
PEOPLE_MARK = {"matched": "✓ matched", "mapped": "✓ mapped", "invite": "✉ invite", "placeholder": "○ placeholder"}


class MappingScreen(WizardScreen):
    STEP = "map"
    TITLE = "Map"
    HELP = ("Review how each board lands in Tallyfy. On a field row, t changes its target type; on a person, "
            "p chooses map to a member, invite or placeholder; c switches card checklists between one text "
            "field and one task per checklist item. Every edit is saved to plan.toml at once. "
            "The Items tab pages through every discovered card (100 at a time) with a filter.")
    BINDINGS = [
        Binding("t", "field_type", "Field type", id="field-type", tooltip="Change the target type of the selected field."),
        Binding("p", "person", "Person", id="person", tooltip="Map, invite or keep as placeholder the selected person."),
        Binding("c", "checklists", "Checklists", id="checklists",
                tooltip="Card checklists: one text field, or one task per checklist item."),
        Binding("1", "tab('shape')", "Shape", show=False, id="tab-shape"),
        Binding("2", "tab('people')", "People", show=False, id="tab-people"),
        Binding("3", "tab('items')", "Items", show=False, id="tab-items"),
        Binding("4", "tab('losses')", "Losses", show=False, id="tab-losses"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.container_key: str | None = None
        self.users: list | None = None
        self.users_error = ""
        self.shape_rows: list[tuple[str, object]] = []
        self.people_rows: list = []

    def body(self):
        m = self.app.migration
        inv = m.inventory()
        excluded = set(m.plan.mapping.exclude)
        self.containers = [c for c in (inv.containers if inv else []) if c.key not in excluded and c.id not in excluded]
        options = [(c.name, c.key) for c in self.containers]
        self.container_key = options[0][1] if options else None
        with Vertical(id="map-body"):
            with Horizontal(classes="row", id="map-top"):
                yield Select(options, value=self.container_key or Select.NULL, allow_blank=not options,
                             id="container", prompt="no board discovered")
                yield Label(f"preset [b]{m.plan.mapping.preset}[/]: {PRESETS[m.plan.mapping.preset]}", id="preset")
            with TabbedContent(id="map-tabs"):
                with TabPane("1 Shape", id="shape"):
                    yield DataTable(cursor_type="row", zebra_stripes=True, id="shape-table")
                    yield Static("", id="shape-detail")
                with TabPane("2 People", id="people"):
                    yield Label("", id="people-status", classes="hint")
                    yield DataTable(cursor_type="row", zebra_stripes=True, id="people-table")
                with TabPane("3 Items", id="items"):
                    yield PagedTable(("card", "board", "list → step", "state"), None, noun="cards",
                                     placeholder="/ filter cards by name, list or board…", id="items-table")
                with TabPane("4 Losses", id="losses"):
                    yield Static("", id="losses-text")

    def on_mount(self) -> None:
        self.query_one("#people-table", DataTable).add_columns("person", "decision", "why")
        self._render_all()
        # Paint first: reading 100,000 index lines holds the GIL for a moment even in a thread.
        self.call_after_refresh(lambda: self.set_timer(0.05, self._load_index))
        self._load_shapes()
        self._load_users()

    # -- loading (workers) ---------------------------------------------------------------
    @work(exclusive=True, group="item-index", exit_on_error=False)
    async def _load_index(self) -> None:
        if getattr(self.app, "item_index", None) is None:
            self.app.item_index = await asyncio.to_thread(self.app.migration.item_index)
        index = self.app.item_index
        archived_kept = self.app.migration.plan.mapping.include_archived

        def fetch(text: str, offset: int, limit: int):
            total, rows = index.query(text, offset, limit)
            return total, [(r.name, r.container, r.stage,
                            "▣ archived" + ("" if archived_kept else ", skipped") if r.closed else "open")
                           for r in rows]

        self.query_one("#items-table", PagedTable).set_fetch(fetch)

    @work(exclusive=True, group="shapes", exit_on_error=False)
    async def _load_shapes(self) -> None:
        from wizard.errors import UserError

        for c in self.containers:
            if c.key in self.app.shapes:
                continue
            try:
                self.app.shapes[c.key] = await self.app.migration.shape(c.id)
            except UserError as e:
                self.notify(e.sentence, title="Cannot read the board's shape", severity="error")
                return
            if c.key == self.container_key:
                self._render_all()
        self._render_all()

    @work(exclusive=True, group="users", exit_on_error=False)
    async def _load_users(self) -> None:
        from wizard.errors import UserError

        if getattr(self.app, "target_users", None) is not None:
            self.users = self.app.target_users
        else:
            try:
                self.users = self.app.target_users = await self.app.migration.target_users()
            except UserError as e:
                self.users_error = e.sentence
        self._render_people()

    # -- rendering ---------------------------------------------------------------------
    @property
    def shape(self):
        return self.app.shapes.get(self.container_key) if self.container_key else None

    def _render_all(self) -> None:
        self._render_shape()
        self._render_people()
        self._render_losses()

    def _render_shape(self) -> None:
        from adapters.tallyfy.mapping import field_type_for, losses

        t = self.query_one("#shape-table", DataTable)
        cursor = t.cursor_row
        t.clear(columns=True)
        t.add_columns("what", "in the source", "→ in Tallyfy", "note")
        self.shape_rows = []
        self.shape_notes: list[str] = []
        tpl = self.shape
        if tpl is None:
            t.add_row("…", "reading the board…", "", "")
            return
        plan = self.app.migration.plan
        overrides = plan.mapping.field_types
        lossy = {w: y for w, y in losses(tpl, overrides, plan.mapping.checklists == "field")}
        def row(kind: str, obj: object, cells: tuple, detail: str) -> None:
            t.add_row(*cells)
            self.shape_rows.append((kind, obj))
            self.shape_notes.append(detail)

        row("board", tpl, ("board", tpl.name, "template", ""), f"The board '{tpl.name}' becomes one Tallyfy template.")
        for i, st in enumerate(sorted(tpl.stages, key=lambda s: s.position)):
            row("stage", st, ("list", st.name + (" (archived)" if st.closed else ""), f"step {i + 1}", ""),
                f"Cards in '{st.name}' become processes whose first {i} step(s) are complete.")
        for f in tpl.fields:
            target = field_type_for(f, overrides)
            changed = " (your choice)" if f.key in overrides else ""
            why = next((y for w, y in lossy.items() if w.startswith(f"field '{f.name}'")), "")
            row("field", f, ("field", f"{f.name} ({f.type.value})", f"{target}{'*' if changed else ''}",
                             "⚠ lossy" if why else "✓ no loss"),
                f"'{f.name}' → {target}{changed}: " + (f"⚠ {why}." if why else "✓ nothing is lost.") + " t changes it.")
        if tpl.tags:
            row("tags", None, ("labels", f"{len(tpl.tags)} labels", "tags", "⚠ lossy"),
                "⚠ Trello colour names become the nearest hex colour on Tallyfy tags.")
        mode = plan.mapping.checklists
        other = CHECKLIST_MODES["subtasks" if mode == "field" else "field"]
        row("checklists", None, ("checklists", "per card", CHECKLIST_MODES[mode], "⚠ lossy"),
            "⚠ " + dict(lossy).get("checklists", "") + f". c switches to: {other}.")
        if self.shape_rows:
            t.move_cursor(row=min(cursor, len(self.shape_rows) - 1))
        self._shape_detail()

    @on(DataTable.RowHighlighted, "#shape-table")
    def _shape_detail(self) -> None:
        row = self.query_one("#shape-table", DataTable).cursor_row
        notes = getattr(self, "shape_notes", [])
        self.query_one("#shape-detail", Static).update(escape(notes[row]) if 0 <= row < len(notes) else "")

    def _render_people(self) -> None:
        from wizard.engine.people import match_people

        t = self.query_one("#people-table", DataTable)
        cursor = t.cursor_row
        t.clear()
        tpl = self.shape
        status = self.query_one("#people-status", Label)
        self.people_rows = list(tpl.people) if tpl else []
        if tpl is None:
            status.update("… reading the board's members")
            return
        if self.users is None and not self.users_error:
            status.update("… reading the target's members")
        elif self.users_error:
            status.update(f"✗ target members unavailable: {escape(self.users_error)}")
        else:
            status.update(f"{len(tpl.people)} people · {len(self.users or [])} members in the target · p to change")
        decisions = match_people(tpl.people, self.users or [], self.app.migration.plan.mapping.people)
        names = {str(u.id): u.name for u in self.users or []}
        for p in tpl.people:
            d = decisions[p.key]
            who = f" → {names.get(str(d.user_id), d.user_id)}" if d.user_id is not None else ""
            t.add_row(p.name, PEOPLE_MARK.get(d.action, d.action) + who, d.reason)
        if self.people_rows:
            t.move_cursor(row=min(cursor, len(self.people_rows) - 1))

    def _render_losses(self) -> None:
        from adapters.tallyfy.mapping import losses

        tpl = self.shape
        box = self.query_one("#losses-text", Static)
        if tpl is None:
            box.update("…")
            return
        plan = self.app.migration.plan
        lines = [f"⚠ [b]{escape(w)}[/]: {escape(y)}" for w, y in losses(tpl, plan.mapping.field_types,
                                                                         plan.mapping.checklists == "field")]
        box.update("\n".join(lines))

    @on(Select.Changed, "#container")
    def _container_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.container_key:
            self.container_key = str(event.value)
            self._render_all()

    # -- edits ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        tab = self.query_one(TabbedContent).active if self.is_mounted else ""
        if action == "field_type":
            return True if tab == "shape" else None
        if action == "person":
            return True if tab == "people" and self.people_rows else None
        if action == "checklists":
            return True if tab in ("shape", "losses") else None
        return super().check_action(action, parameters)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.refresh_bindings()

    def action_field_type(self) -> None:
        from adapters.tallyfy.mapping import FIELD_TYPES

        row = self.query_one("#shape-table", DataTable).cursor_row
        if not (0 <= row < len(self.shape_rows)) or self.shape_rows[row][0] != "field":
            self.notify("Pick a field row first (↑↓), then t.", severity="warning")
            return
        f = self.shape_rows[row][1]
        default = FIELD_TYPES[f.type]
        current = self.app.migration.plan.mapping.field_types.get(f.key, default)
        choices = [(t, f"{t}{' (preset default)' if t == default else ''}") for t in self.app.migration.target_field_types()]

        def chosen(value: str | None) -> None:
            if value is None:
                return
            types = self.app.migration.plan.mapping.field_types
            if value == default:
                types.pop(f.key, None)
            else:
                types[f.key] = value
            self._save_plan(f"field '{f.name}' → {value}")
            self._render_shape()
            self._render_losses()

        self.app.push_screen(ChoiceDialog(f"Tallyfy type for '{f.name}' ({f.type.value})", choices, current), chosen)

    def action_person(self) -> None:
        row = self.query_one("#people-table", DataTable).cursor_row
        if not (0 <= row < len(self.people_rows)):
            return
        p = self.people_rows[row]
        choices = [("", "match automatically (email, then name)"), ("invite", "invite them to the organization"),
                   ("placeholder", "keep as a named placeholder")]
        choices += [(f"user:{u.id}", f"map to member {u.name}") for u in self.users or []]
        current = self.app.migration.plan.mapping.people.get(p.key, "")

        def chosen(value: str | None) -> None:
            if value is None:
                return
            people = self.app.migration.plan.mapping.people
            if value:
                people[p.key] = value
            else:
                people.pop(p.key, None)
            self._save_plan(f"{p.name} → {value or 'automatic'}")
            self._render_people()

        self.app.push_screen(ChoiceDialog(f"{p.name}", choices, current), chosen)

    def action_checklists(self) -> None:
        """Toggle how card checklists land: one kick-off text field, or one task per item."""
        mapping = self.app.migration.plan.mapping
        mapping.checklists = "subtasks" if mapping.checklists == "field" else "field"
        what = f"checklists → {CHECKLIST_MODES[mapping.checklists]}"
        if any(v.get("kind") == "item" for v in self.app.migration.store.mappings.values()):
            what += " (for cards migrated from now on)"
        self._save_plan(what)
        self._render_shape()
        self._render_losses()

    @work(group="save-plan", exit_on_error=False)
    async def _save_plan(self, what: str) -> None:
        from wizard.errors import UserError

        try:
            await asyncio.to_thread(self.app.migration.save_plan)
        except UserError as e:
            self.notify(e.sentence, title="Not saved", severity="error")
            return
        self.notify(f"Saved to plan.toml: {what}", timeout=3)

    def can_next(self) -> bool:
        return bool(self.containers)
