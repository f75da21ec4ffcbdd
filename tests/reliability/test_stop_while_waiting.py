"""The first SIGINT stops a run at a safe point even while it waits out Tallyfy's hourly
comment cap (issue 11, item 11): it does not sit out the rest of the hour first."""

from __future__ import annotations

import signal
import time

from tests.e2e.conftest import serve, stop
from tests.reliability.harness import JournalWatch, run_cli, start_cli, store_loads
from wizard.store import Store


def test_sigint_during_the_comment_cap_wait_stops_at_once(tmp_path) -> None:
    # An hour of 180 s: the first run posts about 100 comments; after a rollback the second
    # run reaches the cap of 120 within the same hour and must wait minutes for it.
    s = serve(tmp_path / "mig", "--scale", "small", "--seed", "5", "--rate-scale", "0.05")
    try:
        assert run_cli("run", str(s.folder), "--yes").returncode == 0
        assert run_cli("rollback", str(s.folder), "--yes").returncode == 0
        proc = start_cli("run", str(s.folder), "--yes")
        watch = JournalWatch(s.folder)
        try:
            first = last = watch.poll()
            still_since = time.monotonic()
            deadline = time.monotonic() + 120
            # The journal grew (the run is under way: on a loaded machine starting the process
            # alone can take seconds), then stopped growing: waiting at the cap.
            while last == first or time.monotonic() - still_since < 4:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the run never waited"
                n = watch.poll()
                if n != last:
                    last, still_since = n, time.monotonic()
                time.sleep(0.2)
            asked = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert time.monotonic() - asked < 15, "it sat out the cap before stopping"
        assert proc.returncode == 130, out + err
        assert "Traceback" not in err, err
        store_loads(s.folder)

        assert Store(s.folder, readonly=True).state == "interrupted"
    finally:
        stop(s)
