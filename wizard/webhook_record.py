"""The webhooks this folder's listener registered at the vendor (`state/webhooks.json`): each
one's id, container and callback URL. A listener started at another address (a new port, a new
tunnel) removes those it registered for the old one, which point at an address nothing answers
any more, and forgets their secrets. Only what this folder registered is in it, so the client's
other webhooks are never touched.

Each folder also keeps a mark of its own (`state/listener-mark`, random), which the callback path
of its webhooks carries: a folder that lost its record knows its own webhooks at the vendor by
it, and never takes another folder's, listening on the same containers, for its own."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from wizard.plan import atomic_write_text

RECORD_FILE = "webhooks.json"
MARK_FILE = "listener-mark"
_MARK = re.compile(r"[0-9a-f]{16}")


class Recorded(BaseModel):
    id: str  # the vendor's id (monday.com: one per event, comma-joined)
    system: str
    container: str
    callback_url: str


_RECORDS = TypeAdapter(list[Recorded])


def _path(folder: Path) -> Path:
    return Path(folder) / "state" / RECORD_FILE


def recorded(folder: Path) -> list[Recorded]:
    """What this folder registered; nothing when no listener ever started here (or the file
    is unreadable: then the vendor's own listing is what an earlier start left)."""
    try:
        return _RECORDS.validate_json(_path(folder).read_bytes())
    except (OSError, ValidationError):
        return []


def folder_mark(folder: Path) -> str:
    """This folder's mark, made the first time a listener starts here and kept after."""
    path = Path(folder) / "state" / MARK_FILE
    try:
        mark = path.read_text("utf-8").strip()
    except OSError:
        mark = ""
    if not _MARK.fullmatch(mark):
        mark = secrets.token_hex(8)
        atomic_write_text(path, mark)
    return mark


def save(folder: Path, hooks: list[Recorded]) -> None:
    atomic_write_text(_path(folder), _RECORDS.dump_json(hooks, indent=1).decode())


def elsewhere(hook: Recorded, system: str, callback_base: str) -> bool:
    """Whether `hook` is this source's and calls another address than `callback_base` (the
    app-wide route) or one of its per-webhook routes."""
    url = hook.callback_url
    return hook.system == system and url != callback_base and not url.startswith(callback_base + "/")
