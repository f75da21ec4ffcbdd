"""Small modal decisions: pick one of a few choices, or confirm with a preview."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.paged_table import Fetch, PagedTable


class ChoiceDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice-cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current

    def compose(self):
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(("● " if v == self.current else "  ") + label, id=v) for v, label in self.choices])
            yield Label("↑↓ choose · enter confirm · escape cancel", classes="hint")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ids = [v for v, _ in self.choices]
        ol.highlighted = ids.index(self.current) if self.current in ids else 0
        ol.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A question, an optional paged preview of what would happen, Confirm / Cancel."""

    AUTO_FOCUS = "#no"  # a destructive default is never one key away
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm-cancel"),
        Binding("y", "confirm", "Confirm", id="confirm-yes"),
    ]

    def __init__(self, title: str, summary: str, *, columns: Sequence[str] = (), fetch: Fetch | None = None,
                 confirm_label: str = "Confirm") -> None:
        super().__init__()
        self.title_text = title
        self.summary = summary
        self.columns = columns
        self.fetch = fetch
        self.confirm_label = confirm_label

    def compose(self):
        with Vertical(classes="dialog dialog-wide"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.summary, classes="dialog-summary")
            if self.fetch is not None:
                yield PagedTable(self.columns, self.fetch, page_size=50, noun="steps", id="preview")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.confirm_label} (y)", id="yes", variant="error", compact=True)
                yield Button("Cancel (esc)", id="no", compact=True)

    @on(Button.Pressed, "#yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(False)
