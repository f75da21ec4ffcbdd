"""A sandbox file's bytes, never stored: regenerated from (seed, file id) in 64 KiB blocks of a
SHAKE-256 stream, from any offset (so a Range request resumes), and hashed the same way. No web
server here, so a sandbox's state module imports it without the [sandbox] extra."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

BLOCK = 64 * 1024


def file_chunks(seed: int, file_id: str, size: int, start: int = 0) -> Iterator[bytes]:
    """The file's bytes from `start`, block by block: never all in memory."""
    block = start // BLOCK
    skip = start - block * BLOCK
    pos = block * BLOCK
    while pos < size:
        piece = hashlib.shake_256(f"{seed}:{file_id}:{block}".encode()).digest(BLOCK)[: size - pos]
        yield piece[skip:]
        pos += len(piece)
        block += 1
        skip = 0


def file_sha256(seed: int, file_id: str, size: int) -> str:
    h = hashlib.sha256()
    for chunk in file_chunks(seed, file_id, size):
        h.update(chunk)
    return h.hexdigest()
