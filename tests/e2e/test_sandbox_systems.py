"""`sandbox serve` serves any registered source with any registered target, and lives in the
[sandbox] extra: without its web server a real migration still runs, and `sandbox serve`
says in one sentence how to install it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.e2e.conftest import Served, cli, serve, stop
from tests.e2e.test_first_hour import one_sentence

# The CLI as installed without the [sandbox] extra: importing its web server fails.
WITHOUT_EXTRA = (
    "import sys\n"
    "for name in ('starlette', 'uvicorn', 'multipart', 'python_multipart'):\n"
    "    sys.modules[name] = None\n"
    "from tui.entry import main\n"
    "main()\n"
)


def cli_without_extra(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
        env={"NO_COLOR": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )


def test_sandbox_serve_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    r = cli_without_extra("sandbox", "serve", "--plan-dir", str(tmp_path / "m"))
    assert r.returncode == 2, r.stderr
    one_sentence(r.stderr, "[sandbox] extra", "pip install 'migration-wizard[sandbox]'", "scripts/setup.sh")


def test_a_real_migration_runs_without_the_extra(small: Served) -> None:
    folder = str(small.folder)
    for step in (("discover", folder), ("estimate", folder), ("run", folder, "--yes"), ("verify", folder)):
        r = cli_without_extra(*step)
        assert r.returncode == 0, (step, r.stdout[-2000:], r.stderr[-2000:])
    assert small.export("tallyfy")["runs"], "the run wrote nothing"


def test_a_target_alone_is_served_and_the_plan_reaches_the_source_at_its_real_api(tmp_path: Path) -> None:
    s = serve(tmp_path / "only-target", "--systems", "tallyfy", "--rate-scale", "0.01")
    try:
        assert set(s.urls) == {"tallyfy"}
        plan = tomllib.loads((s.folder / "plan.toml").read_text())
        assert plan["source"]["system"] == "trello" and plan["source"]["base_url"] == "https://api.trello.com/1"
        assert plan["source"]["profile"] == "only-target"  # its credential is the consultant's own
        assert plan["target"]["base_url"] == s.urls["tallyfy"] + "/api" and plan["target"]["profile"] == "sandbox"
        assert plan["target"]["organization"]  # the sandbox's own organization
    finally:
        stop(s)


def test_a_system_without_a_sandbox_is_one_sentence(tmp_path: Path) -> None:
    r = cli("sandbox", "serve", "--systems", "trello,jira", "--plan-dir", str(tmp_path / "m"))
    assert r.returncode == 2
    one_sentence(r.stderr, "'jira' has no sandbox", "trello", "tallyfy")
