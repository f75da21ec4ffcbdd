"""The pre-flight conflict scan: before anything is written, read the target and queue every
conflict the run would meet, so `conflicts DIR` and the Conflicts screen are complete before
Run. It looks where the run looks: the template by provenance marker (and templates of the
same name in the organization, made by someone else), then the template's processes by
marker and, when the plan asks, by name. Reads only; each conflict is recorded with both
sides field by field."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from wizard.adapter import SourceAdapter, SourceRejected
from wizard.engine.conflicts import plain, queue
from wizard.engine.matching import ItemMatcher
from wizard.engine.scope import left_out
from wizard.events import EventSink, LogLine, PhaseFinished, PhaseStarted
from wizard.journal import now_iso
from wizard.model import Attachment, Comment, Item, Template
from wizard.plan import Plan
from wizard.store import Store
from wizard.target import TargetAdapter

TEMPLATE_NAMESAKE = "a template with this name is already in the organization (someone else made it)"


@dataclass
class ScanResult:
    items: int = 0  # conflicts on processes
    templates: int = 0  # boards whose name a template made by someone else already has
    clashes: list[str] = field(default_factory=list)  # cards that will get their own process (same name)
    containers: int = 0


def source_view(item: Item, tpl: Template, comments: int | None = None, files: int | None = None) -> dict[str, Any]:
    """A card as the consultant compares it with its process: the same keys as the target's
    side (Target.run_view), plus its list, labels and members for filtering."""
    stages = {s.key: s.name for s in tpl.stages}
    tags = {t.key: t.name or f"{t.color or 'unnamed'} label" for t in tpl.tags}
    people = {p.key: p.name for p in tpl.people}
    fdefs = {f.key: f for f in tpl.fields}
    fields: dict[str, Any] = {}
    for v in item.values:
        fd = fdefs.get(v.field_key)
        if fd is None or v.value in (None, "", []):
            continue
        options = {o.id: o.text for o in fd.options}
        value = (
            [options.get(x, x) for x in v.value] if isinstance(v.value, list) else options.get(str(v.value), v.value)
        )
        fields[fd.name] = plain(value)
    out: dict[str, Any] = {
        "name": item.name,
        "description": item.description,
        "stage": stages.get(item.stage_key or "", ""),
        "fields": fields,
        "assignees": sorted(people.get(k, k) for k in item.assignee_keys),
        "tags": sorted(tags.get(k, k) for k in item.tag_keys),
        "container": tpl.name,
        "updated": item.updated_at.isoformat() if item.updated_at else "",
    }
    if comments is not None:
        out["comments"] = comments
    if files is not None:
        out["files"] = files
    return out


async def scan(plan: Plan, store: Store, source: SourceAdapter, target: TargetAdapter, sink: EventSink) -> ScanResult:
    res = ScanResult()
    ids = plan.source.scope or [c.id for c in await source.containers()]
    ids = [c for c in ids if not left_out(plan.mapping.exclude, plan.source.system, c)]
    sink.emit(PhaseStarted("scan", total=len(ids)))
    users = {u.id: u.name for u in await target.users()}
    claims = {str(m["target_id"]): k for k, m in store.mappings.items() if m.get("kind") == "item"}
    for cid in ids:
        tpl: Template | None = None
        items: list[Item] = []
        comments: Counter[str] = Counter()
        files: Counter[str] = Counter()
        async for obj in source.extract(cid, include_archived=plan.mapping.include_archived):
            if isinstance(obj, Template):
                tpl = obj
            elif isinstance(obj, Item) and not obj.closed:
                items.append(obj)
            elif isinstance(obj, Comment):
                comments[obj.item_key] += 1
            elif isinstance(obj, Attachment):
                files[obj.item_key] += 1
            elif isinstance(obj, SourceRejected):
                continue
        if tpl is None:
            continue
        res.containers += 1
        await _scan_container(plan, store, target, tpl, items, comments, files, users, claims, res)
    store.set_meta(
        conflict_scan={"at": now_iso(), "items": res.items, "templates": res.templates, "clashes": len(res.clashes)}
    )
    store.snapshot()
    sink.emit(
        LogLine(
            "info", f"pre-flight scan: {res.items} process(es) and {res.templates} template(s) already in the target"
        )
    )
    sink.emit(PhaseFinished("scan", count=res.items + res.templates))
    return res


async def _scan_container(
    plan: Plan,
    store: Store,
    target: TargetAdapter,
    tpl: Template,
    items: list[Item],
    comments: Counter[str],
    files: Counter[str],
    users: dict[Any, str],
    claims: dict[str, str],
    res: ScanResult,
) -> None:
    mapped = store.target_of(tpl.key)
    tid = mapped["target_id"] if mapped else await target.find_container(tpl.key, tpl.name)
    if tid is None:
        namesakes = [t for t in await target.containers_named(tpl.name) if not t.marker]
        if namesakes:
            queue(
                store,
                tpl.key,
                "template",
                namesakes[0].id,
                TEMPLATE_NAMESAKE,
                {"name": tpl.name, "container": tpl.name, "stage": "", "description": tpl.description},
                {"name": namesakes[0].name, "count": len(namesakes)},
                refresh=True,
            )
            res.templates += 1
        return  # a template we would create holds no process yet
    preexisted = mapped is None or mapped.get("created") is False
    if not (preexisted or plan.conflicts.match_by_name):
        return
    tview = await target.container_view(tid)
    matcher = ItemMatcher(await target.list_items(tid), claims)
    for item in items:
        if store.target_of(item.key):
            continue
        m = matcher.match(item.key, target.item_name(item.name), by_name=plan.conflicts.match_by_name)
        if m.clash:
            res.clashes.append(item.key)
        if m.item is None:
            continue
        tv = await target.item_view(m.item.id, tview, users)
        if tv is None:
            continue
        queue(
            store,
            item.key,
            "item",
            m.item.id,
            m.how,
            source_view(item, tpl, comments[item.key], files[item.key]),
            tv,
            refresh=True,
        )
        res.items += 1
