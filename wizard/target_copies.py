"""Copies of the target's own items, kept in the folder (`target-backup/`) before a conflict's
overwrite or merge changes them: the target's whole answer and what rollback gives back.

The first copy of an item is the one kept: it is what the client had before this folder
wrote to it. So a run cut off after its overwrite was sent, but before the store recorded it,
still knows what to give back when the item is met again (by then it reads as ours)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from wizard.errors import UserError
from wizard.journal import now_iso
from wizard.target import TargetItem

FOLDER = "target-backup"


def _path(folder: Path, target_id: str) -> Path:
    return folder / FOLDER / f"{hashlib.sha256(target_id.encode()).hexdigest()[:32]}.json"


def kept(folder: Path, target_id: str) -> dict[str, Any] | None:
    """The kept copy of this item, or None."""
    path = _path(folder, target_id)
    return kept_file(path) if path.is_file() else None


def keep(folder: Path, key: str, existing: TargetItem) -> dict[str, Any]:
    """Keep a copy of `existing` before it is changed, unless one is kept already; returns
    the prior values to give back (the first copy's)."""
    first = kept(folder, existing.id)
    if first is not None:
        return dict(first.get("prior") or {})
    path = _path(folder, existing.id)
    copy = {
        "key": key,
        "target_id": existing.id,
        "name": existing.name,
        "updated_at": existing.updated_at,
        "kept_at": now_iso(),
        "prior": existing.prior,
        "raw": existing.raw,
    }
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(copy, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as e:
        raise UserError(
            f"Could not keep a copy of the target's item {existing.id} before changing it ({e.strerror}); "
            "nothing was written to it."
        ) from None
    return dict(existing.prior)


def all_kept(folder: Path) -> list[dict[str, Any]]:
    """Every kept copy (rollback gives each back)."""
    return [c for path in sorted((folder / FOLDER).glob("*.json")) if (c := kept_file(path)) is not None]


def kept_file(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"{path} is damaged; it is the copy of a target item kept before it was changed.") from None
    return data


def given_back(folder: Path, target_id: str) -> None:
    """The item holds the client's version again: its copy is done with (a later overwrite keeps a new one)."""
    _path(folder, target_id).unlink(missing_ok=True)
