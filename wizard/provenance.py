"""The provenance marker every object the engine creates carries, `[mw:<source key>]`, and the
text rules every target shares around it: our marker is the last thing written into a text,
after any source text, and source text is copied with its look-alikes broken, so the last
marker in a text is ours. Also the name rule of the presets: a blank name gets the
placeholder (else the target would make up its own), a long one is cut to the target's limit."""

from __future__ import annotations

import re

MARKER_RE = re.compile(r"\[mw:([a-z]+:[a-z_]+:[^\]\s]+)\]")
PLACEHOLDER_NAME = "Untitled"
_LOOK_ALIKE = re.compile(r"\[mw:")


def marker(key: str) -> str:
    return f"[mw:{key}]"


def read_marker(text: str | None) -> str | None:
    """The last marker in a text: ours (see the module's note)."""
    found = MARKER_RE.findall(text or "")
    return str(found[-1]) if found else None


def read_markers(text: str | None) -> list[str]:
    """Every marker in a text, in order (a digest holds one per comment, then its own)."""
    return [str(m) for m in MARKER_RE.findall(text or "")]


def neutralise(text: str) -> str:
    """Source text with anything that reads as our marker broken by an invisible word
    joiner (U+2060): it still reads the same, and can never be taken for a marker."""
    return _LOOK_ALIKE.sub("[mw\u2060:", text) if "[mw:" in text else text


def clip(text: str, limit: int) -> str:
    """Cut to `limit` characters, the last one an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def name_for(name: str, limit: int) -> str:
    """A name as the target gets it: the placeholder for an empty or blank one, cut to the limit."""
    return clip(name, limit) if name.strip() else PLACEHOLDER_NAME
