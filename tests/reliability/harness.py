"""Crash-resume harness: kill the real CLI with SIGKILL at seeded random moments, resume it
each time, and check from the sandboxes' own `/_sandbox/export` that every included card,
comment and attachment arrived exactly once and that the store always loads.

Run it by hand at medium scale (about 3-5 minutes on a 2-core laptop):

    .venv/bin/python -m tests.reliability.harness --scale medium --kills 12 --seed 7

It serves both sandboxes (`migration-wizard sandbox serve`, a subprocess), starts
`migration-wizard run DIR --yes` as a subprocess, and SIGKILLs it when the write-ahead
journal has grown to a seeded random length (most kills) or after a seeded random delay
(some kills land during start-up and discovery). After each kill it opens the store
(`wizard.store.Store(DIR)`) and closes it again, then resumes. When the run finishes it
prints: kills survived, objects checked, duplicates, lost (both must be 0).

The pytest wrapper is tests/reliability/test_crash_resume.py (small scale, CI-sized).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests import launch
from tests.conformance import views
from tests.e2e.conftest import CLI, FORKED, Served, serve, stop
from tests.e2e.test_cli_flow import check_complete
from wizard.store import Store

# Per scale: the sandbox's --rate-scale (short enough to be quick, long enough that the
# vendors' windows still exist).
RATE_SCALE = {"small": "0.001", "medium": "0.0001", "large": "0.0001"}


def cli_env() -> dict[str, str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return env


# A test's commands are forked from a process that imported the CLI once (tests/launch.py), as the
# end-to-end tests' are; the crash-resume runs below start a fresh `python -c ...` by default (CLI),
# keeping the start-up itself under test, and so does a caller that passes `command=CLI` (one that
# sets a limit before the program starts, with preexec_fn).
def start_cli(*args: str, env: dict[str, str] | None = None, command: list[str] = FORKED, **kw) -> subprocess.Popen:
    return launch.start(command, args, env or cli_env(), **kw)  # type: ignore[return-value]


def run_cli(
    *args: str, timeout: float = 600, env: dict[str, str] | None = None, command: list[str] = FORKED, **kw
) -> subprocess.CompletedProcess:
    return launch.run(command, args, env or cli_env(), timeout, **kw)


class JournalWatch:
    """Counts the journal's complete lines as it grows, reading only what is new, and keeps
    which writes are in flight: an `intent` whose `done` (or `failed`) has not followed yet."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "state" / "journal.jsonl"
        self.offset = 0
        self.lines = 0
        self.in_flight: dict[str, str] = {}  # key -> kind, of every intent not yet settled
        self.intended: set[str] = set()  # every kind an intent was written for

    def poll(self) -> int:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return self.lines
        if size < self.offset:  # a torn tail was cut on open: count again from the start
            self.offset, self.lines = 0, 0
            self.in_flight.clear()
        if size > self.offset:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(size - self.offset)
            cut = data.rfind(b"\n") + 1
            for line in data[:cut].splitlines():
                self._settle(json.loads(line))
            self.lines += data[:cut].count(b"\n")
            self.offset += cut
        return self.lines

    def _settle(self, entry: dict) -> None:
        if entry.get("op") == "intent":
            self.in_flight[entry["key"]] = entry["kind"]
            self.intended.add(entry["kind"])
        elif entry.get("op") in ("done", "failed"):
            self.in_flight.pop(entry.get("key", ""), None)

    def wait_for(self, lines: int, proc: subprocess.Popen, timeout: float = 300, *, or_timeout: bool = False) -> bool:
        """True when the journal reached `lines` (or, with `or_timeout`, the time is up)
        while `proc` still runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.poll() >= lines:
                return proc.poll() is None
            if proc.poll() is not None:
                return False
            time.sleep(0.002)
        if or_timeout:
            return proc.poll() is None
        raise TimeoutError(f"the journal did not reach {lines} lines in {timeout:.0f} s")

    def wait_in_flight(self, skip: set[str], proc: subprocess.Popen, timeout: float = 300) -> str | None:
        """The kind of a write in flight (its intent journalled, its answer not yet) of a kind
        not in `skip`, as soon as there is one while `proc` runs; None when `proc` ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            kind = next((k for k in self.in_flight.values() if k not in skip), None)
            if kind is not None:
                return kind if proc.poll() is None else None
            if proc.poll() is not None:
                return None
            time.sleep(0.001)
        raise TimeoutError(f"no write of a kind other than {sorted(skip)} was in flight in {timeout:.0f} s")


def store_loads(folder: Path) -> int:
    """Open the store as the next command would, close it again; returns its mapping count."""
    store = Store(Path(folder))
    try:
        return len(store.mappings)
    finally:
        store.close()


# -- what arrived, from the exports ---------------------------------------------------------
@dataclass
class Tally:
    checked: int = 0
    duplicates: int = 0
    lost: int = 0
    unexpected: int = 0
    per_kind: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, want: Counter, got: Counter) -> None:
        dup = sum(max(0, got[k] - want[k]) for k in got if k in want)
        lost = sum(max(0, want[k] - got[k]) for k in want)
        extra = sum(n for k, n in got.items() if k not in want)
        self.per_kind[kind] = {
            "expected": sum(want.values()),
            "found": sum(got.values()),
            "duplicates": dup,
            "lost": lost,
            "unexpected": extra,
        }
        self.checked += sum(want.values())
        self.duplicates += dup + extra
        self.lost += lost
        self.unexpected += extra


def tally(trello: dict, tallyfy: dict) -> Tally:
    """Count every source object in the target export: each must be there exactly once.
    (check_complete asserts the same and compares attachment bytes; this gives figures.)"""
    t = Tally()
    cards = {c["id"] for b in trello["boards"] for c in b["cards"] if c["visible"]}
    runs = [r for r in tallyfy["runs"] if not r.get("preexisting") and not r.get("archived")]
    templates = [x for x in tallyfy["templates"] if not x.get("preexisting") and not x.get("archived")]
    t.add(
        "template",
        Counter(f"trello:board:{b['id']}" for b in trello["boards"]),
        Counter(x["source_ref"] for x in templates),
    )
    t.add("card", Counter(f"trello:card:{c}" for c in cards), Counter(r["source_ref"] for r in runs))
    t.add(
        "comment",
        Counter(f"trello:comment:{c['id']}" for b in trello["boards"] for c in b["comments"] if c["card_id"] in cards),
        Counter(
            c["source_ref"] for r in runs for tk in r["tasks"] for c in tk.get("comments", []) if not c.get("deleted")
        ),
    )
    want_files: Counter = Counter()
    for b in trello["boards"]:
        for a in b["attachments"]:
            if a["card_id"] in cards and a.get("isUpload", True):
                want_files[(f"trello:card:{a['card_id']}", a["name"])] += 1
    got_files: Counter = Counter()
    for r in runs:
        for x in r["assets"]:
            if x.get("deleted") or x.get("archived"):
                continue
            name = x["filename"]
            if name.endswith(".zip") and (r["source_ref"], name) not in want_files:
                name = name[:-4]  # travelled zipped: Tallyfy refuses the extension
            got_files[(r["source_ref"], name)] += 1
    t.add("attachment", want_files, got_files)
    return t


# -- the harness ----------------------------------------------------------------------------
@dataclass
class Figures:
    scale: str
    seed: int
    kills: int = 0
    finished_before_kill: int = 0
    resumes: int = 0
    store_loads: int = 0
    tally: views.Tally = field(default_factory=views.Tally)
    elapsed_s: float = 0.0
    kill_points: list[str] = field(default_factory=list)
    kinds_hit: set[str] = field(default_factory=set)  # kinds of write a kill caught in flight
    kinds_written: Counter[str] = field(default_factory=Counter)  # intents journalled, by kind

    def lines(self) -> list[str]:
        t = self.tally
        out = [
            f"crash-resume harness: scale {self.scale}, seed {self.seed}, {self.elapsed_s:.1f} s",
            f"kills survived:   {self.kills} (SIGKILL; store loaded after each: {self.store_loads})",
            f"resumes:          {self.resumes}",
            f"objects checked:  {t.checked}",
            f"duplicates:       {t.duplicates}",
            f"lost:             {t.lost}",
        ]
        for kind, v in t.per_kind.items():
            out.append(
                f"  {kind:11} expected {v['expected']:>6}  found {v['found']:>6}  "
                f"duplicates {v['duplicates']}  lost {v['lost']}  unexpected {v['unexpected']}"
            )
        return out


def expected_journal_lines(entries: list[dict]) -> int:
    """About how long the journal of a whole run gets: intent + done per object, one more
    per item (settled) and per file (attached)."""
    n = Counter(e["kind"] for e in entries if not e["archived"])
    return 3 * (n["item"] + n["subitem"]) + 2 * n["comment"] + 3 * n["attachment"]


def crash_resume(
    served: Served,
    *,
    kills: int,
    seed: int,
    scale: str = "?",
    log=print,
    run_timeout: float = 900,
    source: str = "trello",
    target: str = "tallyfy",
    command: list[str] = CLI,
) -> Figures:
    """SIGKILL `run` `kills` times at seeded random moments, resume after each, finish,
    then tally the target's export against the source's manifest (figures.tally)."""
    rng = random.Random(seed)
    folder = served.folder
    figs = Figures(scale=scale, seed=seed)
    started = time.monotonic()
    entries = views.manifest(served.export(source), source)
    total = expected_journal_lines(entries)
    # Kill points spread over the run (sorted: the journal only grows), staying clear of
    # its very end so that every kill lands in a live run.
    points = sorted(int(rng.uniform(0.01, 0.85) * total) + 1 for _ in range(kills))
    watch = JournalWatch(folder)
    for i, point in enumerate(points):
        by_time = rng.random() < 0.2
        delay = rng.uniform(0.2, 1.0)
        jitter = rng.uniform(0, 0.03)
        # Never behind the journal: a kill lands after this run wrote something, or (by
        # time) during start-up, but never later than the next kill point.
        at = max(point, watch.poll() + rng.randint(1, 12))
        proc = start_cli("run", str(folder), "--yes", command=command)
        figs.resumes += i > 0
        try:
            if by_time:
                alive = watch.wait_for(at, proc, timeout=delay, or_timeout=True)
                where = f"{delay:.2f} s after start or journal line {at}, at line {watch.poll()}"
            else:
                alive = watch.wait_for(at, proc, timeout=run_timeout)
                if alive and jitter:
                    time.sleep(jitter)
                    alive = proc.poll() is None
                where = f"journal line {watch.poll()} (aimed at {at})"
            if alive:
                proc.send_signal(signal.SIGKILL)
        finally:
            out, err = proc.communicate(timeout=60)
        if proc.returncode == -signal.SIGKILL:
            figs.kills += 1
            figs.kill_points.append(where)
            log(f"kill {figs.kills:2}: SIGKILL at {where}")
        elif proc.returncode == 0:
            figs.finished_before_kill += 1
            log(f"run {i + 1} finished before its kill point ({where})")
            break
        else:
            raise AssertionError(f"run {i + 1} failed with exit {proc.returncode}:\n{err[-3000:]}\n{out[-2000:]}")
        store_loads(folder)  # raises if the store does not load
        figs.store_loads += 1
    r = run_cli("run", str(folder), "--yes", timeout=run_timeout, command=command)
    figs.resumes += 1
    if r.returncode != 0:
        raise AssertionError(
            f"the final resume failed with exit {r.returncode}:\n{r.stderr[-3000:]}\n{r.stdout[-2000:]}"
        )
    figs.tally = views.tally(entries, served.export(target))
    figs.elapsed_s = time.monotonic() - started
    return figs


def crash_at_every_kind(
    served: Served,
    *,
    seed: int,
    log=print,
    run_timeout: float = 900,
    source: str = "trello",
    target: str = "tallyfy",
    command: list[str] = CLI,
) -> Figures:
    """SIGKILL `run` where resuming is hardest, then resume, finish and tally: once during
    start-up (before or at its first journal line, after a seeded delay), then once with a
    write of each kind in flight (its intent journalled, the target's answer not yet: the
    resume must find what the target may hold by its marker, never send it twice), aiming at
    whichever kind not yet caught is in flight first, until a run finishes with no new kind
    left. Fewer kills than `crash_resume` draws at random, each where a kind's write is cut."""
    rng = random.Random(seed)
    folder = served.folder
    figs = Figures(scale="small", seed=seed)
    started = time.monotonic()
    entries = views.manifest(served.export(source), source)
    watch = JournalWatch(folder)
    for i in range(64):  # a bound: each kill after the first catches a kind not caught before
        watch.poll()
        watch.in_flight.clear()  # what the killed run left unanswered is no longer in flight
        proc = start_cli("run", str(folder), "--yes", command=command)
        figs.resumes += i > 0
        try:
            if i == 0:
                delay = rng.uniform(0.2, 1.0)
                alive = watch.wait_for(1, proc, timeout=delay, or_timeout=True)
                where, kind = f"start-up ({delay:.2f} s or the first journal line)", None
            else:
                kind = watch.wait_in_flight(figs.kinds_hit, proc, timeout=run_timeout)
                alive = kind is not None
                where = f"a {kind} write in flight, journal line {watch.lines}"
            if alive:
                proc.send_signal(signal.SIGKILL)
        finally:
            out, err = proc.communicate(timeout=60)
        if proc.returncode == 0:
            break  # no kind left to catch: this run was the last
        if proc.returncode != -signal.SIGKILL:
            raise AssertionError(f"run {i + 1} failed with exit {proc.returncode}:\n{err[-3000:]}\n{out[-2000:]}")
        figs.kills += 1
        figs.kill_points.append(where)
        if kind is not None:  # every write in flight was cut, the aimed one among them
            figs.kinds_hit.update(watch.in_flight.values())
        log(f"kill {figs.kills:2}: SIGKILL at {where}")
        store_loads(folder)  # raises if the store does not load
        figs.store_loads += 1
    else:
        raise AssertionError(f"the run never finished after {figs.kills} kills: {figs.kill_points}")
    figs.resumes += 1
    figs.kinds_written = Counter(_intents(folder))
    figs.tally = views.tally(entries, served.export(target))
    figs.elapsed_s = time.monotonic() - started
    return figs


def _intents(folder: Path) -> Iterator[str]:
    """The kind of every intent the folder's journal holds."""
    with open(Path(folder) / "state" / "journal.jsonl", "rb") as f:
        for line in f:
            entry = json.loads(line)
            if entry.get("op") == "intent":
                yield entry["kind"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.reliability.harness", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=("small", "medium", "large"), default="medium")
    p.add_argument("--kills", type=int, default=12)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--rate-scale", help="the sandboxes' --rate-scale (default: per scale)")
    p.add_argument("--workdir", help="the migration folder (default: a fresh temporary one)")
    a = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mw-crash-") as tmp:
        folder = Path(a.workdir) if a.workdir else Path(tmp) / "migration"
        served = serve(
            folder, "--scale", a.scale, "--seed", str(a.seed), "--rate-scale", a.rate_scale or RATE_SCALE[a.scale]
        )
        try:
            figs = crash_resume(served, kills=a.kills, seed=a.seed, scale=a.scale, log=lambda s: print(s, flush=True))
            check_complete(served.export("trello"), served.export("tallyfy"))  # and every file's bytes equal
        except AssertionError as e:
            print(f"FAILED: {e}", file=sys.stderr)
            return 1
        finally:
            stop(served)
    print("\n".join(figs.lines()))
    ok = figs.kills >= min(a.kills, 10) and figs.tally.duplicates == 0 and figs.tally.lost == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
