"""Time to first paint of the wizard, headless (App.run_test), each in a fresh process so
imports are cold, with their bytecode compiled once beforehand, as an installed wizard has it
(an untimed first run fills a cache in the benchmark's temporary folder: a shell with
PYTHONDONTWRITEBYTECODE set would otherwise compile every module of the project at each start):

  start screen:            process start -> StartScreen painted; -> its session list filled
  mapping, 100,000 items:  process start -> MappingScreen painted; -> first page of the item table shown

    .venv/bin/python benchmarks/tui_paint.py [--items 100000] [--repeat 3] [--instructions]

--instructions also counts, with valgrind, the instructions of one cold run to the mapping
screen's first page: a figure a machine's changing speed does not move.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, Figure, cpu_speed_s, cpu_ticks, report, steal_pct

CHILD = r"""
import asyncio, json, os, sys, time
T0 = float(sys.argv[3])
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests/tui"]
which, home = sys.argv[2], sys.argv[4]
os.environ["MIGRATION_WIZARD_HOME"] = home
from tui.app import WizardApp
from tui.widgets.paged_table import PagedTable

PAINTS = {}
CPU = {}  # the process's CPU seconds (every thread, imports included) at the same first frame
_display = WizardApp._display

def _timed_display(self, screen, renderable):
    # The first frame the compositor hands to the driver, per screen class.
    if renderable is not None and type(screen).__name__ not in PAINTS:
        PAINTS[type(screen).__name__] = time.time() - T0
        CPU[type(screen).__name__] = time.process_time()
    return _display(self, screen, renderable)

WizardApp._display = _timed_display

ITEMS = []  # (wall, CPU) when the item table's first page landed in it
_show = PagedTable._show

def _timed_show(self, total, rows, offset):
    # Stamped where it happens, as the first frame is: a poll from this loop would wait behind
    # whatever the app does next (up to 0.2 s under load) before it saw the rows.
    _show(self, total, rows, offset)
    if self.id == "items-table" and rows and not ITEMS:
        ITEMS.append((time.time() - T0, time.process_time()))
        if os.environ.get("MW_PAINT_STOP_AT_ITEMS"):  # counted to here (--instructions): no further
            os._exit(0)

PagedTable._show = _timed_show

async def items_shown(app):
    while not ITEMS:
        await asyncio.sleep(0.005)
    return app.screen.query_one("#items-table", PagedTable)

async def main():
    out = {}
    if which == "start":
        from tui.screens.start import StartScreen
        app = WizardApp()
        async with app.run_test(size=(80, 24)) as pilot:
            while "StartScreen" not in PAINTS:
                await asyncio.sleep(0.001)
            out["painted"] = PAINTS["StartScreen"]
            out["cpu_painted"] = CPU["StartScreen"]
            await app.workers.wait_for_complete()
            await pilot.pause()
            out["ready"] = time.time() - T0
            out["cpu_ready"] = time.process_time()
            out["rows"] = len(app.screen.sessions)
    else:
        from tui.screens.mapping import MappingScreen
        from wizard.migration import Migration
        m = Migration.open(__import__("pathlib").Path(home) / "migrations" / "big")
        app = WizardApp(migration=m, step="map")
        async with app.run_test(size=(80, 24)) as pilot:
            while "MappingScreen" not in PAINTS:
                await asyncio.sleep(0.001)
            out["painted"] = PAINTS["MappingScreen"]
            out["cpu_painted"] = CPU["MappingScreen"]
            items = await items_shown(app)
            out["ready"], out["cpu_ready"] = ITEMS[0]
            out["rows_in_table"] = items.table.row_count
            out["items"] = items.total
        # Warm: the app is up on another step, idle (the other screens' modules are loaded after
        # the first frame, tui/app.py); the consultant moves to the mapping screen.
        PAINTS.clear()
        ITEMS.clear()
        app = WizardApp(migration=m, step="connect")
        async with app.run_test(size=(80, 24)) as pilot:
            while "ConnectScreen" not in PAINTS:
                await asyncio.sleep(0.001)
            while not app.preloaded:  # this app's own preload: the cold run's imports do not stand for it
                await asyncio.sleep(0.01)
            await pilot.pause()
            t1, c1 = time.time() - T0, time.process_time()
            app.goto("map")
            while "MappingScreen" not in PAINTS:
                await asyncio.sleep(0.001)
            out["warm_painted"] = PAINTS["MappingScreen"] - t1
            out["warm_cpu"] = CPU["MappingScreen"] - c1
            await items_shown(app)
            out["warm_ready"] = ITEMS[0][0] - t1
    print(json.dumps(out))

asyncio.run(main())
"""


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, TEXTUAL_ANIMATIONS="none", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "bytecode")
    return env


def child(which: str, home: Path) -> dict:
    t0 = time.time()
    r = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), which, repr(t0), str(home)],
        env=_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode:
        sys.exit(f"The {which} screen's run failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def instructions(home: Path) -> int:
    """The instructions the CPU runs from process start to the cold mapping screen's first page,
    counted by valgrind (callgrind): unlike seconds, the same whether the machine runs fast or
    slow or is shared, so two versions compare in one run each (about 40 s, valgrind being slow)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind); it was not found.")
    r = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", CHILD]
        + [str(ROOT), "map", repr(time.time()), str(home)],
        env=_env(home) | {"MW_PAINT_STOP_AT_ITEMS": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode or found is None:
        sys.exit(f"The mapping screen's counted run failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--instructions", action="store_true", help="also count the cold mapping run's instructions (valgrind)"
    )
    a = ap.parse_args()
    sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "tui")]
    with tempfile.TemporaryDirectory(prefix="mw-paint-") as tmp:
        home = Path(tmp)
        os.environ["MIGRATION_WIZARD_HOME"] = str(home)
        from tui_fakes import make_folder  # noqa: PLC0415 - tests/tui joins sys.path only here, just above

        for name in ("acme", "globex", "initech"):
            make_folder(home, name, items=50).close()
        make_folder(home, "big", items=a.items, run=False).close()
        ticks, speed_before = cpu_ticks(), cpu_speed_s()
        figures: list[Figure] = []
        runs_by_screen: dict[str, list[dict]] = {}
        for which, label in (
            ("start", "start screen (4 migrations listed)"),
            ("map", f"mapping screen, {a.items:,} items"),
        ):
            child(which, home)  # untimed: compiles the bytecode the timed runs load
            runs = [child(which, home) for _ in range(a.repeat)]
            runs_by_screen[which] = runs
            best = min(runs, key=lambda r: r["painted"])
            cold = statistics.median(r["painted"] for r in runs)
            print(
                f"{label}: first paint {min(r['painted'] for r in runs):.2f} s "
                f"(median {cold:.2f} s), content ready {min(r['ready'] for r in runs):.2f} s; {json.dumps(best)}"
            )
            details = {"runs": a.repeat, "best_s": round(best["painted"], 3)}
            if which == "start":
                figures.append(Figure("tui_start_cold_paint", round(cold, 3), "s", "< 1 s", cold < 1.0, details))
            else:
                warm = statistics.median(r["warm_painted"] for r in runs)
                figures.append(
                    Figure("tui_mapping_cold_paint", round(cold, 3), "s", "< 1 s (issue 19)", cold < 1.0, details)
                )
                ready = statistics.median(r["ready"] for r in runs)
                figures.append(
                    Figure(
                        "tui_mapping_cold_items_shown", round(ready, 3), "s", "< 1 s (issue 19)", ready < 1.0, details
                    )
                )
                # The same, as the process's CPU seconds: what the load of a shared machine does not stretch.
                for name, key in (("cold_cpu", "cpu_painted"), ("cold_items_shown_cpu", "cpu_ready")):
                    cpu = statistics.median(r[key] for r in runs)
                    figures.append(
                        Figure(f"tui_mapping_{name}", round(cpu, 3), "s", "< 1 s (issue 19)", cpu < 1.0, details)
                    )
                warm_cpu = statistics.median(r["warm_cpu"] for r in runs)
                figures.append(
                    Figure(
                        "tui_mapping_warm_cpu", round(warm_cpu, 3), "s", "< 0.1 s (issue 19)", warm_cpu < 0.1, details
                    )
                )
                figures.append(
                    Figure(
                        "tui_mapping_warm_paint",
                        round(warm, 3),
                        "s",
                        "< 0.1 s (issue 19; moving to the mapping screen in a running app)",
                        warm < 0.1,
                        {"runs": a.repeat},
                    )
                )
        if a.instructions:
            n = instructions(home)
            figures.append(
                Figure(
                    "tui_mapping_cold_instructions",
                    round(n / 1e6, 1),
                    "million instructions",
                    "(reported: process start to the first page, the same at any speed of the machine)",
                    True,
                )
            )
        steal = steal_pct(ticks)
        speed = (speed_before, cpu_speed_s())
    print(f"CPU time stolen by the host during the runs: {'unknown' if steal is None else f'{steal} %'}")
    print(f"The machine's speed, a fixed piece of Python before and after the runs: {speed[0]} s, {speed[1]} s")
    report(figures, {"items": a.items, "steal_pct": steal, "cpu_speed_s": speed, "runs": runs_by_screen})


if __name__ == "__main__":
    main()
