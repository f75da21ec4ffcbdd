"""Verify, report and rollback as the CLI does them (wizard/cli.py cmd_verify, cmd_report,
cmd_rollback), for the report screen. Engine calls only; no logic of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any


async def run_verify(m: Any) -> Any:
    from wizard.engine.verify import verify

    tgt = m.target()
    try:
        res = await verify(m.store, tgt, m.sink)
    finally:
        await tgt.aclose()
    m.store.set_meta(verify=res.model_dump())
    return res


def make_report(m: Any) -> tuple[dict, list[Path]]:
    from wizard.engine.report import losses_for
    from wizard.engine.report import build_report, write_reports

    report = build_report(m.plan, m.store, verify=m.store.meta.get("verify"), losses=losses_for(m.plan, m.store.inventory))
    paths = write_reports(m.folder, report, m.store)
    return report, paths


async def rollback_preview(m: Any) -> list:
    from wizard.engine.rollback import mark_edited, plan_rollback
    from wizard.runlock import RunLock

    with RunLock(m.folder):
        steps = plan_rollback(m.store)
        tgt = m.target()
        try:
            await mark_edited(m.store, tgt, steps)
        finally:
            await tgt.aclose()
    return steps


async def rollback_apply(m: Any, steps: list, *, force: bool = False) -> dict[str, int]:
    from wizard.engine.rollback import apply_rollback
    from wizard.runlock import RunLock

    with RunLock(m.folder):
        tgt = m.target()
        try:
            return await apply_rollback(m.store, tgt, steps, m.sink, force=force)
        finally:
            await tgt.aclose()
