"""What every benchmark shares: the machine it ran on, `sandbox serve` in its own process,
a served workspace discovered, the sandboxes' request statistics, the CLI as a child process
with its CPU time and peak RSS, the median of repeats, and the one JSON line each benchmark
prints last."""

from __future__ import annotations

import atexit
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
CLI = [sys.executable, "-c", "from tui.entry import main; main()"]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "load1": round(os.getloadavg()[0], 2),
    }


def cpu_ticks() -> tuple[int, int] | None:
    """The machine's CPU time so far, in ticks: (stolen, all). Stolen ticks are those the
    hypervisor gave another guest while this one wanted to run. Here it stayed at 0-1 % through
    spells in which the same work took twice as long (RESULTS §19): cpu_speed_s shows those.
    None where /proc/stat is not."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_pct(before: tuple[int, int] | None) -> float | None:
    """The share of the machine's CPU time stolen since `before` (cpu_ticks()), in per cent."""
    after = cpu_ticks()
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 1)


def cpu_speed_s(n: int = 300_000, repeat: int = 5) -> float:
    """Seconds of one fixed piece of pure Python (the best of `repeat`): the machine's speed now.
    On this shared virtual machine the same work takes up to twice as long in some spells, with
    no load and no stolen time to show for it; a figure read beside this one says whether a miss
    is the code or the machine."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        d: dict[int, int] = {}
        for i in range(n):
            d[i % 1000] = d.get(i % 1000, 0) + i
        best = min(best, time.perf_counter() - t0)
    return round(best, 4)


_HOME: list[str] = []


def env() -> dict[str, str]:
    """A child's environment: no colour, a throwaway data folder (one per benchmark process,
    removed at exit), no keyring."""
    if not _HOME:
        _HOME.append(tempfile.mkdtemp(prefix="mw-bench-home-"))
        atexit.register(shutil.rmtree, _HOME[0], True)
    home = _HOME[0]
    return dict(
        os.environ,
        NO_COLOR="1",
        COLUMNS="200",
        MIGRATION_WIZARD_HOME=home,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PYTHONPATH=str(ROOT),
    )


@dataclass
class Served:
    """`migration-wizard sandbox serve` in its own process (so the engine has its own core)."""

    folder: Path
    urls: dict[str, str]
    proc: subprocess.Popen

    def stats(self, system: str) -> dict[str, Any]:
        return httpx.get(f"{self.urls[system]}/_sandbox/stats", timeout=60).json()

    def reset_stats(self) -> None:
        for system in self.urls:
            httpx.post(f"{self.urls[system]}/_sandbox/stats/reset", timeout=60)

    def cpu_s(self) -> float:
        """CPU seconds the sandbox process has used so far (from /proc, no psutil)."""
        return proc_cpu_s(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    folder: Path,
    *,
    scale: str,
    seed: int = 1,
    rate_limits: str = "off",
    rate_scale: float = 1.0,
    systems: str = "trello,tallyfy",
    command: list[str] | None = None,
) -> Served:
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder.parent / f"{folder.name}-sandbox.log", "w")
    proc = subprocess.Popen(
        [
            *(command or CLI),
            "sandbox",
            "serve",
            "--plan-dir",
            str(folder),
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--rate-limits",
            rate_limits,
            "--rate-scale",
            repr(rate_scale),
            "--systems",
            systems,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env(),
    )
    log.close()
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=10)
        raise RuntimeError("sandbox serve failed: " + (folder.parent / f"{folder.name}-sandbox.log").read_text())
    ready = json.loads(line)
    return Served(folder, ready["urls"], proc)


def discover(folder: Path) -> None:
    """`discover` the folder, as the README's flow does before a run: a run measured after it
    is the run alone (a run started without an inventory discovers first)."""
    found = cli("discover", str(folder))
    if found.returncode != 0:
        raise RuntimeError(found.stderr[-2000:])


@contextmanager
def discovered(
    prefix: str,
    *,
    scale: str,
    seed: int,
    rate_scale: float,
    command: list[str] | None = None,
    include_archived: bool = False,
) -> Iterator[tuple[Served, dict[str, Any]]]:
    """A workspace served in a throwaway folder under the vendors' documented limits (every
    window shortened by `rate_scale`; `command`: another `sandbox serve`) and discovered, its
    archived records too if `include_archived`: the sandboxes and the inventory."""
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as tmp,
        serve(
            Path(tmp) / "mig", scale=scale, seed=seed, rate_limits="documented", rate_scale=rate_scale, command=command
        ) as s,
    ):
        if include_archived:
            plan = s.folder / "plan.toml"
            plan.write_text(plan.read_text().replace("include_archived = false", "include_archived = true", 1))
        discover(s.folder)
        # lazy: the store's imports only for the benchmarks that read an inventory
        from wizard.store import Store  # noqa: PLC0415

        store = Store(s.folder)
        try:
            inventory = dict(store.inventory)
        finally:
            store.close()
        yield s, inventory


def items_with_comments(inventory: dict[str, Any]) -> int:
    """Items holding at least one comment, from the inventory's comments-per-item shape."""
    shapes = [c.get("comments_per_item") or {} for c in inventory.get("containers", [])]
    return sum(n for shape in shapes for k, n in shape.items() if int(k))


def estimate_at(folder: Path, rate_window_scale: float) -> dict[str, Any]:
    """`estimate --json` with the plan's vendor windows at `rate_window_scale` (1: real time);
    the plan is left so."""
    plan = folder / "plan.toml"
    plan.write_text(
        re.sub(r"(?m)^rate_window_scale = .*$", f"rate_window_scale = {rate_window_scale!r}", plan.read_text())
    )
    est = cli("estimate", str(folder), "--json")
    if est.returncode != 0:
        raise RuntimeError(est.stderr[-2000:])
    parsed: dict[str, Any] = json.loads(est.stdout)
    return parsed


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


@dataclass
class ChildRun:
    returncode: int
    wall_s: float
    cpu_s: float
    maxrss_mb: float
    stdout: str
    stderr: str


def run_child(argv: list[str], *, timeout: float = 3600, extra_env: dict[str, str] | None = None) -> ChildRun:
    """Run a child to completion and read its own CPU time and peak RSS (wait4's rusage)."""
    e = env()
    e.update(extra_env or {})
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=e)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return ChildRun(
        proc.returncode,
        wall,
        ru.ru_utime + ru.ru_stime,
        ru.ru_maxrss / 1024,
        out.read().decode(errors="replace"),
        err.read().decode(errors="replace"),
    )


def cli(*args: str, **kw: Any) -> ChildRun:
    return run_child([*CLI, *args], **kw)


def requests_by_status(stats: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for statuses in stats.get("by_route", {}).values():
        for status, n in statuses.items():
            out[status] = out.get(status, 0) + n
    return out


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def pick_median(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The run whose `key` is the median (the middle one of an odd count)."""
    ordered = sorted(runs, key=lambda r: r[key])
    return ordered[(len(ordered) - 1) // 2]


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)

    def print(self) -> None:
        mark = "PASS" if self.passed else "MISS"
        print(f"FIGURE {self.name}: {self.value:g} {self.unit} (target {self.target}) {mark}", flush=True)

    def json(self) -> dict[str, Any]:
        return {
            "figure": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "pass": self.passed,
            **self.details,
        }


def report(figures: list[Figure], extra: dict[str, Any] | None = None) -> None:
    """Every figure as a line a person reads, then one JSON line a script reads."""
    for f in figures:
        f.print()
    print(
        json.dumps(
            {
                "benchmark": Path(sys.argv[0]).stem,
                "machine": machine(),
                "figures": [f.json() for f in figures],
                **(extra or {}),
            }
        ),
        flush=True,
    )


def repeat(n: int, fn: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    runs = []
    for i in range(n):
        r = fn(i)
        print(
            f"  run {i + 1}/{n}: " + ", ".join(f"{k}={v}" for k, v in r.items() if not isinstance(v, (dict, list))),
            file=sys.stderr,
            flush=True,
        )
        runs.append(r)
    return runs
