"""Rollback: reverse the journal. What the runs created is removed, newest first, in the
order and the steps the target names (`TargetAdapter.removal`: what hangs on an item before
the item, items before their container, containers before tags and people); what existed
before is never touched; what someone edited in the target after our last write is kept
unless forced. Each removal is journalled, so a rollback cut off half-way resumes, and a
second one does nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wizard.call_errors import RecordRejected
from wizard.engine.children import SETTLED_SUFFIX, settled_anchor
from wizard.events import EventSink, ObjectRolledBack, PhaseFinished, PhaseStarted
from wizard.lazy_model import LazyModel
from wizard.store import Store
from wizard.target import Removal, TargetAdapter
from wizard.target_copies import all_kept, given_back, kept
from wizard.words import nouns

EDIT_TOLERANCE_S = 2.0


class RollbackStep(LazyModel):
    key: str
    kind: str
    target_type: str
    target_id: str
    action: str  # the target's removal ("archive and delete", "delete", ...), with_item(), RESTORE or "keep: ..."
    final: bool = False  # kept because the target has no way to remove it: --force does not change that


RESTORE = "restore prior values"


def with_item(target: TargetAdapter) -> str:
    """The action of what goes with the item it hangs on, in the target's own noun."""
    return f"removed with its {_noun(target)}"


def _noun(target: TargetAdapter) -> str:
    return nouns("target", target.system).item[0]


BOOKKEEPING = ("settle", "attach")  # the run's own records of placing and attaching, not objects


def plan_rollback(store: Store, target: TargetAdapter) -> list[RollbackStep]:
    """What this folder created is removed (in the target's own order and steps per object
    type: `removal`); what it overwrote or merged into is given back its prior values; what
    it only found is never touched."""
    restores = [
        RollbackStep(
            key=m["key"],
            kind=m.get("kind", ""),
            target_type=m.get("target_type", ""),
            target_id=m["target_id"],
            action=RESTORE,
        )
        for m in store.mappings.values()
        if m.get("kind") == "item" and Store.how(m) in ("overwritten", "merged") and m.get("prior")
    ]
    # An item whose overwrite was sent but never recorded (the run was cut off there): its copy
    # kept before the write says what to give back.
    recorded = {m.get("target_id") for m in store.mappings.values() if m.get("kind") == "item"}
    restores += [
        RollbackStep(key=c["key"], kind="item", target_type="item", target_id=c["target_id"], action=RESTORE)
        for c in all_kept(store.folder)
        if c.get("target_id") not in recorded and c.get("prior")
    ]
    created = [m for m in store.mappings.values() if m.get("created") and m.get("kind") not in BOOKKEEPING]
    removed_items = {m["target_id"] for m in created if m.get("kind") == "item"}
    how = {tt: target.removal(tt) for tt in {m.get("target_type", "") for m in created}}
    steps: list[RollbackStep] = []
    for m in sorted(created, key=lambda m: (_rank(how.get(m.get("target_type", ""))), -m.get("seq", 0))):
        tt = m.get("target_type", "")
        r = how.get(tt)
        if r is None:
            continue  # goes with what it hangs on (a sub-item, a link)
        action = r.action
        if m.get("kind") in ("comment", "digest", "attachment") and m.get("parent_id") in removed_items:
            action = with_item(target)
        steps.append(
            RollbackStep(
                key=m["key"],
                kind=m.get("kind", ""),
                target_type=tt,
                target_id=m["target_id"],
                action=action,
                final=action.startswith("keep"),
            )
        )
    return steps + restores


def _rank(r: Removal | None) -> int:
    return r.rank if r is not None else 0


def _ts(iso: str | None) -> float:
    if not iso:
        return 0.0
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def mark_edited(store: Store, target: TargetAdapter, steps: list[RollbackStep]) -> None:
    """Read each item back; one where anyone did anything after our last write to it (an
    edit, a stage completed or reopened, a comment, a file) is kept, unless forced."""
    # An overwrite the store never recorded was sent after its copy was kept: that is its time.
    last = {c["target_id"]: _ts(c.get("kept_at")) for c in all_kept(store.folder)}
    last.update({tid: _ts(at) for tid, at in store.last_write.items()})
    for s in steps:
        if s.kind != "item" or s.action.startswith("keep"):
            continue
        found, latest = await target.item_activity(s.target_id)
        if found is None:
            s.action = "already gone"
            continue
        updated = _ts(latest)
        if updated and updated > last.get(s.target_id, 0.0) + target.clock_skew + EDIT_TOLERANCE_S:
            s.action = f"keep: edited in the target at {latest}, after the run"
    kept_items = {s.target_id for s in steps if s.kind == "item" and s.action.startswith("keep")}
    for s in steps:
        if s.action == with_item(target) and store.mappings.get(s.key, {}).get("parent_id") in kept_items:
            s.action = f"keep: its {_noun(target)} is kept"
        if (
            s.kind == "template"
            and kept_items
            and any(
                store.mappings.get(x.key, {}).get("parent_id") == s.target_id
                for x in steps
                if x.target_id in kept_items
            )
        ):
            s.action = f"keep: a {_noun(target)} in it is kept"


async def apply_rollback(
    store: Store, target: TargetAdapter, steps: list[RollbackStep], sink: EventSink, *, force: bool
) -> dict[str, int]:
    counts = {"removed": 0, "restored": 0, "kept": 0, "already gone": 0}
    sink.emit(PhaseStarted("rollback", total=len(steps)))
    removed_items: set[str] = set()
    restored_items: set[str] = set()
    settled: dict[str, Mapping[str, Any]] | None = None  # by item id, read once when a comment is removed alone
    for s in steps:
        if s.action.startswith("keep") and (s.final or not force):
            counts["kept"] += 1
            continue
        if s.action == RESTORE:
            m = store.mappings.get(s.key, {})
            flips = store.mappings.get(s.key + SETTLED_SUFFIX, {}).get("extra", {}).get("flips", {})
            copy = kept(store.folder, s.target_id) or {}
            prior = {**(m.get("prior") or {}), **(copy.get("prior") or {})}  # the copy is what the client had
            how = await target.restore_item(s.target_id, prior, flips)
            store.undone(s.key, s.target_type, s.target_id, how)
            given_back(store.folder, s.target_id)
            restored_items.add(s.target_id)
            counts["already gone" if how == "already gone" else "restored"] += 1
            sink.emit(ObjectRolledBack(s.kind, s.key, s.target_id, how))
            continue
        if s.action in (with_item(target), "already gone"):
            how = s.action
        else:
            try:
                if s.kind == "comment" and settled is None:
                    settled = {}
                    for m in store.mappings.values():
                        if m.get("kind") == "settle":
                            settled.setdefault(str(m.get("target_id")), m)  # the first, as the scan found it
                how = await target.remove(s.target_type, s.target_id, _anchor(store, s, settled or {}))
            except RecordRejected as e:
                if e.status != 404:
                    raise
                how = "already gone"
        if s.kind == "item":
            removed_items.add(s.target_id)
        store.undone(s.key, s.target_type, s.target_id, how)
        counts["already gone" if how == "already gone" else "removed"] += 1
        sink.emit(ObjectRolledBack(s.kind, s.key, s.target_id, how))
    # Bookkeeping entries that pointed at removed items go too, so a later run starts clean.
    for key, m in list(store.mappings.items()):
        if m.get("kind") in BOOKKEEPING and m.get("target_id") in removed_items | restored_items:
            store.undone(
                key,
                m.get("target_type", ""),
                m["target_id"],
                with_item(target) if m["target_id"] in removed_items else f"its {_noun(target)} was restored",
            )
    store.set_meta(state="rolled back")
    store.snapshot()
    sink.emit(PhaseFinished("rollback", count=counts["removed"]))
    return counts


def _anchor(store: Store, s: RollbackStep, settled: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Where a comment hangs: the anchor its item was placed with (`settled`: by item id)."""
    if s.kind != "comment":
        return None
    item_id = store.mappings.get(s.key, {}).get("parent_id")
    return settled_anchor(settled.get(str(item_id)))
