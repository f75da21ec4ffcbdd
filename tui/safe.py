"""Vendor and consultant text on screen: always a Rich `Text` (which Textual never parses
as markup), control characters made visible and known secrets redacted (wizard.textsafe).
Textual's own `escape` is not enough: a trailing backslash escapes the closing tag after it,
and `[$name]` is a variable."""

from __future__ import annotations

from rich.text import Text

from wizard.textsafe import visible


def text(*parts: object | tuple[object, str], limit: int | None = 2000, multiline: bool = False) -> Text:
    """Parts as one text: a plain part, or a (part, style) pair; one line unless `multiline`."""
    out = Text()
    for part in parts:
        value, style = part if isinstance(part, tuple) else (part, "")
        out.append(visible(value, limit=limit, multiline=multiline), style)
    return out


def cell(value: object) -> Text | str:
    """One DataTable cell. A str there is read as markup, so anything with a `[` becomes a
    Text; without one, the str (controls visible) cannot be taken for markup."""
    shown = visible("" if value is None else value, limit=2000)
    return Text(shown) if "[" in shown else shown


def cells(*values: object) -> list[Text | str]:
    return [cell(v) for v in values]


def line(value: object) -> str:
    """For a `notify(..., markup=False)` or a Log line: plain, one line, controls visible."""
    return visible(value, limit=2000)


def esc(value: object, limit: int | None = 2000) -> str:
    """For a Textual markup string: every `[` escaped (Textual's own `escape` leaves
    `[$name]` and brackets it does not take for tags), controls visible, and a trailing
    backslash kept from escaping the tag that follows it."""
    s = visible("" if value is None else value, limit=limit).replace("[", "\\[")
    return s + "\u200b" if s.endswith("\\") else s


def shown(value: Text | str) -> Text:
    """A Text (styles kept) or a str with its control characters made visible, for the
    places that assemble Text from vendor names themselves."""
    if not isinstance(value, Text):
        return Text(visible(value, multiline=True, limit=None))
    cuts = sorted({x for span in value.spans for x in (span.start, span.end)})
    out = Text(style=value.style, justify=value.justify, no_wrap=value.no_wrap, end=value.end)
    for piece in value.divide(cuts):
        part = Text(visible(piece.plain, multiline=True, limit=None))
        for span in piece.spans:
            part.stylize(span.style)
        out.append_text(part)
    return out
