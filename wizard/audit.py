"""`audit.log`: one line per command run on a migration folder, each line carrying the hash
of the one before, so an edited or deleted line shows. No secrets, no personal data."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from wizard.journal import now_iso

GENESIS = "0" * 64


def _last_hash(path: Path) -> str:
    if not path.exists():
        return GENESIS
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 4096))
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    try:
        return json.loads(lines[-1])["hash"] if lines else GENESIS
    except (ValueError, KeyError):
        return GENESIS


def audit(folder: Path, command: str, **details: object) -> None:
    path = Path(folder) / "audit.log"
    try:
        entry = {"ts": now_iso(), "command": command, "details": details, "prev": _last_hash(path)}
        entry["hash"] = hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest()
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        pass  # the audit trail must never be why a command fails


def check_chain(folder: Path) -> int | None:
    """The line number (1-based) where the chain breaks, or None if it is whole."""
    path = Path(folder) / "audit.log"
    prev = GENESIS
    if not path.exists():
        return None
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        entry = json.loads(line)
        h = entry.pop("hash")
        if entry["prev"] != prev or hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest() != h:
            return n
        prev = h
    return None
