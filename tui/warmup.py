"""What the first move to each step would do once per app, done instead a moment after the
first frame, while the consultant reads it (issue 19: moving to a step < 0.1 s): import the
screens' modules and build the validator of the inventory they read (in a thread), then parse
the default CSS of every widget class those modules brought (on the app's own loop: the
stylesheet is the app's). Textual parses a widget class's default CSS when the first widget of
that class is mounted, and rebuilds its rule map each time; here it is parsed once, ahead."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator

from textual.css.stylesheet import Stylesheet
from textual.widget import Widget

from wizard.engine.inventory import Inventory


def import_screens(modules: Iterable[str]) -> None:
    for module in modules:
        importlib.import_module(module)
    Inventory.model_rebuild()  # the mapping screen, the estimate and the run read it; built on first use otherwise


def _widget_classes() -> Iterator[type[Widget]]:
    """Every widget class loaded from Textual or from this package."""
    stack = [Widget]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(("textual.", "tui.")):
            yield cls


def parse_default_css(stylesheet: Stylesheet) -> None:
    for cls in _widget_classes():
        # What Textual adds when the first widget of the class is mounted (Widget._post_register);
        # the CSS is the class's, read through a bare instance: no widget is made.
        for location, css, tie_breaker, scope in cls.__new__(cls)._get_default_css():
            stylesheet.add_source(css, read_from=location, is_default_css=True, tie_breaker=tie_breaker, scope=scope)
    stylesheet.rules_map  # noqa: B018 - parses the new sources and builds the rule map now, not on the next mount
