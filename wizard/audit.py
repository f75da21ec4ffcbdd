"""`audit.log`: one line per command run on a migration folder. No secrets, no personal data.

Each line carries an HMAC-SHA256 of itself and of the line before it, keyed with the audit
key of the plan's credential profile, which lives in the OS keyring (or in
MW_<PROFILE>_AUDIT_KEY), never in the folder. So whoever can write the folder but does not
hold the key cannot edit, delete, reorder or append a line without it showing, and a line
cut short shows too. `migration-wizard audit verify DIR` checks the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from wizard.journal import now_iso
from wizard.secrets import audit_key

GENESIS = "0" * 64
LOG_NAME = "audit.log"


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, default=str).encode()


def _mac(key: bytes | None, entry: dict[str, Any]) -> str:
    body = _canonical({k: v for k, v in entry.items() if k != "hash"})
    return hmac.new(key, body, hashlib.sha256).hexdigest() if key else hashlib.sha256(body).hexdigest()


def folder_key(folder: Path) -> bytes | None:
    """The audit key of the profile the folder's plan names (its target's)."""
    try:
        plan = tomllib.loads((Path(folder) / "plan.toml").read_text("utf-8"))
        profile = str(plan.get("target", {}).get("profile", "sandbox"))
    except (OSError, ValueError, AttributeError):
        profile = "default"
    return audit_key(profile)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only

    def _lock(fd: int) -> None:
        pass  # no flock on Windows: appends there are not serialised
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)  # two commands appending at once keep one chain


def _last_hash(data: bytes) -> str:
    """The hash of the last whole line of the log's tail (a torn last line is skipped: the
    chain goes on from the line before it, and the torn one shows as cut short)."""
    for line in reversed(data.splitlines(keepends=True)):
        if not line.endswith(b"\n"):
            continue
        try:
            return str(json.loads(line)["hash"])
        except (ValueError, KeyError, TypeError):
            continue
    return GENESIS


def audit(folder: Path, command: str, **details: object) -> None:
    path = Path(folder) / LOG_NAME
    try:
        key = folder_key(folder)
        with open(path, "a+b") as f:
            _lock(f.fileno())
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 65536))
            tail = f.read()
            entry = {
                "ts": now_iso(),
                "command": command,
                "details": details,
                "prev": _last_hash(tail),
                "keyed": key is not None,
            }
            entry["hash"] = _mac(key, entry)
            data = _canonical(entry) + b"\n"
            if tail and not tail.endswith(b"\n"):
                data = b"\n" + data  # never glue a line to a torn one
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        pass  # the audit trail must never be why a command fails


def check_chain(folder: Path, key: bytes | None = None) -> tuple[int, str] | None:
    """(line number, what is wrong) where the chain first breaks, or None when it is whole
    and every line is signed with `key` (by default the folder's audit key)."""
    path = Path(folder) / LOG_NAME
    if not path.exists():
        return None
    key = folder_key(folder) if key is None else key
    prev = GENESIS
    data = path.read_bytes()
    for n, line in enumerate(data.splitlines(keepends=True), 1):
        if not line.endswith(b"\n"):
            return n, "is cut short"
        try:
            entry = json.loads(line)
            h = entry["hash"]
        except (ValueError, KeyError, TypeError):
            return n, "is damaged (not a whole audit line)"
        if entry.get("prev") != prev:
            return n, "does not follow the line before it (a line was removed, moved or inserted)"
        if key is None or not entry.get("keyed"):
            return n, "is not signed with the audit key"
        if not hmac.compare_digest(_mac(key, entry), str(h)):
            return n, "was changed or was not written by this tool (its signature does not match)"
        prev = h
    return None
