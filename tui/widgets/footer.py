"""The footer every screen shows: the screen's keys, compact; the command palette's key only
where there is room for it.

Below `PALETTE_MIN_WIDTH` columns a screen with many keys (conflicts, mapping) ran into the
palette's key, docked on the right, and both were garbled ("^pp alette"). There the palette's
key is left out of the footer; ctrl+p still opens it, and the help screen (?) names it."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

PALETTE_MIN_WIDTH = 100


class WizardFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)

    def on_mount(self) -> None:
        # As wide as the app: decided now, its first resize recomposes it only if it changes.
        self.set_reactive(Footer.show_command_palette, self.app.size.width >= PALETTE_MIN_WIDTH)

    def on_resize(self, event: events.Resize) -> None:
        wide = event.size.width >= PALETTE_MIN_WIDTH
        if wide != self.show_command_palette:
            self.show_command_palette = wide
            self.refresh(recompose=True)
