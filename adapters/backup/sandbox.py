"""A web server holding a backup: at start it takes a backup of the Trello sandbox (seeded
like any sandbox) with the real backup writer, then serves the archive's files, with the
sandbox kit's faults and statistics and the manifest of the Trello sandbox it was taken from,
so the conformance suite holds a migration from a backup to what the vendor held."""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import threading
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.sandboxkit import Faults, Manifest, Sandbox, SandboxServer
from wizard import registry
from wizard.backup import read_manifest, write_backup
from wizard.backup_layout import FOLDER, MANIFEST
from wizard.plan import Endpoint, Limits

FROM = "trello"  # the vendor sandbox the archive is taken of


class BackupSandbox(Sandbox):
    name = "backup"

    def __init__(
        self,
        *,
        seed: int = 1,
        scale: str = "small",
        faults: Faults | float | None = None,
        window_scale: float = 1.0,
        **_: Any,
    ) -> None:
        self.window_scale = window_scale
        self.tmp = tempfile.TemporaryDirectory(prefix="mw-backup-sandbox-")
        self.root = Path(self.tmp.name) / FOLDER
        self.vendor_manifest = _take(self.root, seed, scale)
        self.corrupted: list[str] = []
        super().__init__(seed=seed, faults=faults)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/archive/{path:path}", self._file),
        ]

    def too_many_requests(self, request_scope: Scope) -> Response:
        wait = max(0.01, 1.0 * self.window_scale)
        return JSONResponse({"error": "too many requests"}, status_code=429, headers={"Retry-After": f"{wait:.3f}"})

    async def _file(self, request: Request) -> Response:
        rel = request.path_params["path"]
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(path, media_type="application/octet-stream")

    async def _corrupt(self, _: Request) -> Response:
        """One open item's record in the archive made unreadable (its name a number)."""
        with self.lock:
            manifest = read_manifest((self.root / MANIFEST).read_bytes(), "the sandbox's backup")
            open_items = [e.ref for e in self.vendor_manifest.entries if e.kind == "item" and not e.archived]
            for ref in random.Random(self.seed + 7).sample(open_items, len(open_items)):
                for c in manifest.containers:
                    for rel in c.chunks:
                        if _spoil(self.root / rel, ref):
                            self.corrupted.append(ref)
                            return JSONResponse({"ref": ref})
        return JSONResponse({"error": "no open item to corrupt"}, status_code=409)

    def manifest(self) -> Manifest:
        return self.vendor_manifest

    def export(self) -> dict[str, Any]:
        manifest = json.loads((self.root / MANIFEST).read_text())
        return {"taken_of": FROM, "counts": manifest["counts"], "corrupted": list(self.corrupted)}


def _spoil(path: Path, ref: str) -> bool:
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        record = json.loads(line)
        if record["t"] == "Item" and record["v"]["key"] == ref:
            record["v"]["name"] = 12345
            lines[n] = json.dumps(record)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return True
    return False


def _take(root: Path, seed: int, scale: str) -> Manifest:
    """A backup of the vendor's sandbox, taken through its real adapter over HTTP (in a thread
    of its own: a sandbox may be built inside a running event loop)."""
    spec = registry.source(FROM)
    assert spec.sandbox is not None
    vendor = spec.sandbox.factory(registry.SandboxOptions(seed=seed, scale=scale, rate_limits="off"))
    manifest: Manifest = vendor.manifest()
    failure: list[BaseException] = []

    async def take(url: str) -> None:
        endpoint = Endpoint(base_url=url + spec.sandbox.api_path, profile="sandbox")  # type: ignore[union-attr]
        src = spec.connect(registry.Connection(endpoint, dict(spec.sandbox.credentials), Limits()))  # type: ignore[union-attr]
        try:
            ids = [c.id for c in await src.containers()]
            await write_backup(src, root, system=FROM, label=spec.label, container_ids=ids, include_archived=False)
        finally:
            await src.aclose()

    def run() -> None:
        try:
            with SandboxServer(vendor) as server:
                asyncio.run(take(server.url))
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(e)

    thread = threading.Thread(target=run, name="backup-sandbox-take")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return manifest
