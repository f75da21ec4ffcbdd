"""What every wizard step shares: the step bar, Back (Escape), Next (n) enabled only when
the step is valid, `/` to filter, and the footer. The keyboard model is in tui/keys.py."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events, getters, on, work
from textual.binding import Binding
from textual.screen import Screen

from tui import keys
from tui.safe import line
from tui.steps import STEPS
from tui.widgets.footer import WizardFooter
from tui.widgets.stepbar import StepBar
from tui.widgets.tab_strip import TabStrip
from wizard.errors import UserError

if TYPE_CHECKING:
    from tui.app import WizardApp


class StyledOnceScreen(Screen[None]):
    """A screen whose first push does not restyle it: Textual restyles every node of a screen
    each time it is pushed, and the first time each node was styled as it was mounted, a moment
    before (about a tenth of moving to a step, issue 19). Later pushes restyle as Textual does.

    Nor does it lay itself and the screens under it out a second time at the size they have:
    laying out a screen sends each widget whose size changed a Resize, the screen included, and
    Textual answers the screen's own by laying it out again with every screen under it (another
    tenth of moving to a step). A real resize of the terminal finds the screens at their old size."""

    _resumed_before = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual calls each class's handler, subclass first: this runs before Screen's own.
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False

    async def _on_resize(self, event: events.Resize) -> None:
        # Before Screen's own, as above; prevent_default keeps Screen's from running.
        app = self.app
        if (
            self.HORIZONTAL_BREAKPOINTS
            or self.VERTICAL_BREAKPOINTS
            or app.HORIZONTAL_BREAKPOINTS
            or app.VERTICAL_BREAKPOINTS
        ):
            return  # Textual sets the breakpoints' classes there (the wizard has none)
        if all(screen.outer_size == event.size for screen in app.screen_stack):
            event.prevent_default()


def _unless_closing(handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)  # Textual counts the handler's parameters through __wrapped__
    def guarded(self: Screen[Any], *args: Any) -> Any:
        if self.app.is_running:
            return handler(self, *args)
        return None

    return guarded


_SKIPPED_WHEN_CLOSING = ("on_mount", "on_screen_resume")


class KeyedScreen(StyledOnceScreen):
    """The keyboard model (tui/keys.py) for any screen: `/` filters, Escape clears a filter
    before it leaves, the visible tab's table holds the focus, an unavailable key says why.

    A screen's `on_mount` and `on_screen_resume` are skipped once the app has begun to close: a
    move to a step just before the consultant quits mounts a screen whose widgets the closing app
    has already removed, and their queries would end the wizard with a traceback (NoMatches)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _SKIPPED_WHEN_CLOSING:
            if name in cls.__dict__:
                setattr(cls, name, _unless_closing(cls.__dict__[name]))

    if TYPE_CHECKING:  # every screen runs in the wizard's app (textual's own idiom for typing `app`)
        app = getters.app(WizardApp)

    AUTO_FOCUS = ""  # the visible tab's table takes the focus (keys.main_widget), never a hidden one
    BINDINGS = [
        Binding("escape", "back", "Back", id="back", tooltip="Clears the filter first; else the previous step."),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            show=False,
            id="filter",
            tooltip="Type to keep only the rows that match; Escape clears it.",
        ),
    ]

    def why_not(self, action: str) -> str:
        """Why `action` cannot run now, in one sentence; "" when it can. Screens extend this;
        check_action and the toast for an unavailable key both read it."""
        if action == "filter" and keys.visible_paged(self) is None:
            return "There is no list to filter here."
        return ""

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return None if self.why_not(action) else True

    def on_key(self, event: events.Key) -> None:
        if keys.explain_unavailable(self, event.key):
            event.stop()
            event.prevent_default()

    def action_back(self) -> None:
        if (pt := keys.in_filter(self)) is not None:
            pt.clear_filter()  # empty or not, Escape leaves the filter box for the rows
            return
        pt = keys.visible_paged(self)
        if pt is not None and pt.clear_filter():
            return
        self.leave()

    def leave(self) -> None:
        """What Escape does once no filter is left to clear."""

    def action_filter(self) -> None:
        if (pt := keys.visible_paged(self)) is not None:
            pt.action_focus_filter()

    # -- focus: always on something visible ------------------------------------------------
    def focus_main(self) -> None:
        if (w := keys.main_widget(self)) is not None:
            w.focus()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabStrip).active = tab
        self.focus_main()
        self.refresh_bindings()

    @on(TabStrip.TabActivated)
    def _tab_activated(self) -> None:
        focused = self.focused
        if focused is None or not keys.visible(focused):
            self.focus_main()
        self.refresh_bindings()

    @_unless_closing
    def on_screen_resume(self) -> None:
        if self.focused is None or not keys.visible(self.focused):
            self.call_after_refresh(self.focus_main)
        self.refresh_bindings()
        refresh = getattr(self, "refresh_model", None)
        if refresh is not None:
            refresh()


class WizardScreen(KeyedScreen):
    STEP = ""
    HELP = ""
    BINDINGS = [
        Binding("n", "next", "Next", id="next", tooltip="The next step, once this one is done."),
    ]

    def compose(self):
        m = self.app.migration
        yield StepBar(self.STEP, m.plan.name if m is not None else "")
        yield from self.body()
        yield WizardFooter()

    def body(self):
        return iter(())

    # -- the plan ---------------------------------------------------------------------------
    @work(group="save-plan", exit_on_error=False)
    async def _save_plan(self, what: str) -> None:
        """Save the plan as edited on this screen, say so (or why not), then `plan_saved`."""
        try:
            await asyncio.to_thread(self.app.migration.save_plan)
        except UserError as e:
            self.notify(line(e.sentence), title="Not saved", severity="error", markup=False)
            return
        self.notify(line(f"Saved to plan.toml: {what}"), timeout=3, markup=False)
        self.plan_saved()

    def plan_saved(self) -> None:
        """What this screen does once its edit is in plan.toml."""

    # -- Next / Back ------------------------------------------------------------------------
    def can_next(self) -> bool:
        return True

    def next_blocked(self) -> str:
        """Why Next is closed, in one sentence."""
        return "Finish this step first."

    def why_not(self, action: str) -> str:
        if action == "next" and not self.can_next():
            return self.next_blocked()
        return super().why_not(action)

    def action_next(self) -> None:
        if not self.can_next():
            return
        i = STEPS.index(self.STEP)
        if i + 1 < len(STEPS):
            self.app.goto(STEPS[i + 1])

    def leave(self) -> None:
        self.app.go_back(self.STEP)
