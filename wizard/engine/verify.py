"""Verify: read the target back and compare it twice. With what the store says was migrated
(counts per type, missing, duplicated); and with what the source states of itself, read
apart from the extraction (Trello: each card's badges), so a route that silently brought
nothing cannot make verify agree with it. Every item the source states is in the target,
or dropped with a reason (quarantined, left out by the plan, a value the target cannot
hold); anything else is a shortfall, named per item, and verify fails."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from pydantic import Field, computed_field

from wizard.adapter import STATED_KINDS, StatedItem
from wizard.engine.children import SETTLED_SUFFIX, settled_anchor
from wizard.engine.scope import left_out
from wizard.events import EventSink, PhaseFinished, PhaseStarted
from wizard.lazy_model import LazyModel
from wizard.store import Store
from wizard.target import ContainerCtx, TargetAdapter
from wizard.task_lines import KINDS as TASK_KINDS
from wizard.words import Nouns, nouns

BALANCE_KINDS = ("item", *STATED_KINDS)
KIND_NAMES = {
    "checklist_item": "checklist items",
    "comment": "comments",
    "file": "files",
    "link": "links",
    "field_value": "field values",
    "task": "tasks",
    "task_completed": "completed tasks",
}


def kind_name(kind: str, source: Nouns) -> str:
    """A kind as people read it: items in the source's own word ("cards", "tasks")."""
    return source.item[1] if kind == "item" else KIND_NAMES.get(kind, kind)


class KindCheck(LazyModel):
    expected: int = 0
    found: int = 0
    missing: list[str] = Field(default_factory=list)
    duplicated: list[str] = Field(default_factory=list)


class Balance(LazyModel):
    """One kind: what the source states, what the target holds, what was dropped and why."""

    source: int = 0
    migrated: int = 0
    dropped: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def missing(self) -> int:
        return max(0, self.source - self.migrated - self.dropped)


class VerifyResult(LazyModel):
    kinds: dict[str, KindCheck] = Field(default_factory=dict)
    balance: dict[str, Balance] = Field(default_factory=dict)
    shortfalls: list[str] = Field(default_factory=list)
    source_checked: bool = False
    target_calls: int = 0

    @property
    def ok(self) -> bool:
        return not self.shortfalls and all(not k.missing and not k.duplicated for k in self.kinds.values())


async def verify(
    store: Store, target: TargetAdapter, sink: EventSink, source: Any = None, plan: Any = None
) -> VerifyResult:
    calls0 = target.calls
    res = VerifyResult(kinds={k: KindCheck() for k in ("item", "comment", "attachment")})
    stated = await _stated(store, source, plan) if source is not None else {}
    res.source_checked = bool(stated)
    by_container: dict[str, list[str]] = defaultdict(list)
    children: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for key, m in store.mappings.items():
        if m.get("kind") == "item":
            by_container[m.get("parent_id") or ""].append(key)
        elif m.get("kind") in ("comment", "attachment"):
            children[m.get("parent_id") or ""][m["kind"]].append(m)
    ctxs = {
        m["target_id"]: ContainerCtx.from_json(m["extra"]["ctx"])
        for m in store.mappings.values()
        if m.get("kind") == "template" and (m.get("extra") or {}).get("ctx")
    }
    found: dict[str, Counter[str]] = {}  # per item: what the target holds, kind by kind
    subitems = Counter(m.get("parent_id") for m in store.mappings.values() if m.get("kind") == "checklist_item")
    sink.emit(PhaseStarted("verify", total=sum(map(len, by_container.values()))))
    for container_id, keys in by_container.items():
        items = await target.list_items(container_id)
        for key in keys:  # a source's sub-item under its parent (`items_as_subitems`): read on its own
            m = store.mappings[key]
            if m.get("target_type") == "subitem" and (sub := await target.read_item(str(m["target_id"]))):
                items.append(sub)
        seen = Counter(it.marker for it in items)
        by_marker = {it.marker: it for it in items}
        chk = res.kinds["item"]
        for key in keys:
            chk.expected += 1
            if seen[key] == 0:
                chk.missing.append(key)
            else:
                chk.found += 1
            if seen[key] > 1:
                chk.duplicated.append(key)
        for key in keys:
            it = by_marker.get(key)
            if it is None:
                continue
            kids = children.get(store.mappings[key]["target_id"], {})
            st = stated.get(key)
            comments = bool(kids.get("comment") or (st and st.counts.get("comment")))
            files = bool(kids.get("attachment") or (st and st.counts.get("file")))
            anchor = settled_anchor(store.target_of(key + SETTLED_SUFFIX))
            back = await target.read_back(it, ctxs.get(container_id), anchor, comments=comments, files=files)
            f = found[key] = Counter(item=1)
            f.update(back.counts)
            f["checklist_item"] += subitems.get(store.mappings[key]["target_id"], 0)  # checklists as sub-items
            if kids.get("comment"):
                _compare(res.kinds["comment"], [m["key"] for m in kids["comment"]], back.comment_markers)
            if kids.get("attachment"):
                got = Counter(back.file_ids)
                # Links have no bytes: the item shows their URLs in its field values.
                for m in kids["attachment"]:
                    if m.get("target_type") == "link":
                        url = m.get("extra", {}).get("url", "")
                        got[m["key"]] += 1 if url and url in back.text else 0
                expected = [m["key"] if m.get("target_type") == "link" else m["target_id"] for m in kids["attachment"]]
                _compare(res.kinds["attachment"], expected, got)
    if stated:
        _balance(res, store, plan, stated, found)
    res.target_calls = target.calls - calls0
    sink.emit(PhaseFinished("verify"))
    return res


async def _stated(store: Store, source: Any, plan: Any) -> dict[str, StatedItem]:
    exclude = getattr(getattr(plan, "mapping", None), "exclude", []) or []
    inv = store.inventory or {}
    out: dict[str, StatedItem] = {}
    for c in inv.get("containers", []):
        if left_out(exclude, inv.get("source_system", ""), c["id"], c["key"]):
            continue
        items = await source.stated_counts(c["id"])
        if items is None:
            return {}
        out.update((s.key, s) for s in items)
    return out


def _ledger_drops(store: Store) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in (store.inventory or {}).get("containers", []):
        for line in c.get("ledger", []):
            if line.get("dropped"):
                out[line["key"]].append(line)
    return out


def _balance(
    res: VerifyResult, store: Store, plan: Any, stated: dict[str, StatedItem], found: dict[str, Counter[str]]
) -> None:
    include_archived = bool(getattr(getattr(plan, "mapping", None), "include_archived", False))
    quarantined_children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in store.quarantine.values():
        if q.get("item"):
            quarantined_children[q["item"]].append(q)
    drops = _ledger_drops(store)
    src = nouns("source", str(getattr(getattr(plan, "source", None), "system", "")))
    # A run's tasks and completed tasks (task_lines.KINDS) have rows only where a source states them.
    stated_kinds = {k for st in stated.values() for k in st.counts}
    bal = res.balance = {k: Balance() for k in (*BALANCE_KINDS, *TASK_KINDS) if k in BALANCE_KINDS or k in stated_kinds}
    for key, st in stated.items():
        counts = {"item": 1, **st.counts}
        for k, n in counts.items():
            bal[k].source += n
        f = found.get(key)
        why = _item_dropped(store, key, st, include_archived) if f is None else None
        if f is None and why is not None:
            for k, n in counts.items():
                if n:
                    _drop(bal[k], n, why)
            continue
        got = f if f is not None else Counter()
        dropped: Counter[str] = Counter()
        for q in quarantined_children.get(key, []):
            kind = "file" if q.get("kind") == "attachment" else q.get("kind", "")
            if kind in bal:
                dropped[kind] += 1
                _drop(bal[kind], 1, str(q.get("reason")))
        for line in drops.get(key, []):
            if line["kind"] in bal:
                dropped[line["kind"]] += line["dropped"]
                _drop(bal[line["kind"]], line["dropped"], line["why"])
        short = []
        for k, n in counts.items():
            have = min(n - dropped[k], got[k])
            bal[k].migrated += have
            if n - dropped[k] - got[k] > 0:
                short.append(
                    f"{n} {kind_name(k, src)} in the source, {got[k]} in the target"
                    + (f", {dropped[k]} dropped with a reason" if dropped[k] else "")
                )
        if short:
            label = f"{key} '{_short(st.name)}'"
            res.shortfalls.append(
                f"{label}: "
                + "; ".join(short)
                + ("" if f is not None else f" (the {src.item[0]} is not in the target)")
            )


def _item_dropped(store: Store, key: str, st: StatedItem, include_archived: bool) -> str | None:
    """Why an item the source states is not in the target, when there is a reason."""
    if st.archived and not include_archived:
        return f"{st.archived}, and the plan leaves archived records out"
    q = store.quarantine.get(key)
    if q:
        return f"quarantined: {q.get('reason')}"
    m = store.target_of(key)
    if m and (m.get("extra") or {}).get("merged_into"):
        return f"identical to {m['extra']['merged_into']}: merged into its process"
    c = store.conflicts.get(key)
    if c and c.get("decision") in (None, "skip"):
        return "in conflict with a process already in the target" + (
            "; waiting for a decision" if not c.get("decision") else "; skipped as decided"
        )
    return None


def _drop(b: Balance, n: int, why: str) -> None:
    b.dropped += n
    b.reasons[why] = b.reasons.get(why, 0) + n


def _short(name: str, limit: int = 60) -> str:
    name = " ".join(name.split())
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _compare(chk: KindCheck, expected: list[str], got: Counter[str]) -> None:
    for k in expected:
        chk.expected += 1
        if got[k]:
            chk.found += 1
        else:
            chk.missing.append(k)
        if got[k] > 1:
            chk.duplicated.append(k)
