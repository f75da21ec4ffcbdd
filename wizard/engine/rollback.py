"""Rollback: reverse the journal. What the runs created is archived then deleted, newest
first (processes before templates before tags); what existed before is never touched; what
someone edited in the target after our last write is kept unless forced. Each removal is
journalled, so a rollback cut off half-way resumes, and a second one does nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from wizard.events import EventSink, ObjectRolledBack, PhaseFinished, PhaseStarted
from wizard.http import RecordRejected
from wizard.store import Store

ORDER = {"run": 0, "task": 0, "template": 1, "tag": 2, "guest": 3, "user": 3}
EDIT_TOLERANCE_S = 2.0


class RollbackStep(BaseModel):
    key: str
    kind: str
    target_type: str
    target_id: str
    action: str  # "archive and delete" | "delete" | "removed with its process" | "keep: ..."


RESTORE = "restore prior values"


def plan_rollback(store: Store) -> list[RollbackStep]:
    """What this folder created is removed; what it overwrote or merged into is given back
    its prior values; what it only found is never touched."""
    restores = [
        RollbackStep(key=m["key"], kind=m.get("kind", ""), target_type="run", target_id=m["target_id"], action=RESTORE)
        for m in store.mappings.values()
        if m.get("kind") == "item" and Store.how(m) in ("overwritten", "merged") and m.get("prior")
    ]
    created = [m for m in store.mappings.values() if m.get("created")]
    removed_runs = {m["target_id"] for m in created if m.get("target_type") == "run" and m.get("kind") == "item"}
    steps: list[RollbackStep] = []
    for m in sorted(created, key=lambda m: (ORDER.get(m.get("target_type", ""), 0), -m.get("seq", 0))):
        tt = m.get("target_type", "")
        if m.get("kind") in ("comment", "attachment") and m.get("parent_id") in removed_runs:
            action = "removed with its process"
        elif tt in ("run", "template"):
            action = "archive and delete"
        elif tt in ("tag", "comment", "asset", "guest"):
            action = "delete"
        elif tt == "user":
            action = "deactivate"
        else:
            continue
        steps.append(
            RollbackStep(key=m["key"], kind=m.get("kind", ""), target_type=tt, target_id=m["target_id"], action=action)
        )
    return steps + restores


def _ts(iso: str | None) -> float:
    if not iso:
        return 0.0
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def mark_edited(store: Store, target: Any, steps: list[RollbackStep]) -> None:
    """Read each process back; one where anyone did anything after our last write to it (an
    edit, a task completed or reopened, a comment, a file) is kept, unless forced."""
    last = {tid: _ts(at) for tid, at in store.last_write.items()}
    skew = getattr(getattr(target, "client", None), "clock_skew", 0.0)
    for s in steps:
        if s.target_type != "run" or s.action.startswith("keep"):
            continue
        run, latest = await target.activity(s.target_id)
        if run is None:
            s.action = "already gone"
            continue
        updated = _ts(latest)
        if updated and updated > last.get(s.target_id, 0.0) + skew + EDIT_TOLERANCE_S:
            s.action = f"keep: edited in the target at {latest}, after the run"
    kept_runs = {s.target_id for s in steps if s.target_type == "run" and s.action.startswith("keep")}
    for s in steps:
        if s.action == "removed with its process" and store.mappings.get(s.key, {}).get("parent_id") in kept_runs:
            s.action = "keep: its process is kept"
        if (
            s.target_type == "template"
            and kept_runs
            and any(
                store.mappings.get(x.key, {}).get("parent_id") == s.target_id for x in steps if x.target_id in kept_runs
            )
        ):
            s.action = "keep: a process in it is kept"


async def apply_rollback(
    store: Store, target: Any, steps: list[RollbackStep], sink: EventSink, *, force: bool
) -> dict[str, int]:
    counts = {"removed": 0, "restored": 0, "kept": 0, "already gone": 0}
    sink.emit(PhaseStarted("rollback", total=len(steps)))
    removed_runs: set[str] = set()
    restored_runs: set[str] = set()
    for s in steps:
        if s.action.startswith("keep") and not force:
            counts["kept"] += 1
            continue
        if s.action == RESTORE:
            m = store.mappings.get(s.key, {})
            flips = store.mappings.get(s.key + "#settled", {}).get("extra", {}).get("flips", {})
            how = await target.restore_run(s.target_id, m.get("prior") or {}, flips)
            store.undone(s.key, s.target_type, s.target_id, how)
            restored_runs.add(s.target_id)
            counts["already gone" if how == "already gone" else "restored"] += 1
            sink.emit(ObjectRolledBack(s.kind, s.key, s.target_id, how))
            continue
        if s.action == "removed with its process":
            how = "removed with its process"
        elif s.action == "already gone":
            how = "already gone"
        else:
            parent = None
            if s.target_type == "comment":
                run_id = store.mappings.get(s.key, {}).get("parent_id")
                for key, m in store.mappings.items():
                    if m.get("kind") == "settle" and m.get("target_id") == run_id:
                        parent = m.get("extra", {}).get("task")
                        break
            try:
                how = await target.remove(s.target_type, s.target_id, parent)
            except RecordRejected as e:
                if e.status != 404:
                    raise
                how = "already gone"
        if s.target_type == "run":
            removed_runs.add(s.target_id)
        store.undone(s.key, s.target_type, s.target_id, how)
        counts["already gone" if how == "already gone" else "removed"] += 1
        sink.emit(ObjectRolledBack(s.kind, s.key, s.target_id, how))
    # Bookkeeping entries that pointed at removed processes go too, so a later run starts clean.
    for key, m in list(store.mappings.items()):
        if m.get("kind") in ("settle", "attach") and m.get("target_id") in removed_runs | restored_runs:
            store.undone(
                key,
                m.get("target_type", ""),
                m["target_id"],
                "removed with its process" if m["target_id"] in removed_runs else "its process was restored",
            )
    store.set_meta(state="rolled back")
    store.snapshot()
    sink.emit(PhaseFinished("rollback", count=counts["removed"]))
    return counts
