"""A consultant's first hour, through the real commands: the README's own lines, the demo
that keeps its folder (and its sandboxes' state) in the data directory, a bare folder,
the guards between steps, and what the CLI says when asked for the wrong thing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Served, cli
from wizard.migration import read_state
from wizard.plan import load_plan, save_plan

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    """The lines of the README's first shell block, without their comments."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "the README opens with its two commands"
    return [ln.split("#")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]


def bash(*args: str, home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200", MIGRATION_WIZARD_HOME=str(home))
    return subprocess.run(
        ["bash", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def one_sentence(err: str, *words: str) -> None:
    assert "Traceback" not in err, err[-3000:]
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, err[-3000:]
    flat = " ".join(err[err.index("error:") :].split())
    for w in words:
        assert w in flat, flat


# -- the README ----------------------------------------------------------------------------
def test_the_readme_names_exactly_the_scripts_that_exist_and_ci_runs_the_test_one() -> None:
    cmds = readme_commands()
    assert cmds == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    for c in cmds:
        assert (ROOT / c.split()[1]).is_file(), c
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "bash scripts/test.sh" in [ln.strip() for ln in ci], "CI runs the README's test command"
    last = (ROOT / "scripts" / "test.sh").read_text().rstrip().splitlines()[-1]
    assert last.startswith("exec .venv/bin/python -m pytest -q ") and last.endswith(' "$@"'), last


def test_the_readme_demo_runs_headless_keeps_its_folder_and_reopens_on_the_same_world(tmp_path: Path) -> None:
    demo = readme_commands()[0].split()
    assert demo == ["bash", "scripts/demo.sh"]
    home = tmp_path / "home"
    r = bash(*demo[1:], "--headless", home=home)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    m = re.search(r"^Demo folder: (.+)$", r.stdout, re.M)
    assert m, r.stdout
    folder = Path(m.group(1))
    assert folder.is_relative_to(home), "the demo's folder lives in the user data directory"
    assert f"The demo's folder is kept: {folder}" in r.stdout
    for part in ("plan.toml", "reports/report.md", "logs/run.jsonl", "audit.log", "state/sandboxes.pickle"):
        assert (folder / part).exists(), part
    assert read_state(folder)[0] == "finished"

    # Opened again: the sandboxes come back as they were, so the run finds everything there.
    again = bash(*demo[1:], "--headless", "--workdir", str(folder), home=home)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert re.search(r"Created 0, already there 0, skipped \d+, failed 0", again.stdout), again.stdout
    assert re.search(r"item\s+│\s*([1-9]\d*)\s+│\s*\1\s+│\s*0\s+│\s*0", again.stdout), again.stdout

    # Without its sandboxes' state, the folder is refused rather than run against another world.
    (folder / "state" / "sandboxes.pickle").unlink()
    refused = bash(*demo[1:], "--headless", "--workdir", str(folder), home=home)
    assert refused.returncode == 2
    one_sentence(refused.stderr, "cannot go on against the same data")


# -- a bare folder and the guards ------------------------------------------------------------
def test_discovery_on_a_folder_holding_only_plan_toml(small: Served) -> None:
    for sub in ("state", "logs", "reports"):
        path = small.folder / sub
        if path.exists():
            for p in sorted(path.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            path.rmdir()
    r = cli("discover", str(small.folder))
    assert r.returncode == 0, r.stderr[-3000:]
    assert (small.folder / "state" / "items.jsonl").exists()


def test_sync_after_a_rollback_refuses_with_one_sentence(small: Served) -> None:
    assert cli("run", str(small.folder), "--yes").returncode == 0
    assert cli("rollback", str(small.folder), "--yes").returncode == 0
    before = small.export("tallyfy")
    r = cli("sync", str(small.folder))
    assert r.returncode == 2, r.stdout + r.stderr
    one_sentence(r.stderr, "rolled back")
    assert small.export("tallyfy") == before, "the sync wrote nothing"


def test_a_run_that_fails_is_not_finished(small: Served) -> None:
    small.post("tallyfy", "revoke")
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 2, r.stdout + r.stderr
    assert read_state(small.folder)[0] == "interrupted", "only a run that went through says finished"


def test_estimate_writes_are_the_dry_runs_writes_with_checklists_as_tasks(small: Served) -> None:
    plan = load_plan(small.folder / "plan.toml")
    plan.mapping.checklists = "subtasks"
    save_plan(small.folder / "plan.toml", plan)
    est = json.loads(cli("estimate", str(small.folder), "--json").stdout)
    dry = json.loads(cli("run", str(small.folder), "--dry-run", "--json").stdout)
    assert est["target_writes"] == dry["writes"]
    assert est["target_calls"] and sum(est["target_calls"].values()) == dry["calls"]


# -- what the CLI says -----------------------------------------------------------------------
def test_new_suggests_login_and_connect_next(tmp_path: Path) -> None:
    r = cli("new", str(tmp_path / "acme"), "--profile", "acme")
    assert r.returncode == 0, r.stderr
    flat = r.stdout.replace("\n", " ")
    assert "migration-wizard login acme --system trello" in flat
    assert "--system tallyfy" in flat and f"migration-wizard connect {tmp_path / 'acme'}" in flat
    assert "discover" not in flat


def test_new_prints_its_next_commands_whole_however_long_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / ("a-long-client-name-" * 6) / "acme"
    r = cli("new", str(folder), "--profile", "acme")
    assert r.returncode == 0, r.stderr
    assert "'migration-wizard login acme --system trello' and '... --system tallyfy'" in r.stdout
    assert f"'migration-wizard connect {folder}'" in r.stdout


def test_login_to_an_unknown_system_says_so() -> None:
    r = cli("login", "acme", "--system", "trelo")
    assert r.returncode == 2
    one_sentence(r.stderr, "'trelo' is not a registered system", "trello", "tallyfy")
    assert "terminal" not in r.stderr


def test_no_step_that_writes_runs_while_another_process_holds_the_folder(small: Served) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pathlib import Path; "
                "from wizard.folderlock import folder_lock\n"
                "with folder_lock(Path(sys.argv[1]), 'run'):\n print('held', flush=True); time.sleep(120)"
            ),
            str(small.folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = small.export("tallyfy")
        for args in (("run", "--yes"), ("sync",), ("rollback", "--yes")):
            r = cli(args[0], str(small.folder), *args[1:])
            assert r.returncode == 2, (args, r.stdout + r.stderr)
            one_sentence(r.stderr, "'run' (process", "is working on")
        assert small.export("tallyfy") == before, "nothing was written"
    finally:
        holder.kill()
        holder.wait()
