"""Small modal decisions: pick one of a few choices, or confirm with a preview."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui import keys
from tui.safe import text
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
            yield Label(text(self.title_text), classes="dialog-title")
            yield OptionList(
                *[Option(text(("● " if v == self.current else "  ") + label), id=v) for v, label in self.choices]
            )
            yield Label("↑↓ choose · enter confirm · esc cancel", classes="hint")

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


class ConfirmDialog(ModalScreen[bool | str]):
    """A question, an optional paged preview of what would happen, Confirm / Cancel, and
    optionally a second, stronger choice on f (`alternative`: its result and its label), which
    dismisses with that result string instead of True. Cancel is focused: nothing destructive
    is ever one Enter away."""

    AUTO_FOCUS = "#no"  # a destructive default is never one key away
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm-cancel"),
        Binding("y", "confirm", "Confirm", id="confirm-yes"),
        Binding("f", "alternative", "The stronger choice", id="confirm-alternative", show=False),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            show=False,
            id="confirm-filter",
            tooltip="Filter the preview; Escape clears it.",
        ),
    ]

    def __init__(
        self,
        title: str,
        summary: str,
        *,
        columns: Sequence[str] = (),
        fetch: Fetch | None = None,
        confirm_label: str = "Confirm",
        alternative: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.summary = summary
        self.columns = columns
        self.fetch = fetch
        self.confirm_label = confirm_label
        self.alternative = alternative

    def compose(self):
        with Vertical(classes="dialog dialog-wide"):
            yield Label(text(self.title_text), classes="dialog-title")
            yield Static(text(self.summary, multiline=True), classes="dialog-summary")
            if self.fetch is not None:
                yield PagedTable(self.columns, self.fetch, page_size=50, noun="steps", id="preview")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.confirm_label} (y)", id="yes", variant="error", compact=True)
                if self.alternative is not None:
                    label = self.alternative[1]  # "Remove … (force)" reads "Remove … (force, f)"
                    label = f"{label[:-1]}, f)" if label.endswith(")") else f"{label} (f)"
                    yield Button(label, id="alt", variant="warning", compact=True)
                yield Button("Cancel (esc)", id="no", compact=True)

    @on(Button.Pressed, "#yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "alternative":
            return self.alternative is not None
        if action == "filter":
            return self.fetch is not None
        return True

    def action_filter(self) -> None:
        if (pt := keys.visible_paged(self)) is not None:
            pt.action_focus_filter()

    @on(Button.Pressed, "#alt")
    def action_alternative(self) -> None:
        if self.alternative is not None:
            self.dismiss(self.alternative[0])

    def action_cancel(self) -> None:
        """Escape clears the preview's filter first (the keyboard model), then cancels."""
        filtering = keys.in_filter(self)
        pt = filtering or keys.visible_paged(self)
        if pt is not None and (filtering is not None or pt.filter_text):
            pt.clear_filter()
            return
        self.dismiss(False)

    @on(Button.Pressed, "#no")
    def _cancel_pressed(self) -> None:
        self.dismiss(False)
