"""A digest: an item's comment history as one text (or as few as the target's length limit
forces), each entry with its author, its date and its comment's marker, oldest first, and
the digest's own marker last. Every target renders the same plain text (monday.com wraps
its lines in paragraphs), so verify and a resume read it the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence

from wizard.model import Comment
from wizard.provenance import marker, neutralise

DIGEST_SUFFIX = "#digest"  # + the part's number: the key (and marker) of one digest comment
HISTORY_SUFFIX = "#history"  # the item's comment history in a field (the field strategy)
_FOOT_ROOM = 200  # the heading and the closing marker, whatever the keys' length


def part_key(item_key: str, n: int) -> str:
    return f"{item_key}{DIGEST_SUFFIX}{n}"


def entry(c: Comment) -> str:
    """One comment as a digest entry: who, when, its marker, then its text."""
    when = c.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"— {neutralise(c.author_name)}, {when} {marker(c.key)}\n{neutralise(c.text)}"


def parts(comments: Sequence[Comment], limit: int) -> list[list[str]]:
    """The entries of these comments (oldest first), packed into as few texts of at most
    `limit` characters as they fit in. An entry longer than a whole text is cut into pieces;
    only its first piece carries its marker, so each comment is counted once."""
    room = max(limit - _FOOT_ROOM, 100)
    out: list[list[str]] = [[]]
    used = 0
    for c in sorted(comments, key=lambda c: c.created_at):
        pieces = _cut(entry(c), room)
        for piece in pieces:
            if out[-1] and used + len(piece) + 2 > room:
                out.append([])
                used = 0
            out[-1].append(piece)
            used += len(piece) + 2
    return out if out[0] else []


def _cut(text: str, room: int) -> list[str]:
    if len(text) <= room:
        return [text]
    return [text[:room]] + [f"(continued) {text[i : i + room - 12]}" for i in range(room, len(text), room - 12)]


def text(key: str, entries: list[str], n: int, total: int, count: int, source_label: str) -> str:
    """One digest comment: a heading, its entries, and its own marker last."""
    of = f", part {n + 1} of {total}" if total > 1 else ""
    head = f"Comment history from {source_label} ({count} comment{'s' if count != 1 else ''}{of})"
    return "\n\n".join([head, *entries, marker(key)])


def calls(comment_counts: dict[int, int], strategy: str, recent: int, long_parts: int = 0) -> int:
    """The comment calls a strategy makes, from how many items have how many comments
    (`comment_counts`: comments on an item -> items) and how many extra parts the longest
    histories need (`long_parts`)."""
    if strategy == "each":
        return sum(n * items for n, items in comment_counts.items())
    if strategy == "digest":
        return sum(items for n, items in comment_counts.items() if n) + long_parts
    if strategy == "recent":
        return sum((min(n, recent) + (1 if n > recent else 0)) * items for n, items in comment_counts.items())
    return 0  # field: no comment call (one field write per item with comments, counted with the items)
