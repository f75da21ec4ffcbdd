"""Long migrations through the real CLI: `schedule` installs the platform's timer (and takes it
out), the pass it starts records itself, `health` reads the folder into one line each and an
exit code. Every one of these commands is in the audit log. (`--metrics-port`, whose counters
equal the sandboxes' own request counts, is checked on the medium run of test_medium_run.py.)"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.e2e.conftest import CLI, Served, cli
from wizard.cli import build_parser
from wizard.schedulers import name_for


def _commands(folder: Path) -> list[str]:
    return [json.loads(line)["command"] for line in (folder / "audit.log").read_text().splitlines()]


def test_schedule_installs_a_systemd_timer_whose_pass_records_itself_and_remove_takes_it_out(
    small: Served, tmp_path: Path
) -> None:
    folder = small.folder
    assert cli("run", str(folder), "--yes").returncode == 0
    r = cli("health", str(folder))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        r.stdout.splitlines()[0],
        "schedule: ok — none",
        "webhooks: ok — no listener",
    ] and r.stdout.startswith("last run: ok — finished")

    # No systemctl here (an empty PATH): the units are written and the command to enable them said.
    config, empty = tmp_path / "config", tmp_path / "bin"
    empty.mkdir()
    env = {"XDG_CONFIG_HOME": str(config), "PATH": str(empty)}
    r = cli("schedule", str(folder), "--every", "15m", "--via", "systemd", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    name = name_for(folder)
    units = config / "systemd" / "user"
    timer, service = (units / f"{name}.timer").read_text(), (units / f"{name}.service").read_text()
    assert "OnCalendar=*-*-* *:00/15:00" in timer and "Persistent=true" in timer
    assert f'"sync" "{folder.resolve()}" "--scheduled"' in service
    assert f"systemctl --user enable --now {name}.timer" in " ".join(r.stdout.split())

    # What the timer starts: one pass, recorded, with the source's new change written.
    small.post("trello", "mutate", {"fraction": 0.1, "seed": 3})
    r = cli("sync", str(folder), "--scheduled")
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads((folder / "state" / "schedule.json").read_text())
    assert (s["how"], s["every_s"], s["passes"], s["last_exit"]) == ("systemd", 900, 1, 0)
    assert "updated" in s["last_result"]
    r = cli("health", str(folder))
    assert r.returncode == 0 and "schedule: ok — every 15m (systemd); last pass" in r.stdout, r.stdout
    r = cli("sync", str(folder), "--every", "1h")
    assert r.returncode == 2 and "already syncs every 15m by its systemd schedule" in r.stderr, r.stderr

    # A pass that has not run when due is unhealthy, said in its line, exit 1.
    s["last_start"] -= 3 * 900
    (folder / "state" / "schedule.json").write_text(json.dumps(s))
    r = cli("health", str(folder))
    assert r.returncode == 1 and "schedule: FAILING" in r.stdout and "has not run" in r.stdout, r.stdout

    r = cli("schedule", str(folder), "--every", "1h", "--via", "print", env=env)
    assert r.returncode == 0 and "crontab" in r.stdout, r.stdout + r.stderr
    assert not list(units.iterdir()), "one schedule at a time: the timer it replaces is gone"
    r = cli("schedule", str(folder), "--remove", env=env)
    assert r.returncode == 0 and "Remove the migration-wizard line from your crontab" in r.stdout, r.stdout
    assert cli("health", str(folder)).stdout.splitlines()[1] == "schedule: ok — removed"
    r = cli("sync", str(folder), "--scheduled")
    assert r.returncode == 2 and "has no schedule" in r.stderr and "Traceback" not in r.stderr

    assert _commands(folder).count("schedule") == 3 and "scheduled sync" in _commands(folder)
    assert cli("audit", "verify", str(folder)).returncode == 0


def test_schedule_prints_the_line_when_there_is_no_scheduler_and_refuses_bad_input(small: Served) -> None:
    folder = small.folder
    r = cli("schedule", str(folder), "--every", "2h", "--via", "print")
    assert r.returncode == 0, r.stderr
    assert re.search(r"^0 \*/2 \* \* \* .* sync .* --scheduled$", r.stdout, re.M), r.stdout
    for args, says in (
        (("--every", "soon"), "--every 'soon' is not an interval"),
        (("--every", "30s", "--via", "print"), "at most once a minute"),
        (("--every", "1h", "--until", "friday", "--via", "print"), "--until 'friday' is not a date"),
        ((), "Say how often with --every"),
    ):
        r = cli("schedule", str(folder), *args)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    r = cli("health", str(folder.parent / "nowhere"))
    assert r.returncode == 2 and "has no plan.toml" in r.stderr


def test_a_scheduled_pass_after_the_cut_over_does_nothing(small: Served) -> None:
    folder = small.folder
    assert cli("run", str(folder), "--yes").returncode == 0
    assert cli("schedule", str(folder), "--every", "1h", "--until", "2020-01-01", "--via", "print").returncode == 0
    r = cli("sync", str(folder), "--scheduled")
    assert r.returncode == 0 and "cut-over date is reached" in r.stderr, r.stderr
    assert json.loads((folder / "state" / "schedule.json").read_text())["passes"] == 0
    r = cli("sync", str(folder), "--every", "1h", "--until", "2020-01-01")
    assert r.returncode == 0 and "no more passes" in r.stderr, r.stderr
    assert "ended at the cut-over date" in cli("health", str(folder)).stdout


def test_health_says_a_run_cut_off_is_unhealthy(small: Served) -> None:
    folder = small.folder
    proc = subprocess.Popen([*CLI, "run", str(folder), "--yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = folder / "state" / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not journal.exists() or journal.read_bytes().count(b"\n") < 30):
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    r = cli("health", str(folder))
    assert r.returncode == 1, r.stdout
    assert r.stdout.startswith("last run: FAILING — cut off before it finished"), r.stdout


# Commands that add no line, and why: the two checks (a monitor runs them every minute, and
# `audit verify` reads the log it would extend), those that take no migration folder, and the
# TUI (each step taken in it adds its own line through the same facade).
NOT_AUDITED = {"health", "audit", "login", "demo", "sandbox", "schema", "tui"}


def test_every_command_on_a_folder_adds_its_line_to_the_audit_log(small: Served, tmp_path: Path) -> None:
    folder = str(small.folder)
    steps: list[tuple[str, ...]] = [
        ("connect", folder),
        ("discover", folder),
        ("estimate", folder),
        ("run", folder, "--dry-run"),
        ("backup", folder),
        ("backup", "verify", folder),
        ("run", folder, "--yes"),
        ("verify", folder),
        ("conflicts", folder),
        ("report", folder),
        ("sync", folder),
        ("schedule", folder, "--every", "1h", "--via", "print"),
        ("sync", folder, "--scheduled"),
        ("listen", folder, "--port", "0", "--until", "2000-01-01"),  # past the cut-over: its line, then it ends
        ("rollback", folder),
    ]
    for args in steps:
        before = len(_commands(small.folder)) if (small.folder / "audit.log").exists() else 0
        r = cli(*args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        assert len(_commands(small.folder)) > before, f"'{' '.join(args[:1])}' added no line to audit.log"
    new = tmp_path / "other"
    assert cli("new", str(new), "--source", "trello", "--target", "tallyfy").returncode == 0
    assert _commands(new) == ["new"]

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    covered = {args[0] for args in steps} | {"new"}
    assert set(sub.choices) - NOT_AUDITED == covered, "a new command: add it above, or to NOT_AUDITED with why"
    assert cli("audit", "verify", folder).returncode == 0


def test_health_says_a_run_that_quarantined_records_needs_a_look(small: Served) -> None:
    small.post("trello", "corrupt", {})
    run = cli("run", str(small.folder), "--yes")
    assert run.returncode == 1, "finished, a card and what hangs on it quarantined"
    failed = re.search(r"failed (\d+)", run.stdout)
    assert failed and int(failed.group(1)) > 0, run.stdout
    r = cli("health", str(small.folder))
    assert r.returncode == 1, r.stdout
    assert r.stdout.startswith(f"last run: FAILING — finished with {failed.group(1)} record(s) quarantined"), r.stdout
