"""The keyboard model every screen keeps (it is also written in the help screen, `?`):

- `/` filters the list on screen, wherever there is a table;
- Escape clears a filter before it leaves a step;
- switching tabs (1 2 3 4, or a click) puts the focus on that tab's table;
- typing in a filter types: no screen key fires (an Input keeps printable keys);
- a key that cannot run now says why, in a toast, instead of doing nothing.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, OptionList

from tui.widgets.paged_table import PagedTable
from tui.widgets.tab_strip import TabStrip

MODEL = (
    ("/", "filter the list on screen; every table has one"),
    ("enter", "in a filter: back to the rows"),
    ("esc", "clears the filter first; with no filter, goes back one step"),
    ("1 2 3 4", "switch tabs; the tab's table takes the focus"),
    ("[ ]", "previous / next page of a long list"),
    ("n", "next step, once this one is done"),
    ("", "Typing in a field never fires a key of the screen. A key that cannot run now says why."),
)

FOCUSABLE = (DataTable, OptionList, VerticalScroll)  # OptionList: a SelectionList is one


def action_name(action: str) -> str:
    """ "decide('skip')" -> "decide"."""
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


def visible(widget) -> bool:
    """On screen now: displayed itself and in no hidden tab or container."""
    node = widget
    while node is not None and getattr(node, "is_mounted", False):
        if not node.display or not node.visible:
            return False
        node = node.parent
    return True


def active_pane(screen):
    """The pane shown by the screen's first TabStrip, or None."""
    tabs = screen.query(TabStrip)
    if not tabs:
        return None
    tc = tabs.first()
    return tc.get_pane(tc.active) if tc.active else None


def main_widget(screen):
    """What should hold the focus: the visible tab's table (else its first focusable
    widget), or the screen's first table when it has no tabs."""
    pane = active_pane(screen)
    scope = pane if pane is not None else screen
    for kind in (DataTable, OptionList):
        for w in scope.query(kind):
            if w.focusable and visible(w):
                return w
    for w in scope.query("*"):
        if isinstance(w, FOCUSABLE) and w.focusable and visible(w):
            return w
    return None


def visible_paged(screen) -> PagedTable | None:
    """The filterable table on screen: the one holding the focus, else the first visible one."""
    focused = screen.focused
    node = focused
    while node is not None:
        if isinstance(node, PagedTable):
            return node
        node = node.parent
    for pt in screen.query(PagedTable):
        if visible(pt):
            return pt
    return None


def in_filter(screen) -> PagedTable | None:
    f = screen.focused
    if isinstance(f, Input) and f.has_class("paged-filter"):
        return visible_paged(screen)
    return None


def explain_unavailable(screen, key: str) -> bool:
    """A key bound on this screen but not available now: say why in a toast. True if it did."""
    chain = screen.active_bindings
    found = chain.get(key)
    if found is None or found.enabled:
        return False
    why_not = getattr(found.node, "why_not", None)
    why = why_not(action_name(found.binding.action)) if why_not is not None else ""
    shown = screen.app.get_key_display(found.binding)
    screen.notify(
        why or "Not available now.",
        title=f"{shown}: {found.binding.description}",
        severity="warning",
        timeout=4,
        markup=False,
    )
    return True
