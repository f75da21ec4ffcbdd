"""Verify: read the target back and compare it with what the store says was migrated:
counts per type, missing, duplicated."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel, Field

from wizard.events import EventSink, PhaseFinished, PhaseStarted
from wizard.store import Store


class KindCheck(BaseModel):
    expected: int = 0
    found: int = 0
    missing: list[str] = Field(default_factory=list)
    duplicated: list[str] = Field(default_factory=list)


class VerifyResult(BaseModel):
    kinds: dict[str, KindCheck] = Field(default_factory=dict)
    target_calls: int = 0

    @property
    def ok(self) -> bool:
        return all(not k.missing and not k.duplicated for k in self.kinds.values())


async def verify(store: Store, target: Any, sink: EventSink) -> VerifyResult:
    from adapters.tallyfy.mapping import read_marker

    calls0 = target.client.calls
    res = VerifyResult(kinds={k: KindCheck() for k in ("item", "comment", "attachment")})
    by_template: dict[str, list[str]] = defaultdict(list)
    children: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for key, m in store.mappings.items():
        if m.get("kind") == "item":
            by_template[m.get("parent_id") or ""].append(key)
        elif m.get("kind") in ("comment", "attachment"):
            children[m.get("parent_id") or ""][m["kind"]].append(m)
    sink.emit(PhaseStarted("verify", total=sum(map(len, by_template.values()))))
    for template_id, keys in by_template.items():
        runs = await target.client.list_runs(checklist_id=template_id)
        seen = Counter(read_marker(r.get("summary")) for r in runs)
        run_ids = {read_marker(r.get("summary")): r["id"] for r in runs}
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
            run_id = run_ids.get(key)
            kids = children.get(store.mappings[key]["target_id"], {})
            if not run_id or not kids:
                continue
            if kids.get("comment"):
                settled = store.target_of(key + "#settled") or {}
                task_id = settled.get("extra", {}).get("task")
                threads = await target.client.task_threads(run_id, task_id) if task_id else []
                got = Counter(read_marker(t.get("content")) for t in threads)
                _compare(res.kinds["comment"], [m["key"] for m in kids["comment"]], got)
            if kids.get("attachment"):
                run = await target.client.get_run(run_id, with_="assets")
                assets = run.get("assets") or []
                if isinstance(assets, dict):
                    assets = assets.get("data", [])
                got = Counter(str(a.get("id")) for a in assets)
                # Links have no bytes: they are lines of the Links kick-off field.
                values = " ".join(str(v) for v in (run.get("prerun") or {}).values())
                for m in kids["attachment"]:
                    if m.get("target_type") == "link":
                        url = m.get("extra", {}).get("url", "")
                        got[m["key"]] += 1 if url and url in values else 0
                expected = [m["key"] if m.get("target_type") == "link" else m["target_id"] for m in kids["attachment"]]
                _compare(res.kinds["attachment"], expected, got)
    res.target_calls = target.client.calls - calls0
    sink.emit(PhaseFinished("verify"))
    return res


def _compare(chk: KindCheck, expected: list[str], got: Counter) -> None:
    for k in expected:
        chk.expected += 1
        if got[k]:
            chk.found += 1
        else:
            chk.missing.append(k)
        if got[k] > 1:
            chk.duplicated.append(k)
