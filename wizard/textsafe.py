"""Text from a vendor or a consultant is data, wherever it is shown or written: never Rich
or Textual markup, never a terminal control sequence, never Markdown or a spreadsheet
formula. Every place that puts such text on a screen or into a report goes through here.

- `visible(text)`: any known secret redacted (wizard.redact), control characters (ESC, BEL,
  NUL, bidi overrides…) made visible as their Unicode control pictures or `<U+XXXX>`, so
  nothing reaches the terminal raw.
- `rich_text(text)` / `markup_safe(text)`: for Rich (a `Text`, or escaped markup).
- `md(text)`: for Markdown (inline text and table cells).
- `csv_cell(value)`: for CSV (no formula injection).
"""

from __future__ import annotations

import re

from rich.markup import escape as _rich_escape
from rich.text import Text

from wizard.redact import redact

# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text
# (bidi embeddings/overrides/isolates, zero-width joiners, the byte-order mark), and the Unicode
# line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_ONE_LINE_KEEP = ""
_MULTI_LINE_KEEP = "\n\t"


def _picture(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (␛ for ESC)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """`text` with every control character shown, never obeyed. One line unless
    `multiline` (then newlines and tabs stay); cut to `limit` characters with an ellipsis."""
    s = redact("" if text is None else str(text))
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)] + "…"
    keep = _MULTI_LINE_KEEP if multiline else _ONE_LINE_KEEP
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in keep else _picture(m.group(0)), s)


def markup_safe(text: object, *, limit: int | None = None) -> str:
    """For a Rich markup string: the text shown as it is, controls visible."""
    return _rich_escape(visible(text, limit=limit))


def rich_text(text: object, style: str = "", *, limit: int | None = None) -> Text:
    """A Rich `Text` (never parsed as markup, never highlighted) with controls visible."""
    return Text(visible(text, limit=limit), style=style)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def md(text: object, *, limit: int | None = None) -> str:
    """For Markdown: inline text or a table cell, on one line, every special character
    escaped (so `|` cannot end a cell, `<script>` is not HTML, `[x](y)` is not a link)."""
    s = visible(str(text if text is not None else "").replace("\r\n", " ").replace("\n", " "), limit=limit)
    return _MD_SPECIAL.sub(r"\\\1", s)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """For a CSV cell: controls visible (newlines kept, the csv module quotes them) and a
    leading = + - @ defused with an apostrophe, so a spreadsheet never runs it as a formula."""
    if value is None:
        return ""
    s = str(value)
    if s.startswith(_FORMULA_START):
        s = "'" + s
    return visible(s, multiline=True)
