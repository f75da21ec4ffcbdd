"""Sync passes on a schedule: `sync DIR --every 15m [--until DATE]` in a loop, and `sync DIR
--scheduled`, the one pass the platform's scheduler starts.

The wait between passes is measured on the wall clock, a few seconds at a time, so a laptop
that slept through a pass runs it as soon as it wakes. A pass that cannot reach a vendor (the
network is gone, a sandbox restarts) or finds the folder busy is recorded as failed and the
next one goes on; the journal makes each pass resumable, so one cut off (kill -9, a reboot)
is finished by the next. Each pass adds a line to audit.log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from wizard import schedule as sched
from wizard.audit import audit
from wizard.errors import Interrupted, UserError

WAKE_S = 5.0  # the longest wait between looks at the clock
PassResult = tuple[int, str]


async def _wait_until(due: float, stop: asyncio.Event, taken_out: Callable[[], bool]) -> bool:
    """Wait until the wall clock reaches `due`, or the schedule is taken out; True if a stop
    was asked for first."""
    while (left := due - time.time()) > 0 and not taken_out():
        try:
            await asyncio.wait_for(stop.wait(), timeout=min(WAKE_S, left))
            return True
        except TimeoutError:
            continue
    return stop.is_set()


def _taken_out(folder: Path, how: str) -> bool:
    """`schedule --remove`, or another schedule installed in its place, ends a loop."""
    now = sched.read_schedule(folder)
    return now is not None and (not now.active or now.how != how)


async def one_pass(folder: Path, s: sched.Schedule, run: Callable[[], Awaitable[PassResult]]) -> sched.Schedule:
    """Run one pass and record it in state/schedule.json and audit.log. A user error (a vendor
    out of reach, a refused credential, a busy folder) ends the pass, not the schedule."""
    s = sched.record_start(folder, s, time.time())
    try:
        code, result = await run()
    except Interrupted:
        sched.record_end(folder, s, 130, "stopped on request; the next pass resumes it")
        audit(folder, "scheduled sync", how=s.how, passes=s.passes + 1, exit=130)
        raise
    except UserError as e:
        code, result = e.exit_code, e.sentence
    s = sched.record_end(folder, s, code, result)
    audit(folder, "scheduled sync", how=s.how, passes=s.passes, exit=code)
    return s


async def keep_in_step(
    folder: Path,
    s: sched.Schedule,
    run: Callable[[], Awaitable[PassResult]],
    stop: asyncio.Event,
    say: Callable[[str], None],
) -> int:
    """Passes every `s.every_s` seconds until `s.until` (or a stop). Returns the exit code."""
    how = s.how
    while True:
        now = time.time()
        if _taken_out(folder, how):
            say("The schedule was taken out; no more passes.")
            return 0
        if s.ended(now):
            cut_over = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.until))
            say(f"The cut-over date {cut_over} is reached; no more passes.")
            return 0
        due = s.next_run(now)
        if due is None:
            return 0
        if due > now:
            say(f"Next pass at {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(due))}.")
            if await _wait_until(due, stop, lambda: _taken_out(folder, how)):
                raise Interrupted("Stopped between passes; nothing is lost. Run the same command again to go on.")
            continue
        s = await one_pass(folder, s, run)
        say(f"Pass {s.passes}: {s.last_result}")
        if stop.is_set():
            raise Interrupted("Stopped at a safe point; nothing is lost. Run the same command again to go on.")
