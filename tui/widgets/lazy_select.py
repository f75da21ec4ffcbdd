"""A Select whose list of options, hidden until it opens, is made when it first opens.

Textual's Select mounts its overlay (an OptionList holding every option) with the control, though
it stays hidden until Enter, a click or an arrow opens it: a tenth of moving to the mapping step
(issue 19), for a list most consultants never open. This one looks and behaves the same; the
overlay is mounted, filled and highlighted on the first opening."""

from __future__ import annotations

from typing import Any

from textual.css.query import NoMatches
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay


class LazySelect(Select[Any]):
    _overlay_mounted = False

    def compose(self):
        yield SelectCurrent(self.prompt)

    async def _mount_overlay(self) -> None:
        if self._overlay_mounted:
            return
        self._overlay_mounted = True
        overlay = SelectOverlay(type_to_search=self._type_to_search)
        await self.mount(overlay)
        overlay.compact = self.compact  # what Select's compose binds (a binding needs a compose to make it in)
        self._setup_options_renderables()

    def _setup_options_renderables(self) -> None:
        if self._overlay_mounted:
            super()._setup_options_renderables()

    def _watch_value(self, value: Any) -> None:
        if self._overlay_mounted:
            super()._watch_value(value)
            return
        # Select's own, less the overlay's highlight: opening the overlay highlights the value.
        self._value = value
        try:
            current = self.query_one(SelectCurrent)
        except NoMatches:
            return
        if value == self.NULL:
            current.update(self.NULL)
        else:
            current.update(next(prompt for prompt, option in self._options if option == value))
        self.post_message(self.Changed(self, value))

    # Textual awaits a watcher or an action that is a coroutine; Select's own are plain functions.
    async def _watch_expanded(self, expanded: bool) -> None:  # type: ignore[override]
        if expanded:
            await self._mount_overlay()
        super()._watch_expanded(expanded)

    async def action_show_overlay(self) -> None:  # type: ignore[override]
        await self._mount_overlay()
        super().action_show_overlay()

    def _watch_prompt(self, prompt: str) -> None:
        if self._overlay_mounted:
            super()._watch_prompt(prompt)
        elif self.is_mounted:
            self.query_one(SelectCurrent).placeholder = prompt
            if self._allow_blank and self.value == self.NULL:
                self.query_one(SelectCurrent).update(self.NULL)
