"""The vendor's answers as extracted: an httpx transport that passes every exchange through
and keeps each text answer (JSON, CSV, GraphQL) with its request line, for a backup's `raw/`
folder. File downloads are passed through unread (a backup stores their bytes apart)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx

from wizard.redact import redact

PER_FILE = 2_000  # answers per raw file
TEXT_TYPES = ("json", "text/", "csv", "graphql", "xml")


class RawRecorder(httpx.AsyncBaseTransport):
    """Wraps the transport a source's client sends through; every text answer is spooled to
    a temporary file as it arrives (a long extraction is never held in memory)."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=16))
        self.spool: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # closed in write()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        kind = response.headers.get("content-type", "")
        if not any(t in kind for t in TEXT_TYPES):
            return response
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        decoded = httpx.Response(response.status_code, headers=response.headers, content=body)
        await decoded.aread()
        target = request.url.raw_path.decode("ascii", "replace")
        entry = {
            "method": request.method,
            "path": redact(target),  # a vendor taking its key in the query (Trello) keeps it out of the archive
            "status": response.status_code,
            "body": redact(decoded.text),
        }
        self.spool.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(body),
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()

    def write(self, root: Path, put: Callable[[Path, str, bytes], None]) -> list[str]:
        """The spooled answers as files under `root/raw/`, through `put` (which hashes them)."""
        self.spool.seek(0)
        names: list[str] = []
        lines: list[str] = []

        def flush() -> None:
            rel = f"raw/r{len(names) + 1:06d}.jsonl"
            put(root, rel, "".join(lines).encode())
            names.append(rel)
            lines.clear()

        for line in self.spool:
            lines.append(line)
            if len(lines) >= PER_FILE:
                flush()
        if lines:
            flush()
        self.spool.close()
        return names
