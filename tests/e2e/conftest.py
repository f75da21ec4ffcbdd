"""End-to-end fixtures: the real CLI, a process of its own per command, against `sandbox serve`.

The commands a test runs with `cli()`, and `sandbox serve`, are forked from a process that
imported the CLI once (tests/launch.py): the same program, argv, environment, signals and exit,
in a process of its own, without the second of CPU that Python's start and the CLI's imports
take each time (the suite starts several hundred). The start itself stays under test where a
test starts `CLI` as a fresh `python -c ...` subprocess: `listen` (tests/e2e/listening.py), the
metrics run, the crash-resume harness's runs (tests/reliability/harness.py), the CLI without
the sandbox extra (test_sandbox_systems.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import launch
from tests.launch import Forked
from wizard.secrets import SANDBOX_CREDENTIALS

CLI = [sys.executable, "-c", "from tui.entry import main; main()"]
FORKED = Forked(CLI)  # the same command, forked (tests/launch.py)


@dataclass
class Served:
    folder: Path
    urls: dict[str, str]
    proc: subprocess.Popen | launch.ForkedProcess

    def export(self, system: str) -> dict:
        return httpx.get(f"{self.urls[system]}/_sandbox/export", timeout=60).json()

    def stats(self, system: str) -> dict:
        return httpx.get(f"{self.urls[system]}/_sandbox/stats", timeout=30).json()

    def post(self, system: str, route: str, body: dict | None = None) -> dict:
        return httpx.post(f"{self.urls[system]}/_sandbox/{route}", json=body or {}, timeout=60).json()


def cli(
    *args: str, timeout: float = 600, env: dict | None = None, command: list[str] = FORKED
) -> subprocess.CompletedProcess:
    e = dict(os.environ, NO_COLOR="1", COLUMNS="200", **(env or {}))
    return launch.run(command, args, e, timeout)


def serve(folder: Path, *extra: str, command: list[str] = FORKED) -> Served:
    """Start `sandbox serve`; its stderr goes to a file (an unread pipe would fill and stall it)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder.parent / f"{folder.name}-sandbox.log", "w")
    args = ("sandbox", "serve", "--plan-dir", str(folder), *extra)
    proc: subprocess.Popen | launch.ForkedProcess
    if isinstance(command, Forked):
        proc = launch.ForkedProcess(command, args, dict(os.environ), stderr=log)
    else:
        proc = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=10)
        raise RuntimeError(f"sandbox serve failed: {(folder.parent / f'{folder.name}-sandbox.log').read_text()}")
    ready = json.loads(line)
    assert ready["ready"] is True
    return Served(folder, ready["urls"], proc)


def stop(s: Served) -> None:
    s.proc.send_signal(signal.SIGTERM)
    try:
        s.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        s.proc.kill()


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Served]:
    s = serve(tmp_path / "mig", "--scale", "small", "--seed", "2", "--rate-scale", "0.001")
    yield s
    stop(s)


def tallyfy_api(s: Served, method: str, path: str, **kw: object) -> httpx.Response:
    """One call to the Tallyfy sandbox as the client would make it (a change made outside the wizard)."""
    org = s.export("tallyfy")["organization"]["id"]
    headers = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['tallyfy']['token']}", "X-Tallyfy-Client": "pytest"}
    r = httpx.request(method, f"{s.urls['tallyfy']}/organizations/{org}/{path}", headers=headers, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r
