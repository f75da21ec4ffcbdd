"""TabStrip (tui/widgets/tab_strip.py): a click on a title shows its pane and says so once; a
click between titles changes nothing; `active` set in code does what a click does."""

from __future__ import annotations

from textual import on
from textual.app import App
from textual.geometry import Offset
from textual.widgets import ContentSwitcher, Static

from tui.widgets.tab_strip import GAP, StripPane, TabStrip, TabTitles


class Strip(App):
    def __init__(self) -> None:
        super().__init__()
        self.activated: list[str] = []

    def compose(self):
        with TabStrip(id="tabs"):
            with StripPane("1 One", id="one"):
                yield Static("first")
            with StripPane("2 Two", id="two"):
                yield Static("second")
            yield StripPane("3 Three", Static("third"), id="three")

    @on(TabStrip.TabActivated)
    def _activated(self, event: TabStrip.TabActivated) -> None:
        self.activated.append(event.pane.id or "")


async def test_a_click_on_a_title_shows_its_pane_and_a_click_between_titles_does_nothing() -> None:
    app = Strip()
    async with app.run_test(size=(60, 10)) as pilot:
        strip = app.query_one(TabStrip)
        titles = app.query_one(TabTitles)
        switcher = app.query_one(ContentSwitcher)
        assert strip.active == "one" and switcher.current == "one" and app.activated == []

        await pilot.click(titles, offset=titles.offset_of("three"))
        await pilot.pause()
        assert strip.active == "three" and switcher.current == "three" and app.activated == ["three"]
        assert titles.active == "three"

        gap = titles.offset_of("two") - Offset(GAP, 0)  # the last column before "2 Two" is a gap
        await pilot.click(titles, offset=gap)
        await pilot.pause()
        assert strip.active == "three" and app.activated == ["three"]

        strip.active = "two"
        await pilot.pause()
        assert switcher.current == "two" and app.activated == ["three", "two"]
        assert strip.get_pane("two").tab_title == "2 Two"
