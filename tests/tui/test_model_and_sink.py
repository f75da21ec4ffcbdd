"""The TUI's event folding and throttling, without a screen: 10,000 events become a few
messages, counters and the ETA come out right, rate-limit waits are shown and counted."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from textual.app import App

from tui.messages import EngineProgressed
from tui.model import EngineModel, human_duration
from tui.sink import TuiSink
from wizard.events import (
    ObjectMigrated,
    ObjectQuarantined,
    ObjectsDiscovered,
    ObjectSkipped,
    PhaseStarted,
    RateLimited,
    RunFinished,
)


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_model_counts_eta_and_wait() -> None:
    clock = Clock()
    md = EngineModel(clock=clock)
    md.start({"item": 100, "comment": 100, "attachment": 0})
    for i in range(50):
        md.apply(ObjectMigrated("item", f"k{i}", f"t{i}"))
    md.apply(ObjectSkipped("item", "a", "archived in the source"))
    md.apply(ObjectQuarantined("item", "bad", "Tallyfy refused it (422)"))
    clock.t += 52  # 52 objects in 52 s: 1 per second
    assert md.processed == 52 and md.total == 200
    assert abs(md.eta() - 148) < 1e-6
    md.apply(RateLimited("tallyfy", clock.t + 30, "120 comments per hour"))
    assert md.waiting_left() == 30
    assert abs(md.eta() - 178) < 1e-6, "the ETA counts the wait"
    assert any("waiting for the tallyfy rate limit until" in line for line in md.log)
    assert md.quarantined == [("item", "bad", "Tallyfy refused it (422)")]
    clock.t += 31
    md.apply(ObjectMigrated("comment", "c", "t"))
    assert md.waiting_until is None
    md.apply(RunFinished(51, 1, 1, interrupted=True))
    assert md.state == "interrupted"


def test_resumed_run_starts_from_what_is_done_and_its_eta_ignores_it() -> None:
    clock = Clock()
    md = EngineModel(clock=clock)
    md.start({"item": 100, "comment": 50, "attachment": 0}, {"item": 60, "comment": 80, "attachment": 3})
    items, comments = md.phases["items"], md.phases["comments"]
    assert (items.done, items.total, items.baseline) == (60, 100, 60)
    assert (comments.done, comments.baseline) == (50, 50), "never more done than the inventory holds"
    assert md.phases["attachments"].done == 0
    assert md.already == 110 and md.processed == 110 and md.total == 150
    for i in range(10):
        md.apply(ObjectMigrated("item", f"k{i}", f"t{i}"))
    clock.t += 10  # this run: 10 objects in 10 s, whatever was done before
    assert md.throughput() == 1.0
    assert md.eta() == 30.0, "the 30 left at 1/s; the 110 already there do not make it look faster"


def test_discovery_totals_span_containers() -> None:
    md = EngineModel(clock=Clock())
    md.start()
    md.apply(PhaseStarted("discover", total=2))
    for _ in range(2):  # two containers
        md.apply(ObjectsDiscovered("stage", 5))
        md.apply(ObjectsDiscovered("item", 100))
        md.apply(ObjectsDiscovered("item", 150))
        md.apply(ObjectsDiscovered("attachment", 3, 1000))
    counts, size = md.discovery_totals()
    assert counts["item"] == 300 and counts["stage"] == 10 and size == 2000
    assert md.containers_seen == 2


def test_human_duration() -> None:
    assert human_duration(None) == "—"
    assert human_duration(42) == "42 s"
    assert human_duration(754) == "12 min 34 s"
    assert human_duration(7200) == "2 h 00 min"
    assert human_duration(47.2 * 3600) == "47 h 12 min"
    assert human_duration(2 * 86400 + 3 * 3600 + 100) == "2 days 3 h"


async def test_sink_throttles_10k_events_into_a_few_messages() -> None:
    got: list[EngineProgressed] = []

    class Probe(App):
        def on_engine_progressed(self, message: EngineProgressed) -> None:
            got.append(message)

    app = Probe()
    async with app.run_test() as pilot:
        md = EngineModel()
        md.start({"item": 10_000})
        sink = TuiSink(app, md)
        for i in range(10_000):
            sink.emit(ObjectMigrated("item", f"k{i}", f"t{i}"))
            if i % 1000 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.25)
        await pilot.pause()
        assert md.phases["items"].done == 10_000
        assert sink.posted <= 5, f"{sink.posted} messages for 10,000 events"
        assert 1 <= len(got) <= sink.posted
        sink.emit(RunFinished(10_000, 0, 0))  # the end is posted at once
        await pilot.pause()
        assert md.state == "finished"


def test_wizard_never_imports_textual() -> None:
    code = (
        "import sys, wizard.migration, wizard.cli, wizard.engine.report, wizard.engine.rollback, "
        "wizard.engine.verify; sys.exit(1 if any(m == 'textual' or m.startswith(('textual.', 'tui')) "
        "for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
