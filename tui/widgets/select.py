"""Textual's Select, quiet when the app closes under it.

A Select fills its option list when it mounts, and shows its value, by querying the parts it
composed. If the app closes at that moment (a consultant moving to the connect step and quitting
at once), the closing app has already removed them, the query raises NoMatches, and the wizard
ends with a traceback: 5 of 8 such quits did. The screens' own handlers have the same guard
(tui/screens/base.py, KeyedScreen); this is the one for the widget they cannot reach."""

from __future__ import annotations

from typing import Any

from textual.css.query import NoMatches
from textual.widgets import Select as TextualSelect


class Select(TextualSelect[Any]):
    def _setup_options_renderables(self) -> None:
        try:
            super()._setup_options_renderables()
        except NoMatches as e:
            self._unless_closing(e)

    def _watch_value(self, value: Any) -> None:  # shows the value in a box the closing app may have removed
        try:
            super()._watch_value(value)
        except NoMatches as e:
            self._unless_closing(e)

    def _unless_closing(self, e: NoMatches) -> None:
        if self.app.is_running:
            raise e  # not the race: a Select that lost its parts while the app runs is a bug
