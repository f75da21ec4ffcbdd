"""One writer per migration folder: an OS file lock on `state/folder.lock`, held for the life
of the command (or of the writable store) that took it.

The lock is the kernel's (`flock`, or `msvcrt.locking` on Windows), so it is released when
its process ends however it ends (kill -9, a closed laptop) and two processes can never hold
it at once: there is no check-then-write window. The lock file is never deleted or replaced
(that is what would let two processes lock two different files). While held, it names its
holder (process id, command, since when) so a refused command can say who is working.

Within one process the lock is re-entrant: the CLI takes it for a command, and the store that
command opens takes it again without blocking itself.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wizard.errors import UserError

LOCK_NAME = "folder.lock"
WAIT_S = 2.0  # a writer retries this long: another command may be just finishing or probing

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, shared: bool) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int, shared: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@dataclass
class _Held:
    fd: int
    count: int


_held: dict[str, _Held] = {}
_guard = threading.Lock()


def _lock_path(folder: Path) -> Path:
    return Path(folder) / "state" / LOCK_NAME


def _key(folder: Path) -> str:
    return os.path.realpath(folder)


def _open_lock_file(folder: Path) -> int:
    path = _lock_path(folder)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise UserError(f"Cannot open the lock file {path} ({e.strerror}).") from None


def _describe(folder: Path) -> str:
    try:
        info = json.loads(_lock_path(folder).read_text("utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(float(info["since"])))
        return f"'{info['command']}' (process {int(info['pid'])}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another migration-wizard command"


def _busy(folder: Path) -> UserError:
    return UserError(
        f"{_describe(folder)} is working on {folder}; wait for it to finish (or stop it), then run this command again."
    )


@contextmanager
def folder_lock(folder: Path, command: str, *, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the folder's write lock for the body, or raise one sentence naming who holds it."""
    folder = Path(folder)
    acquire(folder, command, wait_s=wait_s)
    try:
        yield
    finally:
        release(folder)


def acquire(folder: Path, command: str, *, wait_s: float = WAIT_S) -> None:
    key = _key(folder)
    with _guard:
        held = _held.get(key)
        if held is not None:
            held.count += 1
            return
        fd = _open_lock_file(folder)
        deadline = time.monotonic() + wait_s
        while not _try_lock(fd, shared=False):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise _busy(folder)
            time.sleep(0.05)
        try:  # who holds it: written under the lock, so no one reads a half-written name for long
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}).encode(), 0)
        except OSError:
            pass  # the name is a courtesy; the lock itself is held
        _held[key] = _Held(fd, 1)


def release(folder: Path) -> None:
    key = _key(folder)
    with _guard:
        held = _held.get(key)
        if held is None:
            return
        held.count -= 1
        if held.count:
            return
        del _held[key]
        try:
            os.ftruncate(held.fd, 0)
            _unlock(held.fd)
        finally:
            os.close(held.fd)


def holds(folder: Path) -> bool:
    """Whether this process holds the folder's lock."""
    with _guard:
        return _key(folder) in _held


def holder(folder: Path) -> int | None:
    """The process id of another process holding the folder's lock, if any."""
    if holds(folder) or not _lock_path(folder).exists():
        return None
    try:
        fd = os.open(_lock_path(folder), os.O_RDONLY)
    except OSError:
        return None
    try:
        if _try_lock(fd, shared=True):
            _unlock(fd)
            return None
        try:
            return int(json.loads(os.pread(fd, 4096, 0))["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return -1  # held, by a process that has not written its name yet
    finally:
        os.close(fd)
