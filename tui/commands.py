"""The command palette lists what the current screen can do: its bindings, by name."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widget import Widget


def screen_actions(
    screen: Screen[Any], *, include_disabled: bool = False
) -> Iterator[tuple[str, str, str, str, Widget | App[Any]]]:
    """(title, help, key, action, node) for each enabled, described binding of the screen, of
    the wizard's own widgets that hold the focus, and of the app (not Textual's built-ins)."""
    seen: set[str] = set()
    nodes: list[Widget | App[Any]] = [screen, *screen.query("*")] if screen.is_mounted else [screen]
    for node in [*nodes, screen.app]:
        for b in _own_bindings(node):
            if not isinstance(b, Binding) or not b.description or b.action in seen:
                continue
            if (
                node is not screen.app
                and node is not screen
                and (not _focused_within(node, screen) or not type(node).__module__.startswith("tui."))
            ):
                continue
            seen.add(b.action)
            try:
                ok = node.check_action(b.action, ())
            except Exception:  # noqa: BLE001 - a screen's check may query widgets not mounted yet: list the action
                ok = True
            if ok or include_disabled:
                yield b.description, b.tooltip or "", screen.app.get_key_display(b), b.action, node


def _own_bindings(node) -> list:
    """BINDINGS declared by the wizard's classes (subclasses first), not Textual's built-ins."""
    out: list = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("tui."):
            out.extend(cls.__dict__.get("BINDINGS", []))
    return out


def _focused_within(node, screen) -> bool:
    focused = screen.focused
    while focused is not None:
        if focused is node:
            return True
        focused = focused.parent
    return False


class ScreenCommands(Provider):
    """Every action of the screen the palette was opened on."""

    def _commands(self):
        screen = self.screen
        for title, help, key, action, node in screen_actions(screen):
            yield f"{title} ({key})", help, partial(node.run_action, action)

    async def discover(self) -> Hits:
        for title, help, cb in self._commands():
            yield DiscoveryHit(title, cb, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help, cb in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), cb, help=help)
