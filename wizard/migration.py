"""One migration folder and everything done to it: the facade the CLI and the TUI share.

    m = Migration.open(folder, sink)
    inv = await m.discover(); est = m.estimate(); summary = await m.run(); ...
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.adapter import Container, Identity
from wizard.engine.discover import discover
from wizard.engine.estimate import Estimate, estimate
from wizard.engine.executor import RunExecutor, RunSummary
from wizard.engine.inventory import Inventory
from wizard.engine.item_index import ItemIndex, ItemIndexWriter
from wizard.errors import PlanError, UserError
from wizard.events import EventSink, NullSink
from wizard.model import Template
from wizard.plan import Plan, load_plan, save_plan
from wizard.runlock import RunLock, holder
from wizard.store import Store

DEFAULT_HOME = Path.home() / ".local" / "share" / "migration-wizard"
RECENT_FILE = "recent.json"


@dataclass
class ConnectResult:
    source: Identity | None
    target: Identity | None
    source_error: str | None = None
    target_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.source is not None and self.target is not None


class Migration:
    def __init__(self, folder: Path, plan: Plan, sink: EventSink | None = None) -> None:
        self.folder = Path(folder)
        self.plan = plan
        self.sink = sink or NullSink()
        self._store: Store | None = None

    # -- folders -------------------------------------------------------------------------
    @classmethod
    def open(cls, folder: Path, sink: EventSink | None = None) -> "Migration":
        folder = Path(folder)
        if not folder.exists():
            raise PlanError(f"{folder}: no such migration folder; create one with 'migration-wizard new {folder}'.")
        m = cls(folder, load_plan(folder / "plan.toml"), sink)
        remember(folder)
        return m

    @classmethod
    def create(cls, folder: Path, plan: Plan, sink: EventSink | None = None) -> "Migration":
        folder = Path(folder)
        if (folder / "plan.toml").exists():
            raise PlanError(f"{folder}/plan.toml already exists; open it instead, or choose another folder.")
        try:
            for sub in ("state", "logs", "reports"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"Cannot create {folder} ({e.strerror}).") from None
        save_plan(folder / "plan.toml", plan)
        remember(folder)
        return cls(folder, plan, sink)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.folder)
        return self._store

    def save_plan(self) -> None:
        save_plan(self.folder / "plan.toml", self.plan)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- adapters ------------------------------------------------------------------------
    def source(self, **kw: Any):
        from adapters.registry import make_source

        return make_source(self.plan, self.sink, **kw)

    def target(self, *, dry_run: bool = False, **kw: Any):
        from adapters.registry import make_target

        return make_target(self.plan, self.sink, dry_run=dry_run, **kw)

    # -- the flow ------------------------------------------------------------------------
    async def connect(self) -> ConnectResult:
        res = ConnectResult(None, None)
        try:
            src = self.source()
            try:
                res.source = await src.whoami()
            finally:
                await src.aclose()
        except UserError as e:
            res.source_error = e.sentence
        try:
            tgt = self.target()
            try:
                res.target = await tgt.whoami()
            finally:
                await tgt.aclose()
        except UserError as e:
            res.target_error = e.sentence
        return res

    async def containers(self) -> list[Container]:
        src = self.source()
        try:
            return await src.containers()
        finally:
            await src.aclose()

    async def discover(self, container_ids: list[str] | None = None) -> Inventory:
        src = self.source()
        index = ItemIndexWriter(self.folder)
        try:
            inv = await discover(self.plan, src, self.sink, container_ids, index)
        finally:
            await src.aclose()
            index.close()
        self.store.set_inventory(inv.model_dump(mode="json"))
        if self.store.state == "new":
            self.store.set_meta(state="discovered")
        self.store.snapshot()
        return inv

    def shapes(self) -> dict[str, Template]:
        """Each discovered container's Template (stages, fields, tags, people), by key:
        what the mapping screen shows, without asking the source again."""
        inv = self.store.inventory or {}
        return {c["key"]: Template.model_validate(c["template"]) for c in inv.get("containers", []) if c.get("template")}

    def item_index(self) -> ItemIndex:
        return ItemIndex(self.folder)

    def inventory(self) -> Inventory | None:
        data = self.store.inventory
        return Inventory.model_validate(data) if data else None

    async def ensure_inventory(self) -> Inventory:
        return self.inventory() or await self.discover()

    async def estimate(self) -> Estimate:
        return estimate(self.plan, await self.ensure_inventory())

    async def run(self, *, dry_run: bool = False, stop: asyncio.Event | None = None,
                  pause: asyncio.Event | None = None) -> tuple[RunSummary, list]:
        """Run the plan (or, dry, record what it would do). Returns the summary and, for a
        dry run, the exact ordered action list."""
        if dry_run:
            return await self._dry_run()
        with RunLock(self.folder):
            src, tgt = self.source(), self.target()
            try:
                ex = RunExecutor(self.plan, self.store, src, tgt, self.sink, stop=stop, pause=pause)
                summary = await ex.run()
            finally:
                await src.aclose()
                await tgt.aclose()
                self.store.snapshot()
        return summary, []

    async def sync(self, *, stop: asyncio.Event | None = None, pause: asyncio.Event | None = None) -> RunSummary:
        """Bring over only what changed since the last run or sync, through the conflict rules."""
        if not self.store.mappings:
            raise UserError("Nothing was migrated yet, so there is nothing to sync; run the plan first.")
        with RunLock(self.folder):
            src, tgt = self.source(), self.target()
            try:
                summary = await RunExecutor(self.plan, self.store, src, tgt, self.sink, stop=stop, pause=pause,
                                            sync=True).run()
            finally:
                await src.aclose()
                await tgt.aclose()
                self.store.snapshot()
        return summary

    async def _dry_run(self) -> tuple[RunSummary, list]:
        """Against a copy of the store, with a target that records instead of writing."""
        import shutil
        import tempfile

        self.store.snapshot()
        with tempfile.TemporaryDirectory(prefix="mw-dry-") as tmp:
            shutil.copytree(self.folder / "state", Path(tmp) / "state")
            store = Store(Path(tmp))
            src, tgt = self.source(), self.target(dry_run=True)
            try:
                summary = await RunExecutor(self.plan, store, src, tgt, self.sink).run()
            finally:
                await src.aclose()
                await tgt.aclose()
                store.close()
        return summary, tgt.actions

    def set_state(self, state: str) -> None:
        self.store.set_meta(state=state)
        self.store.snapshot()


# -- recent migrations (the start screen lists them) -------------------------------------
def _home() -> Path:
    import os

    return Path(os.environ.get("MIGRATION_WIZARD_HOME", DEFAULT_HOME))


def remember(folder: Path) -> None:
    home = _home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        path = home / RECENT_FILE
        recent = json.loads(path.read_text()) if path.exists() else []
        entry = str(Path(folder).resolve())
        recent = [entry] + [r for r in recent if r != entry]
        path.write_text(json.dumps(recent[:50]))
    except (OSError, ValueError):
        pass  # the list of recent folders is a convenience; never fail a command for it


@dataclass
class SessionInfo:
    folder: Path
    name: str
    state: str
    last_activity: float
    source: str
    target: str


def known_sessions() -> list[SessionInfo]:
    """Migrations found on this machine: recent folders and those under the data folder."""
    home = _home()
    seen: list[Path] = []
    try:
        recent = json.loads((home / RECENT_FILE).read_text()) if (home / RECENT_FILE).exists() else []
    except (OSError, ValueError):
        recent = []
    for r in recent:
        seen.append(Path(r))
    if (home / "migrations").is_dir():
        seen.extend(p for p in sorted((home / "migrations").iterdir()) if p.is_dir())
    out: list[SessionInfo] = []
    for folder in dict.fromkeys(seen):
        plan_path = folder / "plan.toml"
        if not plan_path.exists():
            continue
        try:
            plan = load_plan(plan_path)
        except UserError:
            continue
        state, last = read_state(folder)
        out.append(SessionInfo(folder, plan.name, state, last or plan_path.stat().st_mtime,
                               plan.source.system, plan.target.system))
    out.sort(key=lambda s: s.last_activity, reverse=True)
    return out


def read_state(folder: Path) -> tuple[str, float | None]:
    """The state of a folder without opening its store for writing: a run that was still
    'running' with no live process is shown as 'interrupted'."""
    snap = folder / "state" / "store.json"
    journal = folder / "state" / "journal.jsonl"
    state, last = "new", None
    try:
        meta = json.loads(snap.read_text()).get("meta", {}) if snap.exists() else {}
        for doc in meta.values():
            state = doc.get("state", state)
    except (OSError, ValueError):
        pass
    if journal.exists():
        last = journal.stat().st_mtime
        # The last meta line in the journal may be newer than the snapshot.
        try:
            with open(journal, "rb") as f:
                f.seek(max(0, journal.stat().st_size - 65536))
                for line in f.read().splitlines():
                    if b'"op":"meta"' in line and b'"state"' in line:
                        m = re.search(rb'"state":"([a-z ]+)"', line)
                        if m:
                            state = m.group(1).decode()
        except OSError:
            pass
    if state == "running" and holder(folder) is None:
        state = "interrupted"  # no live process holds the run lock: it was cut off
    return state, last
