"""A copy of each target item is kept in the folder before a conflict's overwrite changes it,
so rollback gives back what the client had even when the run was cut off after the overwrite
was sent and before the store recorded it (by then the item reads as ours). The cut is made
by a transport that lets the sandbox handle the first overwrite and drops its answer; the
sandboxes are the real ones, served by `sandbox serve`, and the rest runs through the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Served
from tests.e2e.test_before_after import ok, trello, twin
from tests.e2e.test_two_folders import live
from wizard.migration import Migration
from wizard.target_copies import FOLDER

RENAMED = "Renamed for the second folder"


class CutAfterOverwrite(httpx.AsyncBaseTransport):
    """Forwards to the sandbox until the PUT that renames the process: that one is handled
    there, and from then on the target is unreachable (its answer and every later request
    fail), as if the run were killed the moment the overwrite was sent."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.cut = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut:
            raise httpx.ConnectError("the target is unreachable")
        resp = await self.inner.handle_async_request(request)
        overwrite = re.search(r"PUT .*/runs/[^/]+$", f"{request.method} {request.url.path}")
        if overwrite and RENAMED in request.content.decode():
            self.cut = True
            await resp.aread()
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return resp


async def run_cut_off(folder: Path, monkeypatch: pytest.MonkeyPatch) -> CutAfterOverwrite:
    drop = CutAfterOverwrite()
    plain = Migration.target

    def target(self: Migration, *, dry_run: bool = False, **kw: Any) -> Any:
        return plain(self, dry_run=dry_run, transport=drop, **kw)

    monkeypatch.setattr(Migration, "target", target)
    m = Migration.open(folder)
    try:
        await m.run()
    except Exception:  # noqa: BLE001 - the run stops on the lost answer, however it says so
        pass
    finally:
        m.close()
        monkeypatch.setattr(Migration, "target", plain)
    return drop


@pytest.mark.parametrize("rerun", [True, False], ids=["resumed-then-rolled-back", "rolled-back-at-once"])
async def test_rollback_gives_back_an_item_whose_overwrite_was_cut_off(
    small: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rerun: bool
) -> None:
    ok("run", str(small.folder), "--yes")
    before = live(small.export("tallyfy"))
    card = next(c for b in small.export("trello")["boards"] for c in b["cards"] if not c["closed"])
    assert trello(small, "PUT", f"cards/{card['id']}", name=RENAMED).status_code == 200
    other = twin(small, tmp_path, default="overwrite")

    drop = await run_cut_off(other, monkeypatch)
    assert drop.cut, "the overwrite was sent and the run cut off there"
    assert list((other / FOLDER).glob("*.json")), "a copy of the item was kept before it was changed"
    renamed = [r for r in small.export("tallyfy")["runs"] if r["name"] == RENAMED]
    assert renamed, "the overwrite reached the target"
    if rerun:
        ok("run", str(other), "--yes")
    ok("rollback", str(other), "--yes")
    assert live(small.export("tallyfy")) == before, "rollback gave back every item as the client had it"
    assert not list((other / FOLDER).glob("*.json")), "a copy given back is done with"
