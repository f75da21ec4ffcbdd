"""Redaction at the boundary: a vendor may echo a credential back (a 401 body repeating the
key, a 422 quoting the Authorization header). Every secret loaded in this process is known
here, and `redact()` replaces each of them in any vendor text before that text is logged,
shown, journalled or reported.

`wizard.secrets.load_credentials` registers what it hands out; adapters register the
headers they build (`register_header`), so the exact strings they send are covered too.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_LEN = 6  # shorter values ("me", "1") are not secrets and would redact ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register(*values: str | None) -> None:
    """Remember secrets (and the ways a vendor may spell them back) for `redact()`."""
    global _pattern  # noqa: PLW0603 - one pattern per process, swapped whole under the lock for lock-free reads
    with _lock:
        before = len(_secrets)
        for v in values:
            if v and len(v) >= MIN_LEN:
                _secrets.update({v, quote(v, safe=""), quote_plus(v)})
        if len(_secrets) != before:
            ordered = sorted(_secrets, key=len, reverse=True)  # the longest first: a token inside a header
            _pattern = re.compile("|".join(map(re.escape, ordered)))


def register_header(value: str | None) -> None:
    """An authorization header as sent, and each quoted value in it."""
    if not value:
        return
    register(value, *re.findall(r'"([^"]+)"', value), *value.split()[1:])


def redact(text: str) -> str:
    """`text` with every registered secret replaced by [redacted]."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def redact_any(value: object) -> object:
    """`redact` through strings nested in dicts and lists (journal entries, report data)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_any(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_any(v) for v in value]
    return value


def forget_all() -> None:
    """For tests: start again with nothing registered."""
    global _pattern  # noqa: PLW0603 - as in register()
    with _lock:
        _secrets.clear()
        _pattern = None
