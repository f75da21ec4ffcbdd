"""Discovery: stream each container once, count what is there, record the inventory."""

from __future__ import annotations

import time
from collections import Counter

from wizard import registry
from wizard.adapter import QualityFailure, SourceAdapter, SourceLeftOut, SourceLoss, SourceRejected
from wizard.engine.duplicates import DuplicateFinder
from wizard.engine.inventory import CommentHistory, ContainerInventory, Inventory
from wizard.engine.item_index import ItemIndexWriter
from wizard.events import EventSink, ObjectsDiscovered, PhaseFinished, PhaseStarted
from wizard.journal import now_iso
from wizard.model import Attachment, Comment, Item, Template
from wizard.plan import Plan
from wizard.target import LossRules

EMPTY: tuple[object, ...] = (None, "", [])
KINDS = ("template", "stage", "field", "tag", "person", "item", "comment", "attachment")


def loss_rules(plan: Plan) -> LossRules | None:
    """The target's ledger rules for this plan: what its mapping changes, object by object
    (None: the target names no changes)."""
    make = registry.target(plan.target.system).losses
    return make(plan) if make is not None else None


async def discover(
    plan: Plan,
    source: SourceAdapter,
    sink: EventSink,
    container_ids: list[str] | None = None,
    index: ItemIndexWriter | None = None,
) -> Inventory:
    started = time.monotonic()
    calls_before = source.calls
    ids = (
        container_ids if container_ids is not None else (plan.source.scope or [c.id for c in await source.containers()])
    )
    sink.emit(PhaseStarted("discover", total=len(ids)))
    inv = Inventory(
        source_system=plan.source.system,
        source_preset=plan.source.preset,
        discovered_at=now_iso(),
        elapsed_s=0,
        source_calls=0,
        follow_their_item=sorted(getattr(source, "follow_their_item", ())),
    )
    max_bytes = plan.limits.max_attachment_mb * 1024 * 1024
    rules = loss_rules(plan)
    for cid in ids:
        # The container's own key arrives with its Template (always first); until then, a generic one.
        ci = ContainerInventory(key=f"{plan.source.system}:container:{cid}", id=cid, name=cid)
        counts: Counter[str] = Counter()
        stage_index: dict[str, int] = {}
        stage_names: dict[str, str] = {}
        field_stage: dict[str, str | None] = {}  # a field that belongs to a stage -> that stage
        by_stage: Counter[int] = Counter()
        items_with_uploads: set[str] = set()
        items_with_attachments: set[str] = set()
        history = CommentHistory()
        dups = DuplicateFinder()
        sub_depth: dict[str, int] = {}  # sub-items only: how deep each stands under its top item
        tpl = Template(key=ci.key, name=cid)  # until the container's own arrives (always first)
        async for obj in source.extract(cid, include_archived=plan.mapping.include_archived):
            if isinstance(obj, SourceRejected):
                ci.rejected.append({"key": obj.key, "kind": obj.kind, "reason": obj.reason})
                continue
            if isinstance(obj, SourceLeftOut):
                ci.left_out.append({"key": obj.key, "kind": obj.kind, "reason": obj.reason})
                continue
            if isinstance(obj, SourceLoss):
                ci.ledger.append(obj.line())
                continue
            if isinstance(obj, QualityFailure):
                ci.quality.append(obj.line())
                continue
            if isinstance(obj, Template):
                ci.key, ci.name = obj.key, obj.name
                ci.template = obj.model_dump(mode="json")
                counts.update(
                    template=1, stage=len(obj.stages), field=len(obj.fields), tag=len(obj.tags), person=len(obj.people)
                )
                ordered = sorted(obj.stages, key=lambda s: s.position)
                stage_index = {s.key: i for i, s in enumerate(ordered)}
                stage_names = {s.key: s.name for s in ordered}
                ci.people_names = [p.name for p in obj.people]
                field_stage = {f.key: f.stage_key for f in obj.fields if f.stage_key in stage_index}
                tpl = obj
                ci.ledger += rules.container_losses(obj) if rules else []
                for kind in ("stage", "field", "tag", "person"):
                    sink.emit(ObjectsDiscovered(kind, counts[kind]))
            elif isinstance(obj, Item):
                counts["item"] += 1
                ci.subitems += obj.parent_key is not None
                by_stage[stage_index.get(obj.stage_key or "", 0)] += 1
                ci.stage_value_groups += len(
                    {
                        field_stage[v.field_key]
                        for v in obj.values
                        if v.field_key in field_stage and v.value not in EMPTY
                    }
                )
                ci.checklist_items += sum(len(c.items) for c in obj.checklists)
                ci.checklist_items_done += sum(i.done for c in obj.checklists for i in c.items)
                dups.add(obj)
                depth = sub_depth.get(obj.parent_key, 0) + 1 if obj.parent_key else 0
                if depth:  # a source yields a parent before its sub-items
                    sub_depth[obj.key] = depth
                ci.ledger += rules.item_losses(obj, tpl, depth) if rules else []
                if index is not None:
                    index.add(obj, ci.name, stage_names.get(obj.stage_key or "", ""))
                if counts["item"] % 100 == 0:
                    sink.emit(ObjectsDiscovered("item", counts["item"]))
            elif isinstance(obj, Comment):
                counts["comment"] += 1
                history.add(obj)
                if counts["comment"] % 250 == 0:
                    sink.emit(ObjectsDiscovered("comment", counts["comment"]))
            elif isinstance(obj, Attachment):
                counts["attachment"] += 1
                if not obj.is_upload or obj.size <= max_bytes:
                    items_with_attachments.add(obj.item_key)
                if obj.is_upload:
                    counts["upload"] += 1
                    ci.attachment_bytes += obj.size
                    ci.largest_attachment = max(ci.largest_attachment, obj.size)
                    if obj.size > max_bytes:
                        ci.oversized_attachments += 1
                    else:
                        items_with_uploads.add(obj.item_key)
                if counts["attachment"] % 100 == 0:
                    sink.emit(ObjectsDiscovered("attachment", counts["attachment"], ci.attachment_bytes))
        ci.counts = dict(counts)
        ci.items_by_stage_index = [by_stage.get(i, 0) for i in range(max(len(stage_index), 1))]
        ci.items_with_uploads = len(items_with_uploads)
        ci.items_with_attachments = len(items_with_attachments)
        ci.comments_per_item, ci.long_histories = history.shape()
        ci.duplicates, ci.near_duplicates = dups.groups()
        for kind in ("item", "comment"):
            sink.emit(ObjectsDiscovered(kind, counts[kind]))
        sink.emit(ObjectsDiscovered("attachment", counts["attachment"], ci.attachment_bytes))
        inv.containers.append(ci)
    inv.elapsed_s = round(time.monotonic() - started, 3)
    inv.source_calls = source.calls - calls_before
    sink.emit(PhaseFinished("discover", count=len(ids)))
    return inv
