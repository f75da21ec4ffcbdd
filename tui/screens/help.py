"""`?`: the keys of the screen below and what it is for."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import keys
from tui.commands import screen_actions


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help-close")]

    def __init__(self, under) -> None:
        super().__init__()
        self.under = under

    def compose(self):
        def key_line(key: str, text: str) -> Text:
            return Text.assemble("  ", (f"{key:<8}", "bold"), " ", text)

        title = getattr(self.under, "TITLE", None) or type(self.under).__name__.replace("Screen", "")
        lines: list[Text] = [Text(title, style="bold"), Text("")]
        text = getattr(self.under, "HELP", "") or (type(self.under).__doc__ or "").strip()
        if text:
            lines += [Text(" ".join(text.split())), Text("")]
        lines.append(Text("Keys", style="bold"))
        for title, help, key, action, node in screen_actions(self.under, include_disabled=True):
            try:
                now = node.check_action(action, ())
            except Exception:  # noqa: BLE001 - as in tui.commands.screen_actions
                now = True
            if now is False:  # hidden, not merely unavailable now: a key this screen has no use for here
                continue
            lines.append(
                key_line(
                    key,
                    title
                    + (f" — {help}" if help else "")
                    + ("" if now else f" (not now: {self._why_not(node, action)})"),
                )
            )
        lines += [
            Text(""),
            key_line("^p", "Command palette: every action above, by name"),
            Text(""),
            Text("Keys on every screen", style="bold"),
        ]
        lines += [key_line(key, what) if key else Text(what) for key, what in keys.MODEL]
        lines += [Text(""), Text("Mouse works too: click buttons, rows and tabs. Escape closes this help.")]
        with VerticalScroll(id="help-box"):
            yield Static(Text("\n").join(lines), id="help-text")

    @staticmethod
    def _why_not(node, action: str) -> str:
        why_not = getattr(node, "why_not", None)
        return (why_not(keys.action_name(action)) if why_not is not None else "") or "not available"

    def action_close(self) -> None:
        self.dismiss(None)
