"""One run at a time per migration folder: `state/run.lock` holds the running process id.
A lock whose process is gone (kill -9, a closed laptop that rebooted) is stale and taken over."""

from __future__ import annotations

import os
from pathlib import Path

from wizard.errors import UserError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder(folder: Path) -> int | None:
    """The pid of a live run in this folder, if any."""
    try:
        pid = int((Path(folder) / "state" / "run.lock").read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid and pid != os.getpid() and _alive(pid) else None


class RunLock:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "state" / "run.lock"

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pid = holder(self.path.parent.parent)
        if pid:
            raise UserError(f"Another run (process {pid}) is working on this folder; wait for it or stop it first.")
        tmp = self.path.with_name(f"run.lock.{os.getpid()}")
        tmp.write_text(str(os.getpid()))
        os.replace(tmp, self.path)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()
        except OSError:
            pass
