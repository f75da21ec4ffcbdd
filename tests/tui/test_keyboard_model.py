"""The keyboard model written in the help screen (tui/keys.py), one Pilot test per rule, on
the deterministic fakes (real folder, plan and store; source and target from memory)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Button, DataTable, Input, OptionList, Static

from tui import keys
from tui.app import WizardApp
from tui.screens.connect import ConnectScreen
from tui.screens.dialogs import ChoiceDialog, ConfirmDialog
from tui.screens.discovery import DiscoveryScreen
from tui.screens.estimate import EstimateScreen
from tui.screens.help import HelpScreen
from tui.screens.mapping import MappingScreen
from tui.screens.progress import ProgressScreen
from tui.screens.report import ReportScreen
from tui.screens.start import StartScreen
from tui.steps import STEP_TITLES, STEPS
from tui.widgets.paged_table import PagedTable
from tui.widgets.stepbar import StepBar
from tui.widgets.tab_strip import TabStrip, TabTitles
from tui_drive import screen_text, settle, until
from tui_fakes import frozen_clock, make_folder
from wizard.migration import remember
from wizard.plan import load_plan


def toasts(app: WizardApp) -> list[str]:
    """Record every notification's text (and title) the app shows from now on."""
    seen: list[str] = []
    notify = app.notify

    def record(message, *, title: str = "", **kw):
        seen.append(f"{title} {message}".strip())
        return notify(message, title=title, **kw)

    app.notify = record  # type: ignore[method-assign]
    return seen


async def _mapping(pilot) -> MappingScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MappingScreen)
    await until(pilot, lambda: screen.shape is not None and screen.users is not None, what="the board's shape")
    await settle(pilot)
    return screen


def focused_table(app) -> DataTable | None:
    return app.focused if isinstance(app.focused, DataTable) else None


async def test_switching_tabs_focuses_the_tabs_table_and_slash_filters_it(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="map")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _mapping(pilot)
        for key, tab, table in (
            ("3", "items", "#items-table"),
            ("2", "people", "#people-list"),
            ("1", "shape", "#shape-list"),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert screen.query_one(TabStrip).active == tab
            assert focused_table(app) is screen.query_one(table, PagedTable).table, f"{key} focuses the {tab} table"
            await pilot.press("slash")
            assert app.focused is screen.query_one(table, PagedTable).filter_input, f"/ filters the {tab} table"
            await pilot.press("escape")
            assert focused_table(app) is screen.query_one(table, PagedTable).table

        # a click on a tab does the same
        titles = screen.query_one("#map-tabs TabTitles", TabTitles)
        await pilot.click(titles, offset=titles.offset_of("items"))
        await settle(pilot)
        assert focused_table(app) is screen.query_one("#items-table", PagedTable).table


async def test_typing_a_filter_fires_no_screen_key_and_escape_clears_it_before_leaving(tmp_path: Path) -> None:
    m = make_folder(tmp_path, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _mapping(pilot)
        items = screen.query_one("#items-table", PagedTable)
        await until(pilot, lambda: items.total == 150, what="the item index")
        await pilot.press("3", "slash", *"invoice")  # n (Next), c (checklists), i, o, e: all typed
        await settle(pilot)
        assert app.screen is screen, "typing n in the filter did not go to Estimate"
        assert load_plan(m.folder / "plan.toml").mapping.checklists == "field", "typing c toggled nothing"
        await until(pilot, lambda: items.filter_text == "invoice", what="the filter to apply")
        assert items.total == 38 and all("invoice" in str(items.table.get_row_at(i)[0]) for i in range(items.total))

        await pilot.press("escape")  # clears the filter, stays on the step
        await until(pilot, lambda: items.filter_text == "" and items.total == 150, what="the filter to clear")
        assert app.screen is screen and items.filter_input.value == ""
        assert focused_table(app) is items.table

        await pilot.press("slash", *"deck", "enter")  # enter: back to the rows, filter kept
        await until(pilot, lambda: items.filter_text == "deck")
        assert focused_table(app) is items.table
        await pilot.press("escape")  # from the rows, the filter is still cleared first
        await until(pilot, lambda: items.filter_text == "")
        assert app.screen is screen
        await pilot.press("escape")  # nothing left to clear: back one step
        await settle(pilot)
        assert isinstance(app.screen, DiscoveryScreen)


async def test_slash_filters_on_every_screen_with_a_table(tmp_path: Path, home: Path) -> None:
    make_folder(home, "acme-trello")
    for step, wanted in (("estimate", "#actions"), ("conflicts", "#conflicts-table"), ("run", "#failed")):
        app = WizardApp(migration=make_folder(tmp_path / step), clock=frozen_clock, step=step)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            if step == "estimate":
                await pilot.press("d")
                await settle(pilot)
            await pilot.press("slash")
            assert app.focused is app.screen.query_one(wanted, PagedTable).filter_input, step
    app = WizardApp(clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartScreen)
        await pilot.press("slash")
        assert app.focused is app.screen.query_one(PagedTable).filter_input


async def test_pickers_keep_the_tab_and_the_selection_and_the_toast_names_the_person(tmp_path: Path) -> None:
    m = make_folder(tmp_path, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(100, 30)) as pilot:
        seen = toasts(app)
        screen = await _mapping(pilot)
        await pilot.press("2", "down")
        await settle(pilot)
        people = screen.query_one("#people-list", PagedTable)
        assert people.table.cursor_row == 1 and people.selected_item().name == "Jonas Berg"
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        ids = [v for v, _ in dialog.choices]
        dialog.query_one(OptionList).highlighted = ids.index("user:2")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and screen.query_one(TabStrip).active == "people", "the tab is kept"
        assert people.table.cursor_row == 1 and people.selected_item().name == "Jonas Berg", "so is the row"
        assert focused_table(app) is people.table
        assert load_plan(m.folder / "plan.toml").mapping.people == {"trello:member:m2": "user:2"}
        saved = next(t for t in seen if "plan.toml" in t)
        assert "Jonas Berg" in saved and "Sam Ortiz" in saved and "user:" not in saved, saved

        await pilot.press("1")
        await settle(pilot)
        shape = screen.query_one("#shape-list", PagedTable)
        row = next(i for i, (kind, obj) in enumerate(screen.shape_rows) if kind == "field" and obj.name == "Signed")
        shape.table.move_cursor(row=row)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        app.screen.query_one(OptionList).highlighted = [v for v, _ in app.screen.choices].index("text")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one(TabStrip).active == "shape" and shape.table.cursor_row == row


async def test_a_field_type_change_is_followed_everywhere_and_only_sensible_types_are_offered(tmp_path: Path) -> None:
    m = make_folder(tmp_path, run=False)
    app = WizardApp(migration=m, clock=frozen_clock, step="map")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _mapping(pilot)
        shape = screen.query_one("#shape-list", PagedTable)
        row = next(i for i, (kind, obj) in enumerate(screen.shape_rows) if kind == "field" and obj.name == "Signed")
        shape.table.move_cursor(row=row)
        await settle(pilot)
        status = lambda: str(screen.query_one("#shape-detail", Static).content)  # noqa: E731
        losses = lambda: str(screen.query_one("#losses-text", Static).content)  # noqa: E731
        assert "Yes/No choice" in status() and "Yes/No choice" in losses()
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        offered = [v for v, _ in dialog.choices]
        assert sorted(offered) == ["radio", "text", "textarea"], "no file, date or dropdown for a checkbox"
        dialog.query_one(OptionList).highlighted = offered.index("text")
        await pilot.press("enter")
        await settle(pilot)
        assert load_plan(m.folder / "plan.toml").mapping.field_types == {"trello:field:b1s": "text"}
        assert "Yes/No" not in status() and "True or False" in status(), status()
        assert "Yes/No" not in losses() and "field 'Signed' (checkbox)" in losses()
        assert "text*" in str(shape.table.get_row_at(row)[2])

        budget = next(i for i, (kind, obj) in enumerate(screen.shape_rows) if kind == "field" and obj.name == "Budget")
        shape.table.move_cursor(row=budget)
        await pilot.press("t")
        await settle(pilot)
        assert sorted(v for v, _ in app.screen.choices) == ["text", "textarea"], "a number is never a file"
        await pilot.press("escape")


async def test_estimate_opens_on_a_tab_with_content(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="estimate")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EstimateScreen)
        assert screen.query_one(TabStrip).active == "tab-estimate", "no dry run yet: the estimate"
        assert "API calls" in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        assert focused_table(app) is screen.query_one("#actions", PagedTable).table, "the dry run's tab: its table"
        await pilot.press("1")
        await settle(pilot)
        assert screen.query_one(TabStrip).active == "tab-estimate" and keys.visible(app.focused)
        await pilot.press("2")
        await settle(pilot)
        assert focused_table(app) is screen.query_one("#actions", PagedTable).table
        await pilot.press("escape")  # to Map, and back: the dry run's list is what has content now
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, EstimateScreen)
        assert app.screen.query_one(TabStrip).active == "tab-dry"
        assert "launch process" in screen_text(app)


async def test_an_unavailable_key_says_why(tmp_path: Path) -> None:
    m = make_folder(tmp_path)
    m.store.set_meta(state="rolled back")
    app = WizardApp(migration=m, clock=frozen_clock, step="report")
    async with app.run_test(size=(100, 30)) as pilot:
        seen = toasts(app)
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("s")
        await settle(pilot)
        assert any("rolled back" in t for t in seen), seen
        assert isinstance(app.screen, ReportScreen), "and nothing else happened"
        await pilot.press("n")
        assert any("last step" in t for t in seen), seen

        app.goto("run")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        await pilot.press("p")
        assert any("Nothing is running to pause" in t for t in seen), seen

        app.goto("map")
        await settle(pilot)
        await pilot.press("4", "t")
        assert any("Shape tab" in t for t in seen), seen


def _keys_in_labels(screen) -> list[str]:
    out = []
    for b in screen.query(Button):
        out += re.findall(r"\(([^()]+)\)$", str(b.label))
    return [k.split(", ")[-1] for k in out]


@pytest.mark.parametrize("step", ["connect", "discover", "map", "estimate", "conflicts", "run", "report"])
async def test_every_key_shown_is_the_bound_key(step: str, tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path), clock=frozen_clock, step=step)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        bound = {app.get_key_display(b.binding) for b in screen.active_bindings.values()}
        shown = _keys_in_labels(screen)
        assert all(k in bound for k in shown), (shown, bound)
        if isinstance(screen, ConnectScreen):
            assert shown == ["^t", "^n"] and "press ^t" in screen_text(app)
        # the footer shows bindings, so the help lists the same keys
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for k in shown:
            assert f" {k} " in text, k
        assert "Keys on every screen" in text and "clears the filter first" in text
        assert "[/" not in text and "\\[" not in text, "no markup shows through (the [ ] keys once broke it)"


def test_the_step_bar_never_cuts_a_step_name() -> None:
    for width in (80, 100, 160):
        for step in STEPS:
            text = StepBar(step, "acme-trello").render_steps(width)
            assert text.cell_len <= width - 2, (width, step, text.plain)
            words = re.findall(r"[A-Z][a-z]+", text.plain)
            assert all(w in STEP_TITLES.values() for w in words), (width, step, text.plain)
            assert STEP_TITLES[step] in text.plain


async def test_the_start_screen_tells_same_named_migrations_apart(tmp_path: Path, home: Path) -> None:
    for where, state in (("one", "finished"), ("two", "interrupted")):
        m = make_folder(tmp_path / where, "demo", items=10, state=state)
        remember(m.folder)
        m.close()
    app = WizardApp(clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PagedTable)
        rows = [[str(c) for c in table.table.get_row_at(i)] for i in range(table.table.row_count)]
        demos = [r for r in rows if r[0] == "demo"]
        assert len(demos) == 2
        assert demos[0][1] != demos[1][1], "the folder column tells them apart"
        assert {r[2] for r in demos} == {"trello→tallyfy"} and {r[3] for r in demos} == {"✓ finished", "‖ interrupted"}
        assert all(re.fullmatch(r"\d\d-\d\d \d\d:\d\d", r[4]) for r in demos), "the last run's date and time"
        table.table.move_cursor(row=next(i for i, r in enumerate(rows) if r[0] == "demo" and "finished" in r[3]))
        await settle(pilot)
        detail = " ".join(screen_text(app).split())
        assert "s syncs what changed since the last run" in detail and "last run" in detail, "nothing cut at 80 columns"
        await pilot.press("slash", *"two")
        await until(pilot, lambda: table.total == 1)
        assert "two" in str(table.selected_item().folder)


async def test_wide_mapping_shows_the_selected_card_beside_the_table(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="map")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _mapping(pilot)
        await pilot.press("3")
        items = screen.query_one("#items-table", PagedTable)
        await until(pilot, lambda: items.total == 150)
        await pilot.press("down")
        await settle(pilot)
        detail = str(screen.query_one("#map-detail", Static).content)
        assert "Review contract #000001" in detail and "Its fields" in detail and "Signed (checkbox) → radio" in detail
        assert "Its losses" in detail and "Its people" in detail and "priya@acme.test" in detail
        assert keys.visible(screen.query_one("#map-detail-box"))
        await pilot.press("2")
        await settle(pilot)
        assert "priya@acme.test" in str(screen.query_one("#map-detail", Static).content)
    app = WizardApp(migration=make_folder(tmp_path / "narrow", run=False), clock=frozen_clock, step="map")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _mapping(pilot)
        assert not keys.visible(screen.query_one("#map-detail-box")), "no room for it at 80 columns"
        assert re.search(r"preset kanban\s*: list → step · card → process", " ".join(screen_text(app).split()))


async def test_rollback_preview_lists_names_not_ids(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path), clock=frozen_clock, step="report")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, ConfirmDialog)
                and app.screen.query(PagedTable)
                and app.screen.query_one(PagedTable).total > 0
            ),
            what="the preview",
        )
        await pilot.pause(0.3)
        preview = app.screen.query_one(PagedTable)
        names = [str(preview.table.get_row_at(i)[1]) for i in range(preview.table.row_count)]
        assert names and not any(n.startswith("trello:") for n in names), names[:5]
        assert "Client Onboarding" in names and any(re.fullmatch(r"\w+ \w+ #\d{6}", n) for n in names)
        dialog = app.screen
        await pilot.press("slash", *"invoice")  # the preview filters by name too
        await until(pilot, lambda: preview.filter_text == "invoice" and 0 < preview.total < 137, what="the filter")
        await pilot.pause(0.3)  # (the rollback worker waits on this dialog: no settle here)
        assert all("invoice" in str(preview.table.get_row_at(i)[1]) for i in range(preview.table.row_count))
        await pilot.press("escape")  # clears the filter; the dialog stays
        await until(pilot, lambda: preview.filter_text == "" and preview.total == 137, what="the filter to clear")
        assert app.screen is dialog
        await pilot.press("escape")  # then cancels: nothing rolled back
        await until(pilot, lambda: isinstance(app.screen, ReportScreen), what="the dialog to close")


async def test_connect_labels_each_field_and_says_where_to_find_it(tmp_path: Path) -> None:
    app = WizardApp(migration=make_folder(tmp_path, run=False), clock=frozen_clock, step="connect")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        text = " ".join(screen_text(app).split())
        for label in ("Profile", "API root", "API key", "Token", "Org id"):
            assert label in text, label
        assert "trello.com/app-key" in text and "MW_ACME_TRELLO_KEY" in text and "MW_ACME_TRELLO_TOKEN" in text
        assert "Settings › Integrations › REST API" in text and "MW_ACME_TALLYFY_TOKEN" in text
        profile = app.screen.query_one("#profile", Input)
        profile.value = "globex"
        await settle(pilot)
        assert "MW_GLOBEX_TRELLO_KEY" in " ".join(screen_text(app).split()), "the names follow the profile"


def rendered(content: object) -> str:
    """What a widget's content reads as (a string, a Text or a Table alike), wide enough not to wrap."""
    out = io.StringIO()
    Console(file=out, width=400, color_system=None).print(content)
    return out.getvalue()


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_conflicts_and_report_use_the_room(size: tuple[int, int], tmp_path: Path) -> None:
    wide = size[0] >= 120
    app = WizardApp(migration=make_folder(tmp_path), clock=frozen_clock, step="conflicts")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#conflicts-table").region
        sides = app.screen.query_one("#side-by-side").region
        if wide:  # beside the table, as tall as it
            assert sides.x >= table.right and sides.y <= table.y + 1 and sides.height >= table.height - 2
        else:  # under it
            assert sides.y >= table.bottom
        side_by_side = rendered(app.screen.query_one("#conflict-source", Static).content)
        assert "the card (source)" in side_by_side and "Draft contract" in side_by_side and "#000001" in side_by_side
        app.goto("report")
        await settle(pilot)
        screen = app.screen
        main = str(screen.query_one("#report-text", Static).content)
        side = str(screen.query_one("#report-side-text", Static).content)
        assert keys.visible(screen.query_one("#report-side")) is wide
        assert (
            ("Failed, quarantined" in side and "Failed, quarantined" not in main)
            if wide
            else "Failed, quarantined" in main
        )
        assert "in source" in main
