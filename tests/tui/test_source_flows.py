"""Process Street and Pipefy through the whole wizard, by keys, against their real in-process
sandboxes and Tallyfy's (seed 1, small, rate windows x0.001): Connect answers who we are;
discovery counts in the source's own words; the mapping screen shows the source's shape; the
estimate says the vendor's rate is assumed and gives a finish date; conflicts (none) lead to the
run, which brings every manifest entry once; the report verifies; a change in the source is
synced from the report; rollback leaves nothing of the source in the target."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conformance import views
from tui.app import WizardApp
from tui.screens.conflicts import ConflictsScreen
from tui.screens.connect import ConnectScreen
from tui.screens.discovery import DiscoveryScreen
from tui.screens.estimate import EstimateScreen
from tui.screens.mapping import MappingScreen
from tui.screens.progress import ProgressScreen
from tui.screens.report import ReportScreen
from tui_drive import confirm, next_screen, run_job, screen_text, settle, until
from wizard import registry
from wizard.migration import Migration, read_state
from wizard.sandboxes import RunningSandboxes, start_sandboxes

# A change in the source that a sync must carry: a comment written on an item since the run.
COMMENT_ON = {"processstreet": "run_id", "pipefy": "card_id"}


@pytest.fixture(params=sorted(COMMENT_ON))
def world(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunningSandboxes]]:
    running = start_sandboxes((request.param, "tallyfy"), seed=1, scale="small", rate_scale=0.001)
    try:
        yield request.param, running
    finally:
        running.close()


def flat(app: WizardApp) -> str:
    return " ".join(screen_text(app).split())


def export(sandboxes: RunningSandboxes, system: str) -> dict:
    return httpx.get(f"{sandboxes.urls[system]}/_sandbox/export", timeout=60).json()


def _once(source: str, sandboxes: RunningSandboxes) -> tuple[set[str], views.Tally]:
    manifest = views.manifest(export(sandboxes, source), source)
    tally = views.tally(manifest, export(sandboxes, "tallyfy"))
    items = {e["ref"] for e in manifest if e["kind"] == "item" and not e["archived"]}
    return items, tally


async def test_the_whole_wizard_for_the_source(tmp_path: Path, world: tuple[str, RunningSandboxes]) -> None:
    source, sandboxes = world
    spec = registry.source(source)
    m = Migration.create(tmp_path / source, sandboxes.plan(name=source, rate_scale=0.001))
    app = WizardApp(migration=m, step="connect")
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        await pilot.press("t")
        await until(pilot, lambda: app.connected is not None, what="the connection test")
        assert app.connected is not None and app.connected.ok, flat(app)
        assert "✓ connected as" in screen_text(app)

        # -- discovery, in the source's words --
        screen = await next_screen(pilot, DiscoveryScreen, lambda s: bool(s.containers), "the containers")
        assert f"{spec.container_noun[1].capitalize()} to include" in screen_text(app)
        await pilot.press("d")
        await until(pilot, lambda: m.inventory() is not None and not screen.busy, what="discovery")
        await settle(pilot)
        inv = m.inventory()
        assert inv is not None and inv.total("item") > 0
        text = flat(app)
        assert f"{inv.total('item'):,} {spec.item_noun[1]}" in text, text
        assert f"{spec.stage_noun[1]} → steps" in text and "cards" not in text.replace(spec.item_noun[1], "")

        # -- mapping: the source's shape --
        mapping = await next_screen(pilot, MappingScreen, lambda s: s.shape is not None, "the shape")
        # (the first container may be one of the seed's awkward empty ones: its row stands alone)
        assert mapping.shape_rows and mapping.shape_rows[0][0] == "board", mapping.shape_rows

        # -- the estimate: the vendor's assumed rate and a finish date --
        estimate = await next_screen(pilot, EstimateScreen, lambda s: s.est is not None, "the estimate")
        assert estimate.est is not None and estimate.est.target_total > 0
        text = flat(app)
        assert "assumed" in text, "the vendor publishes no limit: the estimate says the rate is assumed"
        assert estimate.est.headline(app.clock()) and "Duration" in text

        # -- conflicts (none), then the run --
        await next_screen(pilot, ConflictsScreen)
        await next_screen(pilot, ProgressScreen)
        await run_job(pilot, timeout=300)
        assert app.model.state == "finished", app.model.error
        assert "✓ finished" in screen_text(app)
        items, tally = _once(source, sandboxes)
        assert tally.checked > 20 and (tally.duplicates, tally.lost, tally.unexpected) == (0, 0, 0), tally.per_kind

        # -- report and verify --
        await next_screen(pilot, ReportScreen)
        await pilot.press("v")
        await until(pilot, lambda: app.screen.report.get("verify") is not None, what="verify")
        await settle(pilot)
        kinds = app.screen.report["verify"]["kinds"]
        assert all(not k["missing"] and not k["duplicated"] for k in kinds.values()), kinds

        # -- a comment written in the source since is synced from the report --
        one = sorted(items)[0].rsplit(":", 1)[1]
        url = sandboxes.urls[source]
        said = httpx.post(f"{url}/_sandbox/mutate", json={COMMENT_ON[source]: one, "comment": "Written since the run"})
        assert said.status_code == 200, said.text
        await run_job(pilot, job="sync", timeout=300)
        await until(pilot, lambda: isinstance(app.screen, ReportScreen), what="the report after the sync")
        assert app.model.state == "finished" and app.model.mode == "sync", app.model.error
        assert app.run_summary.created["comment"] == 1
        _, tally = _once(source, sandboxes)
        assert (tally.duplicates, tally.lost, tally.unexpected) == (0, 0, 0), tally.per_kind

        # -- rollback from the report: preview, then confirm --
        await confirm(pilot, "u", "the rollback preview")
        await until(pilot, lambda: read_state(m.folder)[0] == "rolled back", timeout=120, what="the rollback")
        await settle(pilot)
    held = views.held(export(sandboxes, "tallyfy"))
    assert not [r for r, n in held.items() if r.startswith(f"{source}:") and n], "rollback leaves none"
