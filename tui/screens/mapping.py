"""Map: container by container, how the source lands in the target. Lists become steps,
fields get a target type (every lossy conversion says why), people are matched, invited or
kept as placeholders; the item list pages through every discovered card. On a wide
terminal a detail pane beside the tables shows the selected row in full."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Label, Static
from textual.worker import WorkerCancelled, WorkerFailed

from adapters.tallyfy.mapping import CONVERSIONS, FIELD_TYPES, conversion_loss, field_type_for, losses
from tui.safe import line, shown, text
from tui.screens.base import WizardScreen
from tui.screens.dialogs import ChoiceDialog
from tui.widgets.paged_table import PagedTable
from tui.widgets.picker import Picker
from tui.widgets.tab_strip import StripPane, TabStrip
from wizard import registry
from wizard.engine.container_notes import container_losses, container_quality
from wizard.engine.people import match_people
from wizard.errors import UserError
from wizard.model import FieldDef


@dataclass(frozen=True)
class ShapeWords:
    """The source's words for what the Shape and Items tabs show, under the preset in force:
    under one that makes items steps, a stage is an item and an item is a process."""

    container: str
    stage: tuple[str, str]
    item: tuple[str, str]
    items_are_steps: bool


def shape_words(source: str, preset: str) -> ShapeWords:
    spec = registry.source(source)
    chosen = spec.preset(preset)
    if chosen is not None and chosen.reshape is not None:
        return ShapeWords(spec.container_noun[0], spec.item_noun, ("process", "processes"), True)
    return ShapeWords(spec.container_noun[0], spec.stage_noun, spec.item_noun, False)


def preset_text(target: str, preset: str, words: ShapeWords) -> str:
    """What the target's spec says its preset does, in the source's words under its preset in
    force (when items become steps, the container is what becomes one process)."""
    chosen = registry.target(target).preset(preset)
    if chosen is None:
        return ""
    item = words.container if words.items_are_steps else words.item[0]
    return chosen.described(words.container, words.stage[0], item)


def source_preset_line(source: str, preset: str) -> Text:
    """The source preset in force and what it does, as the source's spec says."""
    chosen = registry.source(source).preset(preset)
    return Text.assemble(
        "source preset ",
        (preset, "bold"),
        ": ",
        chosen.description if chosen else "",
        "  · s or a click chooses another",
    )


CHECKLIST_MODES = {"field": "text field", "subtasks": "one task per item"}
PEOPLE_MARK = {
    "matched": "✓ matched",
    "mapped": "✓ mapped",
    "invite": "✉ invite",
    "guest": "○ guest",
    "placeholder": "○ placeholder",
}
PEOPLE_CHOICES = {
    "": "match automatically (email, then name)",
    "invite": "invite them to the organization",
    "guest": "add as a guest: outside the organization, no seat (30 an hour)",
    "placeholder": "keep as a named placeholder",
}


def lines(*parts: Text | str) -> Text:
    """Lines of plain strings (ours) and Text (with vendor names in them), never markup."""
    return Text("\n").join(shown(p) for p in parts)


def bold(s: str) -> Text:
    return Text(s, style="bold")


class MappingScreen(WizardScreen):
    STEP = "map"
    TITLE = "Map"
    HELP = (
        "Review how each board lands in Tallyfy. On a field row, t changes its target type (only the "
        "types its values convert to are offered); on a person, p chooses map to a member, invite or "
        "placeholder; c switches card checklists between one text field and one task per checklist item. "
        "Every edit is saved to plan.toml at once. The Items tab pages through every discovered card "
        "(100 at a time); / filters any of the lists. The Quality tab shows what the plan's data-quality "
        "rules found before the run: the cards a critical rule quarantines, and the warnings."
    )
    BINDINGS = [
        Binding(
            "t", "field_type", "Field type", id="field-type", tooltip="Change the target type of the selected field."
        ),
        Binding(
            "p", "person", "Person", id="person", tooltip="Map, invite or keep as placeholder the selected person."
        ),
        Binding(
            "c",
            "checklists",
            "Checklists",
            id="checklists",
            tooltip="Card checklists: one text field, or one task per checklist item.",
        ),
        Binding(
            "s",
            "source_preset",
            "Source preset",
            id="source-preset-key",
            tooltip="How the source's containers and items are shaped (its mapping presets).",
        ),
        Binding("1", "tab('shape')", "Shape", show=False, id="tab-shape"),
        Binding("2", "tab('people')", "People", show=False, id="tab-people"),
        Binding("3", "tab('items')", "Items", show=False, id="tab-items"),
        Binding("4", "tab('losses')", "Losses", show=False, id="tab-losses"),
        Binding("5", "tab('quality')", "Quality", show=False, id="tab-quality"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.container_key: str | None = None
        self.users: list | None = None
        self.users_error = ""
        self.shape_rows: list[tuple[str, object]] = []
        self.shape_notes: list[Text] = []
        self.people_rows: list = []
        self.decisions: dict = {}
        self.item_page: list = []
        self.tabs_built = False  # the People, Items, Losses and Quality tabs' widgets (see _build_tabs)
        self._index_read: asyncio.Future | None = None  # the item index, read from on_mount on

    def body(self):
        m = self.app.migration
        inv = m.inventory()
        excluded = set(m.plan.mapping.exclude)
        self.containers = [c for c in (inv.containers if inv else []) if c.key not in excluded and c.id not in excluded]
        options = [(c.key, c.name) for c in self.containers]
        self.container_key = options[0][0] if options else None
        with Vertical(id="map-body"):
            with Horizontal(classes="row", id="map-top"):
                yield Picker(
                    options,
                    self.container_key,
                    title=f"Show which {self.words.container}?",
                    prompt=f"no {self.words.container} discovered",
                    id="container",
                )
                yield Label(self._target_preset_line(), id="preset")
            if registry.source(m.plan.source.system).presets:
                yield Static(source_preset_line(m.plan.source.system, m.plan.source.preset), id="source-preset")
            with Horizontal(id="map-main"):
                with TabStrip(id="map-tabs"):
                    with StripPane("1 Shape", id="shape"):
                        yield PagedTable(
                            ("what", "in the source", "→ in Tallyfy", "note"),
                            noun="rows",
                            placeholder="/ filter lists, fields, labels…",
                            id="shape-list",
                        )
                    # Built after the first frame (`_build_tabs`): a hidden pane costs its styling all the same.
                    for pane_id, title in (
                        ("people", "2 People"),
                        ("items", "3 Items"),
                        ("losses", "4 Losses"),
                        ("quality", "5 Quality"),
                    ):
                        yield StripPane(title, id=pane_id)
                with VerticalScroll(id="map-detail-box"):
                    yield Static("", id="map-detail")
            yield Static("", id="shape-detail")  # the selected row in one or two lines (narrow terminals)

    def _hidden_panes(self) -> dict[str, list[Widget]]:
        """What the tabs other than the first hold, by pane id, in the order they are mounted."""
        w = self.words
        return {
            "items": [
                PagedTable(
                    (w.item[0], w.container, f"{w.stage[0]} → step", "state"),
                    None,
                    noun=w.item[1],
                    placeholder=f"/ filter {w.item[1]} by name, {w.stage[0]} or {w.container}…",
                    id="items-table",
                )
            ],
            "people": [
                Label("", id="people-status", classes="hint"),
                PagedTable(
                    ("person", "decision", "why"),
                    noun="people",
                    placeholder="/ filter people by name, email or decision…",
                    id="people-list",
                ),
            ],
            "losses": [VerticalScroll(Static("", id="losses-text"), id="losses-box")],
            "quality": [VerticalScroll(Static("", id="quality-text"), id="quality-box")],
        }

    def on_mount(self) -> None:
        self._render_shape()
        if getattr(self.app, "item_index", None) is None:
            # Read while the first frame is drawn: the read waits on the disk, not on the event loop.
            self._index_read = asyncio.ensure_future(asyncio.to_thread(self.app.migration.item_index))
        self.call_after_refresh(self._build_tabs)

    async def _build_tabs(self) -> None:
        """The hidden tabs' widgets, once the first tab is on screen (moving to this screen paints
        in about half the time), then everything that fills them. The Items tab comes first: its
        first page is the one that waits on the disk."""
        panes = self._hidden_panes()
        for pane_id, widgets in panes.items():
            await self.query_one(f"#{pane_id}", StripPane).mount_all(widgets)
            if pane_id == "items" and widgets[0].is_attached:
                # Its first page before the other tabs' widgets, which would share the loop with it;
                # however the load ends (done, given way to another, failed), the other tabs follow.
                with contextlib.suppress(WorkerCancelled, WorkerFailed):
                    await self._load_index().wait()
                await self.query_one("#items-table", PagedTable).page_shown()
        if not all(w.is_attached for widgets in panes.values() for w in widgets):
            return  # the screen was closed meanwhile
        self.tabs_built = True
        try:
            self._render_all()
        except NoMatches:
            # The app closed while the tabs were built: Textual's mount returns at once on a closing
            # widget, so a pane's scroll box is attached and its text never is. Seen in about 2 of
            # 30 runs of tui_paint, as a traceback on the way out.
            return
        self._load_shapes()
        self._load_users()

    # -- loading (workers) ---------------------------------------------------------------
    @work(exclusive=True, group="item-index", exit_on_error=False)
    async def _load_index(self) -> None:
        if getattr(self.app, "item_index", None) is None:
            read = self._index_read or asyncio.to_thread(self.app.migration.item_index)
            self._index_read = None
            self.app.item_index = await read
        index = self.app.item_index
        archived_kept = self.app.migration.plan.mapping.include_archived

        def fetch(text: str, offset: int, limit: int):
            total, rows = index.query(text, offset, limit)
            self.item_page = rows
            return total, [
                (
                    r.name,
                    r.container,
                    r.stage,
                    "▣ archived" + ("" if archived_kept else ", skipped") if r.closed else "open",
                )
                for r in rows
            ]

        self.query_one("#items-table", PagedTable).set_fetch(fetch)

    @work(exclusive=True, group="shapes", exit_on_error=False)
    async def _load_shapes(self) -> None:
        for c in self.containers:
            if c.key in self.app.shapes:
                continue
            try:
                self.app.shapes[c.key] = await self.app.migration.shape(c.id)
            except UserError as e:
                self.notify(line(e.sentence), title="Cannot read the board's shape", severity="error", markup=False)
                return
            if c.key == self.container_key:
                self._render_all()
        self._render_all()

    @work(exclusive=True, group="users", exit_on_error=False)
    async def _load_users(self) -> None:
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

    def shape_of(self, board_name: str):
        """The loaded shape of the board with this name (the item index names boards)."""
        for c in self.containers:
            if c.name == board_name:
                return self.app.shapes.get(c.key)
        return None

    def _render_all(self) -> None:
        self._render_shape()
        if self.tabs_built:  # else _build_tabs renders them
            self._render_people()
            self._render_losses()
            self._render_quality()

    def _target_preset_line(self) -> Text:
        """The target's preset in force, in the source's words under the source preset in force."""
        plan = self.app.migration.plan
        described = preset_text(plan.target.system, plan.mapping.preset, self.words)
        return Text.assemble("preset ", (plan.mapping.preset, "bold"), ": ", described)

    @property
    def words(self) -> ShapeWords:
        plan = self.app.migration.plan
        return shape_words(plan.source.system, plan.source.preset)

    def _stage_note(self, st, i: int) -> Text:
        w = self.words
        if w.items_are_steps:
            kind = " (an approval step)" if st.kind == "approval" else ""
            return Text.assemble(
                "'", st.name, f"' becomes step {i + 1}{kind}; the {w.item[0]} stands at the first one not done."
            )
        return Text.assemble(
            f"{w.item[1].capitalize()} in '", st.name, f"' become processes whose first {i} step(s) are complete."
        )

    def _render_shape(self) -> None:
        rows: list[tuple[str, object, tuple, Text]] = []
        tpl = self.shape
        w = self.words
        if tpl is None:
            rows.append(("wait", None, ("…", f"reading the {w.container}…", "", ""), Text("")))
        else:
            plan = self.app.migration.plan
            overrides = plan.mapping.field_types
            lossy = dict(losses(tpl, overrides, plan.mapping.checklists == "field"))
            rows.append(
                (
                    "board",
                    tpl,
                    (w.container, tpl.name, "template", ""),
                    Text.assemble(f"The {w.container} '", tpl.name, "' becomes one Tallyfy template."),
                )
            )
            for i, st in enumerate(sorted(tpl.stages, key=lambda s: s.position)):
                rows.append(
                    (
                        "stage",
                        st,
                        (w.stage[0], st.name + (" (archived)" if st.closed else ""), f"step {i + 1}", ""),
                        self._stage_note(st, i),
                    )
                )
            for f in tpl.fields:
                target = field_type_for(f, overrides)
                mine = " (your choice)" if f.key in overrides else ""
                why = conversion_loss(f, target)
                rows.append(
                    (
                        "field",
                        f,
                        (
                            "field",
                            f"{f.name} ({f.type.value})",
                            f"{target}{'*' if mine else ''}",
                            "⚠ lossy" if why else "✓ no loss",
                        ),
                        Text.assemble(
                            "'",
                            f.name,
                            f"' → {target}{mine}: ",
                            f"⚠ {why}." if why else "✓ nothing is lost.",
                            " t changes it.",
                        ),
                    )
                )
            if tpl.tags:
                rows.append(
                    (
                        "tags",
                        None,
                        ("labels", f"{len(tpl.tags)} labels", "tags", "⚠ lossy"),
                        Text("⚠ Trello colour names become the nearest hex colour on Tallyfy tags."),
                    )
                )
            mode = plan.mapping.checklists
            other = CHECKLIST_MODES["subtasks" if mode == "field" else "field"]
            rows.append(
                (
                    "checklists",
                    None,
                    ("checklists", f"per {w.item[0]}", CHECKLIST_MODES[mode], "⚠ lossy"),
                    Text(f"⚠ {lossy.get('checklists', '')}. c switches to: {other}."),
                )
            )
        self.shape_rows = [(kind, obj) for kind, obj, _, _ in rows]
        self.shape_notes = [note for *_, note in rows]
        self.query_one("#shape-list", PagedTable).set_items(rows, lambda r: r[2])
        self._detail()

    def _render_people(self) -> None:
        tpl = self.shape
        status = self.query_one("#people-status", Label)
        self.people_rows = list(tpl.people) if tpl else []
        if tpl is None:
            status.update("… reading the board's members")
        elif self.users is None and not self.users_error:
            status.update("… reading the target's members")
        elif self.users_error:
            status.update(text(f"✗ target members unavailable: {self.users_error}"))
        else:
            status.update(f"{len(tpl.people)} people · {len(self.users or [])} members in the target · p to change")
        self.decisions = match_people(self.people_rows, self.users or [], self.app.migration.plan.mapping.people)

        def row(p) -> tuple:
            d = self.decisions[p.key]
            u = self.member(d.user_id)
            who = f" → {u.name if u else d.user_id}" if d.user_id is not None else ""
            return p.name, PEOPLE_MARK.get(d.action, d.action) + who, d.reason

        self.query_one("#people-list", PagedTable).set_items(
            self.people_rows, row, lambda p: " ".join((*row(p), p.email or ""))
        )
        self._detail()

    def member(self, user_id):
        return next((u for u in self.users or [] if str(u.id) == str(user_id)), None) if user_id is not None else None

    def _render_losses(self) -> None:
        if not self.tabs_built:
            return  # _build_tabs renders it
        tpl = self.shape
        self.query_one("#losses-text", Static).update(
            "…"
            if tpl is None
            else lines(
                *[Text.assemble("⚠ ", (w, "bold"), ": ", y) for w, y in self._losses(tpl)],
                "",
                *container_losses(self.app.migration.store.inventory, self.container_key),
            )
        )

    def _render_quality(self) -> None:
        """The plan's data-quality rules on this container, as discovery found them: before the run."""
        m = self.app.migration
        found = container_quality(m.store.inventory, self.container_key, len(m.plan.quality))
        self.query_one("#quality-text", Static).update(
            lines(*[text((x, "bold" if x[:1] in "✗⚠" else "")) for x in found])
        )

    def _losses(self, tpl) -> list[tuple[str, str]]:
        plan = self.app.migration.plan
        return losses(tpl, plan.mapping.field_types, plan.mapping.checklists == "field")

    # -- the detail pane and the status line: the selected row, in full ---------------------
    @on(PagedTable.PageLoaded)
    def _page_loaded(self) -> None:
        self._detail()

    def on_data_table_row_highlighted(self) -> None:
        self._detail()

    @property
    def tab(self) -> str:
        return self.query_one(TabStrip).active if self.is_mounted else ""

    def selected_shape_row(self) -> tuple[str, object, tuple, Text] | None:
        return self.query_one("#shape-list", PagedTable).selected_item()

    def _detail(self) -> None:
        if not self.is_mounted:
            return
        tab = self.tab
        if tab != "shape" and not self.tabs_built:
            return  # _build_tabs renders it
        detail: Text
        line: Text
        if tab == "people":
            detail = self._person_detail()
            line = detail.split("\n")[0] if detail.plain else Text("")
        elif tab == "items":
            detail = self._item_detail()
            line = Text("")
        elif tab in ("losses", "quality"):
            detail = self._board_detail()
            line = Text("")
        else:
            sel = self.selected_shape_row()
            line = sel[3] if sel else Text("")
            detail = self._shape_detail(sel) if sel else Text("")
        self.query_one("#map-detail", Static).update(detail)
        self.query_one("#shape-detail", Static).update(line)
        self.refresh_bindings()

    def _shape_detail(self, sel) -> Text:
        kind, obj, _, note = sel
        if kind == "field":
            overrides = self.app.migration.plan.mapping.field_types
            now = field_type_for(obj, overrides)
            options = [
                Text(f"  {'●' if t == now else '○'} {t}: {conversion_loss(obj, t) or 'nothing is lost'}")
                for t in CONVERSIONS.get(obj.type, {})
            ]
            return lines(
                Text.assemble(("Field ", "bold"), (obj.name, "bold")),
                f"in the source: {obj.type.value}" + (f" · {len(obj.options)} options" if obj.options else ""),
                f"in Tallyfy: {now}",
                "",
                note,
                "",
                bold("t offers"),
                *options,
            )
        if kind == "stage":
            head = Text.assemble((self.words.stage[0].capitalize() + " ", "bold"), (obj.name, "bold"))
            return lines(head, note, *self._stage_count(obj))
        if kind == "board":
            return self._board_detail()
        return note

    def _stage_count(self, st) -> list[str]:
        c = next((c for c in self.containers if c.key == self.container_key), None)
        tpl = self.shape
        if c is None or tpl is None:
            return []
        order = sorted(tpl.stages, key=lambda s: s.position)
        i = next((n for n, s in enumerate(order) if s.key == st.key), None)
        counts = c.items_by_stage_index
        stands = f"{counts[i]:,} {self.words.item[0]}(s) {'at' if self.words.items_are_steps else 'in'} it."
        return [stands] if i is not None and i < len(counts) else []

    def _board_detail(self, tpl=None) -> Text:
        tpl = tpl or self.shape
        c = next((c for c in self.containers if self.app.shapes.get(c.key) is tpl), None)
        if tpl is None:
            return Text("")
        w = self.words
        head: list[Text | str] = [
            Text.assemble((w.container.capitalize() + " ", "bold"), (tpl.name, "bold")),
            "→ one Tallyfy template",
        ]
        if c is not None:
            head.append(
                f"{c.count('item'):,} {w.item[1]} · {c.count('comment'):,} comments · "
                f"{c.count('attachment'):,} attachments"
            )
        head.append(
            f"{len(tpl.stages)} {w.stage[1]} → steps · {len(tpl.fields)} fields · {len(tpl.tags)} labels · "
            f"{len(tpl.people)} people"
        )
        return lines(*head)

    def _person_detail(self) -> Text:
        p = self.query_one("#people-list", PagedTable).selected_item()
        if p is None:
            return Text("")
        d = self.decisions.get(p.key)
        out: list[Text | str] = [Text.assemble((p.name, "bold"), " · ", p.email or "no email in the source")]
        if d is not None:
            out.append(PEOPLE_MARK.get(d.action, d.action) + f": {d.reason}")
            if (u := self.member(d.user_id)) is not None:
                out.append(Text.assemble("member in Tallyfy: ", u.name, " · ", u.email or "no email"))
        out.append("p changes it.")
        return lines(*out)

    def _item_detail(self) -> Text:
        pt = self.query_one("#items-table", PagedTable)
        row = pt.table.cursor_row
        r = self.item_page[row] if 0 <= row < len(self.item_page) else None
        if r is None:
            return Text("")
        w = self.words
        out: list[Text | str] = [
            Text.assemble((w.item[0].capitalize() + " ", "bold"), (r.name, "bold")),
            Text.assemble(f"{w.container}: ", r.container),
            Text.assemble(f"{w.stage[0]} → step: ", r.stage),
        ]
        archived_kept = self.app.migration.plan.mapping.include_archived
        out.append(
            "▣ archived: "
            + ("migrated, then archived" if archived_kept else "skipped (the plan leaves archived cards out)")
            if r.closed
            else "open: becomes a process"
        )
        tpl = self.shape_of(r.container)
        if tpl is None:
            return lines(*out, "", "… reading its board")
        overrides = self.app.migration.plan.mapping.field_types
        out += ["", bold("Its fields")]
        for f in tpl.fields:
            t = field_type_for(f, overrides)
            why = conversion_loss(f, t)
            out.append(Text.assemble("  ", f.name, f" ({f.type.value}) → {t}", "  ⚠ lossy" if why else ""))
        out += ["", bold("Its losses")]
        out += [Text.assemble("  ⚠ ", w, ": ", y) for w, y in self._losses(tpl)]
        decisions = match_people(tpl.people, self.users or [], self.app.migration.plan.mapping.people)
        out += ["", bold("Its people (the board's members)")]
        for p in tpl.people:
            d = decisions[p.key]
            out.append(
                Text.assemble("  ", p.name, " · ", p.email or "no email", " · ", PEOPLE_MARK.get(d.action, d.action))
            )
        return lines(*out)

    @on(Picker.Changed, "#container")
    def _container_changed(self, event: Picker.Changed) -> None:
        if event.value != self.container_key:
            self.container_key = event.value
            self._render_all()

    # -- edits ---------------------------------------------------------------------------
    def why_not(self, action: str) -> str:
        tab = self.tab
        if action == "field_type":
            if tab != "shape":
                return "t changes a field's type: open the Shape tab (1) and pick a field row."
            sel = self.selected_shape_row()
            if sel is None or sel[0] != "field":
                return "Pick a field row first (↑↓), then t."
            return ""
        if action == "person":
            if tab != "people":
                return "p works on the People tab (2): pick a person, then p."
            return "" if self.people_rows else "This board has no people to map."
        if action == "checklists":
            return "" if tab in ("shape", "losses") else "c works on the Shape (1) and Losses (4) tabs."
        if action == "source_preset":
            return self._why_not_source_preset()
        return super().why_not(action)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "source_preset" and not self._source_presets():
            return False  # a source with one way to shape it: no key for it at all
        return super().check_action(action, parameters)

    def _source_presets(self) -> tuple[registry.Preset, ...]:
        return registry.source(self.app.migration.plan.source.system).presets

    def _why_not_source_preset(self) -> str:
        if not self._source_presets():
            return "This source has one way to shape it; there is no preset to choose."
        if self.app.migration.store.mappings:
            return (
                "The source preset is kept from the first run on (another would shape the same records into other "
                "objects); roll back first to choose another."
            )
        return ""

    @on(TabStrip.TabActivated)
    def _tab_changed(self) -> None:
        self._detail()

    def action_field_type(self) -> None:
        sel = self.selected_shape_row()
        if sel is None or not isinstance(sel[1], FieldDef):
            return
        f = sel[1]
        default = FIELD_TYPES[f.type]
        current = self.app.migration.plan.mapping.field_types.get(f.key, default)
        offered = list(CONVERSIONS.get(f.type, {default: ""}))
        choices = [
            (t, f"{t}{' (preset default)' if t == default else ''}: {conversion_loss(f, t) or 'nothing is lost'}")
            for t in offered
        ]

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
        if not self.tabs_built:
            return
        p = self.query_one("#people-list", PagedTable).selected_item()
        if p is None:
            return
        choices = list(PEOPLE_CHOICES.items())
        choices += [
            (f"user:{u.id}", f"map to member {u.name}" + (f" ({u.email})" if u.email else "")) for u in self.users or []
        ]
        labels = dict(choices)
        current = self.app.migration.plan.mapping.people.get(p.key, "")

        def chosen(value: str | None) -> None:
            if value is None:
                return
            people = self.app.migration.plan.mapping.people
            if value:
                people[p.key] = value
            else:
                people.pop(p.key, None)
            self._save_plan(f"{p.name}: {labels.get(value, value)}")
            self._render_people()

        self.app.push_screen(ChoiceDialog(f"{p.name}", choices, current), chosen)

    @on(events.Click, "#source-preset")
    def _source_preset_clicked(self) -> None:
        why = self._why_not_source_preset()
        if why:
            self.notify(why, title="Source preset", severity="warning", markup=False)
            return
        self.action_source_preset()

    def action_source_preset(self) -> None:
        """Choose how the source is shaped; the choice is saved to the plan and the source read again."""
        plan = self.app.migration.plan
        presets = self._source_presets()
        choices = [(p.name, f"{p.name}: {p.description}") for p in presets]

        def chosen(value: str | None) -> None:
            if value is None or value == plan.source.preset:
                return
            plan.source.preset = value
            self._save_plan(f"source preset → {value}")
            self.query_one("#source-preset", Static).update(source_preset_line(plan.source.system, value))
            self.query_one("#preset", Label).update(self._target_preset_line())
            self._rediscover()

        label = registry.label(plan.source.system)
        self.app.push_screen(ChoiceDialog(f"How {label} is shaped", choices, plan.source.preset), chosen)

    @work(exclusive=True, group="shapes", exit_on_error=False)
    async def _rediscover(self) -> None:
        """The source read again under the preset now chosen: the shapes, counts and items it makes."""
        self.app.shapes.clear()
        self.app.item_index = None
        self._render_all()
        try:
            inv = await self.app.migration.discover()
        except UserError as e:
            self.notify(line(e.sentence), title="Cannot read the source again", severity="error", markup=False)
            return
        excluded = set(self.app.migration.plan.mapping.exclude)
        self.containers = [c for c in inv.containers if c.key not in excluded and c.id not in excluded]
        self._render_all()
        self._load_index()
        for c in self.containers:
            self.app.shapes[c.key] = await self.app.migration.shape(c.id)
        self._render_all()

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

    def can_next(self) -> bool:
        return bool(self.containers)

    def next_blocked(self) -> str:
        return "No board to map: go back to Discover (esc) and include at least one."
