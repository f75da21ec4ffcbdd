"""A chooser of one widget: it shows the chosen option and opens a ChoiceDialog to change it.

Textual's Select is five widgets (the control, its current-value box, a label and two arrows)
plus an overlay list of every option, styled and kept in step whether it opens or not: about a
sixth of moving to the mapping step (issue 19: < 0.1 s), for a list most consultants never open.
This one draws the chosen option and its arrow itself, in a Select's frame; Enter, Space, Down
or a click opens the options in the same dialog the mapping screen's other choices use."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.safe import text

ARROW = "▼"


class Picker(Widget, can_focus=True):
    DEFAULT_CSS = """
    Picker {
        border: tall $border-blurred;
        background: $surface;
        color: $foreground;
        width: 1fr;
        height: 3;
        padding: 0 2;
        pointer: pointer;
    }
    Picker:focus {
        border: tall $border;
        background-tint: $foreground 5%;
    }
    Picker > .picker--muted {
        color: $foreground 50%;
    }
    """
    COMPONENT_CLASSES = {"picker--muted"}
    BINDINGS = [Binding("enter,space,down", "open", "Choose", show=False)]

    value: reactive[str | None] = reactive(None, init=False)

    class Changed(Message):
        """Another option was chosen."""

        def __init__(self, picker: Picker, value: str) -> None:
            super().__init__()
            self.picker = picker
            self.value = value

        @property
        def control(self) -> Picker:
            return self.picker

    def __init__(
        self,
        options: Sequence[tuple[str, str]],
        value: str | None = None,
        *,
        title: str,
        prompt: str,
        id: str | None = None,
    ) -> None:
        """`options` are (value, label) pairs, as a ChoiceDialog takes them; `prompt` is shown
        when there is nothing to choose, `title` heads the dialog."""
        super().__init__(id=id)
        self.options = list(options)
        self.labels = dict(self.options)
        self.title = title
        self.prompt = prompt
        self.set_reactive(Picker.value, value if value in self.labels else None)

    def render(self) -> Text:
        muted = self.get_component_rich_style("picker--muted")
        width = self.content_size.width
        chosen = self.labels.get(self.value) if self.value is not None else None
        shown = text(chosen) if chosen is not None else Text(self.prompt, style=muted)
        shown.truncate(max(width - 2, 1), overflow="ellipsis")
        shown.pad_right(max(width - 1 - shown.cell_len, 1))
        shown.append(ARROW, muted)
        shown.no_wrap = True
        return shown

    def action_open(self) -> None:
        if not self.options:
            return
        from tui.screens.dialogs import ChoiceDialog  # noqa: PLC0415 - a screen; this module is a widget below it

        self.app.push_screen(ChoiceDialog(self.title, self.options, current=self.value), self._chosen)

    def _chosen(self, value: str | None) -> None:
        if value is not None and value in self.labels:
            self.value = value

    def watch_value(self, value: str | None) -> None:
        if value is not None:
            self.post_message(self.Changed(self, value))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.focus()
        self.action_open()
