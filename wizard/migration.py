"""One migration folder and everything done to it: the facade the CLI and the TUI share.

m = Migration.open(folder, sink)
inv = await m.discover(); est = m.estimate(); summary = await m.run(); ...
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_path

from wizard import registry
from wizard.adapter import Container, Identity, SourceAdapter
from wizard.audit import audit
from wizard.backup_layout import FOLDER as BACKUP_FOLDER
from wizard.engine.decisions import Rule, export_csv, import_decisions, record, select, undo, who
from wizard.engine.inventory import Inventory
from wizard.engine.item_index import ItemIndex, ItemIndexWriter
from wizard.engine.scope import left_out
from wizard.errors import PlanError, UserError
from wizard.events import EventSink, FanOut, NullSink
from wizard.folderlock import folder_lock, holder
from wizard.limits import apply, assumed, remembered
from wizard.model import Template
from wizard.plan import Endpoint, Plan, load_plan, save_plan
from wizard.ratelimit import RateLimiter
from wizard.registry import AdapterSpec, Connection
from wizard.schedule import Schedule, read_schedule
from wizard.secrets import keyring_ready, load_credentials
from wizard.sinks import JsonLogSink
from wizard.store import Store
from wizard.target import Action, TargetUser
from wizard.words import nouns

if TYPE_CHECKING:
    from wizard.backup import BackupSummary
    from wizard.engine.estimate import Estimate
    from wizard.engine.executor import RunExecutor, RunSummary
    from wizard.engine.preflight import ScanResult
    from wizard.engine.rollback import RollbackStep
    from wizard.engine.verify import VerifyResult

# What a command does (discover, estimate, run, scan, verify, report, back up, roll back) is
# imported by the method that does it: opening a migration (the TUI's first frame, `status`)
# loads only the plan, the store and the inventory (issue 19: the mapping screen < 1 s cold).

RECENT_FILE = "recent.json"
SUBFOLDERS = ("state", "logs", "reports")


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
    """Every step of a migration and the guards between them. Each step writes its line to
    `audit.log` and its events to `logs/run.jsonl`, whoever calls it (the CLI or the TUI)."""

    def __init__(self, folder: Path, plan: Plan, sink: EventSink | None = None, *, readonly: bool = False) -> None:
        self.folder = Path(folder)
        self.plan = plan
        self.readonly = readonly  # read a consistent snapshot of the store; take no lock, write nothing
        self._log = JsonLogSink(self.folder)
        self.sink = sink
        self._store: Store | None = None
        self._writing = False  # a run or sync of this object is under way
        self._limiters: dict[str, RateLimiter] = {}  # per side, the last client's: the next one goes on from it

    @property
    def sink(self) -> EventSink:
        """The caller's sink, with the folder's run log beside it."""
        return self._sink

    @sink.setter
    def sink(self, sink: EventSink | None) -> None:
        self._sink: EventSink = FanOut(sink or NullSink(), self._log)

    # -- folders -------------------------------------------------------------------------
    @classmethod
    def open(cls, folder: Path, sink: EventSink | None = None, *, readonly: bool = False) -> Migration:
        folder = Path(folder)
        if not folder.exists():
            raise PlanError(f"{folder}: no such migration folder; create one with 'migration-wizard new {folder}'.")
        plan = load_plan(folder / "plan.toml")
        _make_subfolders(folder)  # a folder holding only plan.toml is a migration that has not started
        m = cls(folder, plan, sink, readonly=readonly)
        remember(folder)
        return m

    @classmethod
    def create(cls, folder: Path, plan: Plan, sink: EventSink | None = None) -> Migration:
        folder = Path(folder)
        if (folder / "plan.toml").exists():
            raise PlanError(f"{folder}/plan.toml already exists; open it instead, or choose another folder.")
        _make_subfolders(folder)
        save_plan(folder / "plan.toml", plan)
        remember(folder)
        m = cls(folder, plan, sink)
        m.audit("new")
        return m

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.folder, readonly=self.readonly)
        return self._store

    @property
    def state(self) -> str:
        """The store's state, except that a run left 'running' by a process that is gone (a
        kill, a crash) is 'interrupted': only a run that went through says 'finished'."""
        state = self.store.state
        if state == "running" and not self._writing and holder(self.folder) is None:
            return "interrupted"
        return state

    def save_plan(self) -> None:
        save_plan(self.folder / "plan.toml", self.plan)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self._log.close()

    def audit(self, command: str, **details: Any) -> None:
        audit(self.folder, command, **details)

    @contextmanager
    def step(self, command: str, *, lock: bool = False, **details: Any) -> Iterator[None]:
        """One step of the wizard: its audit line, and the folder's lock when it writes (one
        writer per folder, wizard/folderlock.py). Every step goes through here."""
        self.audit(command, **details)
        if not lock:
            yield
            return
        with folder_lock(self.folder, command):
            yield

    # -- adapters ------------------------------------------------------------------------
    def source(self, **kw: Any) -> SourceAdapter:
        """The plan's source adapter, built by its registered spec (`kw`: test hooks for its client)."""
        spec = registry.source(self.plan.source.system)
        adapter: SourceAdapter = self._adapter(self.plan.source, spec, kw)
        preset = spec.preset(self.plan.source.preset)
        if preset is not None and preset.reshape is not None:
            adapter = preset.reshape(adapter)
        from wizard.quality import checked  # noqa: PLC0415 - lazy, as the commands below

        return checked(adapter, self.plan.quality)  # the plan's data-quality rules, before anything is written

    def target(self, *, dry_run: bool = False, **kw: Any) -> Any:
        """The plan's target adapter, built by its registered spec (`kw`: test hooks for its client)."""
        return self._adapter(self.plan.target, registry.target(self.plan.target.system), kw, dry_run)

    def _adapter(self, endpoint: Endpoint, spec: AdapterSpec, kw: dict[str, Any], dry_run: bool = False) -> Any:
        creds = load_credentials(endpoint.profile, spec.system, spec.credential_parts)
        source = registry.source(self.plan.source.system)
        # the target names where the records came from: a backup's, the vendor it was taken of
        peer = (source.records_of and source.records_of(self.plan.source.base_url)) or source.label
        adapter = spec.connect(
            Connection(endpoint, creds, self.plan.limits, self.sink, peer, dry_run, kw, mapping=self.plan.mapping)
        )
        limiter = getattr(getattr(adapter, "client", None), "limiter", None)
        if isinstance(limiter, RateLimiter):  # the run holds to the limits the estimate assumed
            limits = assumed(
                spec.kind, spec, endpoint.rate_plan, dict(endpoint.rate_limits), self.learned_limits(spec.kind)
            )
            apply(limiter, limits, endpoint.rate_window_scale, everything=bool(endpoint.rate_plan))
            # the same account's calls just made by an earlier client (a run's discovery) still count
            earlier = self._limiters.get(spec.kind)
            if earlier is not None:
                limiter.follow(earlier)
            self._limiters[spec.kind] = limiter
        return adapter

    def _remember(self, src: Any, tgt: Any) -> None:
        self.remember_limits("source", src, self.plan.source)
        self.remember_limits("target", tgt, self.plan.target)

    def learned_limits(self, side: str | None = None) -> Any:
        """What earlier runs of this folder learned of the vendors' limits, per side (or one side's)."""
        learned: dict[str, dict[str, Any]] = self.store.meta.get("learned_limits") or {}
        return learned if side is None else learned.get(side, {})

    def remember_limits(self, side: str, adapter: Any, endpoint: Endpoint) -> None:
        """Keep what this run learned of a vendor's limits (a header, a 429's words) for the
        next estimate and the next run of this folder."""
        limiter = getattr(getattr(adapter, "client", None), "limiter", None)
        if not isinstance(limiter, RateLimiter) or not limiter.learned:
            return
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime())
        seen = remembered(limiter.learned, endpoint.rate_window_scale, when)
        known = self.learned_limits()
        self.store.set_meta(learned_limits={**known, side: {**known.get(side, {}), **seen}})

    # -- the flow ------------------------------------------------------------------------
    async def connect(self) -> ConnectResult:
        with self.step("connect"):
            source, source_error = await _whoami(self.source)
            target, target_error = await _whoami(self.target)
            return ConnectResult(source, target, source_error, target_error)

    async def containers(self) -> list[Container]:
        src = self.source()
        try:
            return await src.containers()
        finally:
            await src.aclose()

    async def discover(self, container_ids: list[str] | None = None) -> Inventory:
        with self.step("discover"):
            from wizard.engine.discover import discover  # noqa: PLC0415 - lazy: see the imports

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

    def _current_inventory(self) -> dict[str, Any]:
        """The discovery inventory, if it was read under the plan's source preset (another
        preset shapes the source otherwise: it is read again)."""
        inv = self.store.inventory or {}
        return inv if inv.get("source_preset", "") == self.plan.source.preset else {}

    def shapes(self) -> dict[str, Template]:
        """Each discovered container's Template (stages, fields, tags, people), by key:
        what the mapping screen shows, without asking the source again."""
        inv = self._current_inventory()
        return {
            c["key"]: Template.model_validate(c["template"]) for c in inv.get("containers", []) if c.get("template")
        }

    async def shape(self, container_id: str) -> Template | None:
        """The Template a container opens with: from the discovery inventory when it is
        there, else the first object the container's extract yields (nothing is written)."""
        for tpl in self.shapes().values():
            if tpl.source_id == container_id:
                return tpl
        src = self.source()
        try:
            stream = src.extract(container_id, include_archived=self.plan.mapping.include_archived)
            try:
                async for obj in stream:
                    if isinstance(obj, Template):
                        return obj
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
        finally:
            await src.aclose()
        return None

    async def target_users(self) -> list[TargetUser]:
        await asyncio.to_thread(keyring_ready)  # a first keyring read chooses its backend: not on the loop
        tgt = self.target()
        try:
            users: list[TargetUser] = await tgt.users()
            return users
        finally:
            await tgt.aclose()

    def item_index(self) -> ItemIndex:
        return ItemIndex(self.folder)

    def inventory(self) -> Inventory | None:
        data = self._current_inventory()
        return Inventory.model_validate(data) if data else None

    def _same_preset(self) -> None:
        """A folder's migration keeps the source preset it started with: another one would
        shape the same records into other objects beside the ones already written."""
        began = self.store.meta.get("source_preset")
        now = self.plan.source.preset
        if began is not None and began != now and self.store.mappings:
            raise UserError(
                f"This folder was migrated with the source preset '{began}', and the plan now says '{now}'; "
                f"set [source] preset = \"{began}\" again, or roll back first to start over with '{now}'."
            )
        if began != now:
            self.store.set_meta(source_preset=now)

    async def ensure_inventory(self) -> Inventory:
        return self.inventory() or await self.discover()

    async def estimate(self) -> Estimate:
        from wizard.engine.conflicts import tally, tally_text  # noqa: PLC0415 - lazy: see the imports
        from wizard.engine.estimate import estimate  # noqa: PLC0415

        with self.step("estimate"):
            inv = self.inventory()
        est = estimate(self.plan, inv or await self.discover(), self.learned_limits())
        est.conflicts = tally(self.store, self.plan)
        if est.conflicts:
            est.risks.append(tally_text(est.conflicts))
        return est

    async def run(
        self, *, dry_run: bool = False, stop: asyncio.Event | None = None, pause: asyncio.Event | None = None
    ) -> tuple[RunSummary, list[Action]]:
        """Run the plan (or, dry, record what it would do), discovering first when the folder
        never was. Returns the summary and, for a dry run, the exact ordered action list."""
        if dry_run:
            with self.step("run", dry_run=True):
                return await self._dry_run()
        with self.step("run", lock=True, dry_run=False), self._under_way():
            self._same_preset()
            # A run started straight from a plan has no inventory: read it first, so the report,
            # verify and sync after it have the source's own counts and the ledger of what is dropped.
            await self.ensure_inventory()
            src, tgt = self.source(), self.target()
            try:
                ex = self._executor(self.store, src, tgt, self.sink, stop=stop, pause=pause)
                summary = await ex.run()
            finally:
                await src.aclose()
                await tgt.aclose()
                self._remember(src, tgt)
                self.store.snapshot()
        return summary, []

    @contextmanager
    def _under_way(self) -> Iterator[None]:
        self._writing = True
        try:
            yield
        finally:
            self._writing = False

    def can_sync(self) -> str | None:
        """Why a sync cannot run now, in one sentence; None when it can."""
        if self.store.state == "rolled back":
            return "The migration was rolled back, so there is nothing in the target to sync; run the plan again first."
        if not self.store.mappings:
            return "Nothing was migrated yet, so there is nothing to sync; run the plan first."
        return None

    def _executor(self, store: Store, src: Any, tgt: Any, sink: EventSink, **kw: Any) -> RunExecutor:
        from wizard.engine.executor import RunExecutor  # noqa: PLC0415 - lazy: see the imports

        return RunExecutor(self.plan, store, src, tgt, sink, **kw)

    async def sync(self, *, stop: asyncio.Event | None = None, pause: asyncio.Event | None = None) -> RunSummary:
        """Bring over only what changed since the last run or sync, through the conflict rules."""
        with self.step("sync", lock=True), self._under_way():
            why = self.can_sync()
            if why:
                raise UserError(why)
            self._same_preset()
            src, tgt = self.source(), self.target()
            try:
                summary = await self._executor(self.store, src, tgt, self.sink, stop=stop, pause=pause, sync=True).run()
            finally:
                await src.aclose()
                await tgt.aclose()
                self._remember(src, tgt)
                self.store.snapshot()
        return summary

    async def _dry_run(self) -> tuple[RunSummary, list[Action]]:
        """Against a copy of the store, with a target that records instead of writing. The
        engine's events stay out of the caller's sink and the run log: nothing it would do
        is shown or logged as done."""

        with tempfile.TemporaryDirectory(prefix="mw-dry-") as tmp:
            self.store.copy_to(Path(tmp))
            store = Store(Path(tmp))
            src, tgt = self.source(), self.target(dry_run=True)
            try:
                summary = await self._executor(store, src, tgt, NullSink()).run()
            finally:
                await src.aclose()
                await tgt.aclose()
                store.close()
        return summary, tgt.gate.actions

    # -- conflicts -----------------------------------------------------------------------
    def conflicts(
        self, text: str = "", *, open_only: bool = True, rules: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Conflicts whose names, stages, tags, members or reason contain `text` and that
        every rule matches ("stage=Doing", "tag=Urgent", "member=Ana", "name=Invoice*",
        "before=2026-01-31")."""

        noun = nouns("source", self.plan.source.system).container[0]
        return select(self.store, [Rule.parse(r, noun) for r in rules or []], text=text, open_only=open_only)

    async def scan_conflicts(self) -> ScanResult:
        """The pre-flight scan: read the target (nothing is written) and queue every conflict
        the run would meet (wizard/engine/preflight.py)."""

        with self.step("conflicts", lock=True, scan=True):
            src, tgt = self.source(), self.target()
            try:
                from wizard.engine.preflight import scan  # noqa: PLC0415 - lazy: see the imports

                return await scan(self.plan, self.store, src, tgt, self.sink)
            finally:
                await src.aclose()
                await tgt.aclose()

    def decide(
        self, ids: list[str], decision: str | None, *, via: str = "command line", how: str = "one by one"
    ) -> int:
        """Record one decision (None: back to undecided) for each conflict id; the next run or
        sync applies them. The audit log names every id."""

        with self.step("conflicts", lock=True, decide=decision or "undecided", how=how, ids=ids):
            record(self.store, ids, decision, by=who(via), how=how)
        return len(ids)

    def undo_decisions(self, ids: list[str], *, via: str = "command line") -> int:
        """Each conflict back to the decision it had before its last one."""

        with self.step("conflicts", lock=True, undo=True, ids=ids):
            return undo(self.store, ids, by=who(via))

    def export_conflicts(self, path: Path) -> int:
        with self.step("conflicts", export=str(path)):
            return export_csv(self.store, path)

    def import_conflicts(self, path: Path, *, via: str = "command line") -> dict[str, int]:
        with self.step("conflicts", lock=True, import_=str(path)):
            return import_decisions(self.store, path, by=who(via))

    # -- after the run -------------------------------------------------------------------
    async def backup(self) -> BackupSummary:
        """A complete archive of the source's containers in scope (wizard/backup.py), in the
        folder's `backup/`: the source's own adapter streams it, with the vendor's raw answers
        where its client sends over HTTP."""
        with self.step("backup", lock=True):
            spec = registry.source(self.plan.source.system)
            from wizard.raw import RawRecorder  # noqa: PLC0415 - lazy: httpx stays out of opening a migration (the TUI's first frame)

            recorder: RawRecorder | None = RawRecorder()
            try:
                src: SourceAdapter = self._adapter(self.plan.source, spec, {"transport": recorder})
            except TypeError:  # a source whose client takes no transport (a database): no raw answers
                recorder = None
                src = self._adapter(self.plan.source, spec, {})
            try:
                ids = self.plan.source.scope or [c.id for c in await src.containers()]
                ids = [i for i in ids if left_out(self.plan.mapping.exclude, spec.system, i) is None]
                from wizard.backup import write_backup  # noqa: PLC0415 - lazy: see the imports

                return await write_backup(
                    src,
                    self.folder / BACKUP_FOLDER,
                    system=spec.system,
                    label=spec.label,
                    container_ids=ids,
                    include_archived=self.plan.mapping.include_archived,
                    raw=recorder,
                )
            finally:
                await src.aclose()

    async def verify(self) -> VerifyResult:
        """Read the target back and compare it with what the store says was migrated and
        with what the source states of itself (discovering first when the folder never was)."""

        # A run started without discovery has no inventory: read it now, or verify would have no
        # containers to ask the source about and no ledger of what was dropped with a reason.
        await self.ensure_inventory()
        with self.step("verify", lock=True):
            tgt = self.target()
            src = self.source()
            try:
                from wizard.engine.verify import verify  # noqa: PLC0415 - lazy: see the imports

                res = await verify(self.store, tgt, self.sink, source=src, plan=self.plan)
            finally:
                await tgt.aclose()
                await src.aclose()
            self.store.set_meta(verify=res.model_dump())
            self.store.snapshot()
        return res

    def report(self) -> tuple[dict[str, Any], list[Path]]:
        """reports/report.md, .json and .csv; returns the report and the paths written."""
        from wizard.engine.report import build_report, losses_for, write_reports  # noqa: PLC0415 - lazy: see the imports

        with self.step("report"):
            report = build_report(
                self.plan,
                self.store,
                verify=self.store.meta.get("verify"),
                losses=losses_for(self.plan, self.store.inventory),
            )
            report["state"] = self.state
            return report, write_reports(self.folder, report, self.store)

    async def rollback_preview(self) -> list[RollbackStep]:
        """What a rollback would remove and keep (processes edited in the target since are
        kept); nothing is changed."""

        with self.step("rollback", lock=True, apply=False):
            return await self._rollback_steps()

    async def rollback(self, steps: list[RollbackStep] | None = None, *, force: bool = False) -> dict[str, int]:
        """Undo what the runs created: the previewed `steps`, or a fresh preview's."""

        with self.step("rollback", lock=True, apply=True, force=force):
            if steps is None:
                steps = await self._rollback_steps()
            from wizard.engine.rollback import apply_rollback  # noqa: PLC0415 - lazy: see the imports

            tgt = self.target()
            try:
                return await apply_rollback(self.store, tgt, steps, self.sink, force=force)
            finally:
                await tgt.aclose()
                self.store.snapshot()

    async def _rollback_steps(self) -> list[RollbackStep]:
        from wizard.engine.rollback import mark_edited, plan_rollback  # noqa: PLC0415 - lazy: see the imports

        tgt = self.target()
        try:
            steps = plan_rollback(self.store, tgt)
            await mark_edited(self.store, tgt, steps)
        finally:
            await tgt.aclose()
        return steps

    def set_state(self, state: str) -> None:
        self.store.set_meta(state=state)
        self.store.snapshot()


def _make_subfolders(folder: Path) -> None:
    try:
        for sub in SUBFOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"Cannot create {folder} ({e.strerror}).") from None


# -- recent migrations (the start screen lists them) -------------------------------------
def _home() -> Path:
    """The wizard's data folder: MIGRATION_WIZARD_HOME, else the user data directory."""

    return Path(os.environ.get("MIGRATION_WIZARD_HOME") or user_data_path("migration-wizard", appauthor=False))


def data_home() -> Path:
    return _home()


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
    schedule: Schedule | None = None  # its scheduled sync, if it has one (state/schedule.json)


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
        out.append(
            SessionInfo(
                folder,
                plan.name,
                state,
                last or plan_path.stat().st_mtime,
                plan.source.system,
                plan.target.system,
                read_schedule(folder),
            )
        )
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


async def _whoami(make: Any) -> tuple[Identity | None, str | None]:
    """Who the account behind `make()` is, or the one sentence saying why it could not tell."""
    try:
        side = make()
        try:
            return await side.whoami(), None
        finally:
            await side.aclose()
    except UserError as e:
        return None, e.sentence
