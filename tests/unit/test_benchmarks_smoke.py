"""Every benchmark still runs: each in its --quick mode (tui_paint with a small index),
all at once, checking each prints its figure line and its JSON line. Nothing timed is
asserted: the figures themselves live in benchmarks/RESULTS.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

QUICK = {
    "extract_calls": ["--quick"],
    "rate_utilisation": ["--quick"],
    "engine_overhead": ["--quick"],
    "store_scale": ["--quick"],
    "memory": ["--quick"],
    "http_floor": ["--quick"],
    "estimate_accuracy": ["--quick"],
    "comment_strategies": ["--quick"],
    "strategy_run": ["--quick"],
    "comment_cap_pacing": ["--quick"],
}


def test_every_benchmark_prints_its_figure(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        MIGRATION_WIZARD_HOME=str(tmp_path / "home"),
        NO_COLOR="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    procs = {
        name: subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in QUICK.items()
    }
    paint = ROOT / "benchmarks" / "tui_paint.py"
    if paint.exists():  # the TUI's own paint-time script: a small index, one run
        procs["tui_paint"] = subprocess.Popen(
            [sys.executable, str(paint), "--items", "2000", "--repeat", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    failures = []
    for name, p in procs.items():
        try:
            out, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        if p.returncode != 0:
            failures.append(f"{name} exited {p.returncode}: {err[-1500:]}")
            continue
        if name == "tui_paint":
            if "first paint" not in out:
                failures.append(f"{name} printed no first-paint line: {out[-500:]}")
            continue
        if "FIGURE " not in out:
            failures.append(f"{name} printed no FIGURE line: {out[-500:]}")
            continue
        last = json.loads(out.strip().splitlines()[-1])
        if last.get("benchmark") != name or not last.get("figures"):
            failures.append(f"{name}'s last line is not its JSON figure line: {out[-300:]}")
    assert not failures, "\n".join(failures)
