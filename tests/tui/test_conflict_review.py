"""Conflict review in the TUI against the real in-process sandboxes (issue 21): the screen
scans the target before any write and finds every same-named process; 40 are decided by a
rule (with a confirmation), 10 one by one, one is undone; the run then applies exactly those
decisions, checked from the sandbox's own export and stats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
from textual.widgets import Input, OptionList

from tui.app import WizardApp
from tui.screens.conflicts import ConflictsScreen
from tui.screens.dialogs import ChoiceDialog, ConfirmDialog
from tui.widgets.paged_table import PagedTable
from tui_drive import screen_text, settle, until
from wizard.migration import Migration
from wizard.secrets import SANDBOX_CREDENTIALS

RULED = 40


def _tallyfy(sandboxes, method: str, path: str, **kw) -> httpx.Response:
    org = sandboxes.sandbox("tallyfy").export()["organization"]["id"]
    headers = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['tallyfy']['token']}", "X-Tallyfy-Client": "pytest"}
    r = httpx.request(
        method, f"{sandboxes.urls['tallyfy']}/organizations/{org}/{path}", headers=headers, timeout=30, **kw
    )
    assert r.status_code < 300, r.text
    return r


def _writes(sandboxes) -> Counter:
    stats = httpx.get(f"{sandboxes.urls['tallyfy']}/_sandbox/stats", timeout=30).json()
    return Counter({route: sum(by.values()) for route, by in stats["by_route"].items() if not route.startswith("GET")})


async def _same_named_processes(tmp_path: Path, sandboxes) -> list[dict]:
    """A first migration with 40 'Supplier contract' cards among the others, whose processes
    are then made to look like the client's own (no provenance marker)."""
    trx = sandboxes.sandbox("trello").export()
    lst = next(lst for lst in trx["boards"][0]["lists"] if not lst["closed"])
    creds = SANDBOX_CREDENTIALS["trello"]
    for i in range(RULED):
        r = httpx.post(
            f"{sandboxes.urls['trello']}/1/cards",
            params={**creds, "name": f"Supplier contract {i:02d}", "idList": lst["id"]},
            timeout=30,
        )
        assert r.status_code == 200, r.text
    first = Migration.create(tmp_path / "first", sandboxes.plan(name="first", rate_scale=0.01))
    summary, _ = await first.run()
    first.close()
    assert not summary.failed_total
    runs = [r for r in sandboxes.sandbox("tallyfy").export()["runs"] if r["source_ref"] and not r["archived"]]
    for r in runs:
        _tallyfy(sandboxes, "PUT", f"runs/{r['id']}", json={"summary": "Kept by the client"})
    return runs


async def test_forty_by_rule_ten_one_by_one_one_undone_and_the_run_applies_exactly_those(
    tmp_path: Path, sandboxes
) -> None:
    runs = await _same_named_processes(tmp_path, sandboxes)
    assert len(runs) >= 50
    m = Migration.create(tmp_path / "second", sandboxes.plan(name="second", rate_scale=0.01))
    m.plan.conflicts.default = "manual"
    m.plan.conflicts.match_by_name = True
    m.save_plan()
    httpx.post(f"{sandboxes.urls['tallyfy']}/_sandbox/stats/reset", timeout=10)
    app = WizardApp(migration=m, step="conflicts")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        await until(pilot, lambda: not screen.scanning and screen.shown, timeout=60, what="the pre-flight scan")
        assert not _writes(sandboxes), "the scan wrote nothing"
        assert len(m.store.conflicts) == len(runs), "every same-named process found before any write"
        text = screen_text(app)
        first = screen.shown[0]
        assert first["source"]["name"][:20] in text and first["target"]["name"][:20] in text, text

        # 40 by a rule typed into the filter, confirmed.
        await pilot.press("/")  # the filter box is made on first use
        await until(pilot, lambda: isinstance(app.focused, Input), what="the filter box")
        app.focused.value = "name=supplier*"
        await until(pilot, lambda: len(screen.shown) == RULED, what="the rule to filter")
        screen.query_one("#conflicts-table").table.focus()
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog), what="the bulk choice")
        app.screen.query_one(OptionList).highlighted = 1  # overwrite
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the bulk confirmation")
        assert f"Decide {RULED} conflict(s): overwrite?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        ruled = {k for k, c in m.store.conflicts.items() if c["decision"] == "overwrite"}
        assert len(ruled) == RULED
        assert all(m.store.conflicts[k]["decided_how"] == "by rule name=supplier*" for k in ruled)

        # 10 one by one, among the undecided ones; then the last one undone.
        screen.query_one("#conflicts-table", PagedTable).filter_input.value = "undecided"
        await until(pilot, lambda: len(screen.shown) == len(runs) - RULED, what="the undecided ones")
        screen.query_one("#conflicts-table").table.focus()
        one_by_one = []
        for _ in range(10):
            one_by_one.append(screen.shown[0]["id"])
            await pilot.press("s")
            await settle(pilot)
        assert [m.store.conflicts[k]["decision"] for k in one_by_one] == ["skip"] * 10
        await pilot.press("u")
        await settle(pilot)
        assert m.store.conflicts[one_by_one[-1]]["decision"] is None, "undone: undecided again"
        assert "skip:" in screen_text(app) and "overwrite:" in screen_text(app), "each decision's preview is shown"

    summary, _ = await m.run()
    m.close()
    w = _writes(sandboxes)
    assert w["PUT /organizations/{org}/runs/{id}"] == RULED, w
    assert not any(k.startswith("POST") and k.endswith("/runs") for k in w), "no process launched for a conflict"
    after = {r["id"]: r for r in sandboxes.sandbox("tallyfy").export()["runs"]}
    target_of = {k: c["target_id"] for k, c in Migration.open(tmp_path / "second").store.conflicts.items()}
    assert {after[target_of[k]]["source_ref"] for k in ruled} == ruled, "overwritten: each carries its card's marker"
    for k in one_by_one:
        assert after[target_of[k]]["summary"] == "Kept by the client", "skipped and undecided ones are untouched"
    assert summary.resolved["overwritten"] == RULED and summary.resolved["skipped"] == 9
