"""A backup folder on this machine served to the HTTP layer as if from a web server (an httpx
transport, no socket): a local archive and one on a server are read by one client, with the
same retries, limits and call counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

BLOCK = 256 * 1024


class LocalFiles(httpx.AsyncBaseTransport):
    """GET <path> answers the file at `root/<path>`, streamed (404 when there is none, or when
    the path would leave the folder). A Range is not honoured: the client skips what it has."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        rel = request.url.path.lstrip("/")
        path = (self.root / rel).resolve()
        if request.method != "GET" or not path.is_relative_to(self.root) or not path.is_file():
            return httpx.Response(404, json={"error": f"the backup holds no {rel}"}, request=request)
        headers = {"content-type": "application/octet-stream", "content-length": str(path.stat().st_size)}
        return httpx.Response(200, content=_blocks(path), request=request, headers=headers)


async def _blocks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as f:
        while block := await asyncio.to_thread(f.read, BLOCK):
            yield block
