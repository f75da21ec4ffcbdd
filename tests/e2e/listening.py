"""What the `listen` tests share: the listener started through the real CLI, the audit log's
lines, and the writes a target sandbox took."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

from tests.e2e.conftest import CLI, Served


def audit_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "audit.log").read_text().splitlines()]


def webhook_outcomes(folder: Path, outcome: str) -> list[dict]:
    return [
        e["details"] for e in audit_lines(folder) if e["command"] == "webhook" and e["details"]["outcome"] == outcome
    ]


def writes(s: Served, target: str = "tallyfy") -> Counter:
    by_route = s.stats(target)["by_route"]
    return Counter({r: sum(by.values()) for r, by in by_route.items() if not r.startswith("GET")})


def start_listening(folder: Path, log: Path, batch_s: float) -> subprocess.Popen:
    with open(log, "w") as err:
        return subprocess.Popen(
            [*CLI, "listen", str(folder), "--port", "0", "--batch", f"{batch_s:g}s"], stdout=err, stderr=err
        )


def started(proc: subprocess.Popen, log: Path, timeout: float = 60) -> str:
    """The callback URL the listener announces once its webhooks are registered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"Listening on (\S+);", log.read_text().replace("\n", " "))
        if found:
            return found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError(f"the listener did not start: {log.read_text()}")


def wait_for(missing, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while (left := missing()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left
