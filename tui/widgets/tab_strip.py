"""Tabs drawn as one line of titles over a ContentSwitcher of panes (issue 19: moving to a step
< 0.1 s). Textual's TabbedContent builds a widget per tab, a scroll container, two layout boxes
and an underline: 15 widgets for the mapping screen's five tabs, about 40 % of the warm move to
it. Here the titles are one widget: keys 1-5 switch (the screens' bindings), a click on a title
switches, and `active`, `get_pane` and `TabActivated` mean what they mean on TabbedContent."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.containers import Vertical
from textual.geometry import Offset
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher

GAP = 2  # columns between two titles


class StripPane(Widget):
    """One tab's content, composed inside a TabStrip; `tab_title` is what its title says."""

    DEFAULT_CSS = """
    StripPane {
        height: auto;
    }
    """

    def __init__(self, tab_title: str, *children: Widget, id: str) -> None:
        super().__init__(*children, id=id)
        self.tab_title = tab_title


class TabTitles(Widget):
    """The titles, the active one marked; a click on one activates its pane."""

    DEFAULT_CSS = """
    TabTitles {
        height: 1;
        width: 1fr;
        padding: 0 1;
    }
    TabTitles > .tab-titles--title {
        color: $foreground 50%;
    }
    TabTitles > .tab-titles--active {
        color: $block-cursor-background;
        text-style: bold underline;
    }
    """
    COMPONENT_CLASSES = {"tab-titles--title", "tab-titles--active"}

    def __init__(self, titles: list[tuple[str, str]]) -> None:
        super().__init__()
        self.titles = titles  # (pane id, title)

    @property
    def active(self) -> str:
        """The shown pane's id: the strip's, so there is one piece of state."""
        parent = self.parent
        return parent.active if isinstance(parent, TabStrip) else ""

    def spans(self) -> list[tuple[str, int, int]]:
        """(pane id, first column, end column) of each title, within the content."""
        out, x = [], 0
        for pane_id, title in self.titles:
            out.append((pane_id, x, x + len(title)))
            x += len(title) + GAP
        return out

    def offset_of(self, pane_id: str) -> Offset:
        """A point on this pane's title, relative to the widget: where a test clicks."""
        for pid, start, _end in self.spans():
            if pid == pane_id:
                return Offset(self.styles.padding.left + start + 1, 0)
        raise ValueError(f"no tab {pane_id!r}")

    def render(self) -> Text:
        plain = self.get_component_rich_style("tab-titles--title")
        marked = self.get_component_rich_style("tab-titles--active")
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        for i, (pane_id, title) in enumerate(self.titles):
            if i:
                out.append(" " * GAP)
            out.append(title, marked if pane_id == self.active else plain)
        return out

    def on_click(self, event: events.Click) -> None:
        x = event.x - self.styles.padding.left
        for pane_id, start, end in self.spans():
            if start <= x < end:
                event.stop()
                parent = self.parent
                if isinstance(parent, TabStrip):
                    parent.active = pane_id
                return


class TabStrip(Vertical):
    """A TabbedContent of few widgets: compose StripPanes in it as TabPanes in a TabbedContent."""

    DEFAULT_CSS = """
    TabStrip {
        height: 1fr;
    }
    TabStrip > ContentSwitcher {
        height: 1fr;
    }
    """

    active: reactive[str] = reactive("", init=False)

    class TabActivated(Message):
        """A pane was shown (by a key, a click or `active`)."""

        def __init__(self, tab_strip: TabStrip, pane: StripPane) -> None:
            super().__init__()
            self.tab_strip = tab_strip
            self.pane = pane

        @property
        def control(self) -> TabStrip:
            return self.tab_strip

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._panes: list[StripPane] = []

    def compose_add_child(self, widget: Widget) -> None:
        if not isinstance(widget, StripPane):
            raise TypeError(f"a TabStrip holds StripPanes, not {type(widget).__name__}")
        self._panes.append(widget)

    def compose(self):
        titles = [(p.id or "", p.tab_title) for p in self._panes]
        first = titles[0][0] if titles else None
        self.set_reactive(TabStrip.active, first or "")
        yield TabTitles(titles)
        yield ContentSwitcher(*self._panes, initial=first)

    def get_pane(self, pane_id: str) -> StripPane:
        pane = self.query_one(ContentSwitcher).get_child_by_id(pane_id)
        assert isinstance(pane, StripPane)
        return pane

    def watch_active(self, active: str) -> None:
        if not self.is_mounted or not active:
            return
        self.query_one(TabTitles).refresh()
        self.query_one(ContentSwitcher).current = active
        self.post_message(self.TabActivated(self, self.get_pane(active)))
