"""`schedule DIR --every 1h` the platform's way: a systemd user timer (Linux), a launchd agent
(macOS), a Task Scheduler task (Windows), or the crontab line to add when none of them can be
reached. Each starts `sync DIR --scheduled`, one pass, which records itself in
state/schedule.json (wizard/every.py). `schedule --remove` takes it out again.

A scheduler's start is caught up after sleep or a reboot: the systemd timer is `Persistent`
(a missed time runs at boot), launchd runs a missed interval on wake and at load
(`RunAtLoad`), and a pass cut off part-way is finished by the next one (the journal).
"""

from __future__ import annotations

import hashlib
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_path

from wizard.errors import UserError
from wizard.schedule import How, interval_words

VIAS = ("auto", "systemd", "launchd", "schtasks", "print")


@dataclass(frozen=True)
class Installed:
    how: How
    where: str  # the unit, plist or task the platform knows it by ("" when printed)
    says: str  # what was done, or the line to add, for the consultant


def command(folder: Path) -> list[str]:
    """The scheduled pass: this Python, this installation, the folder's absolute path."""
    return [sys.executable, "-m", "wizard.cli", "sync", str(Path(folder).resolve()), "--scheduled"]


def name_for(folder: Path) -> str:
    """A name the platform keeps apart per folder: two folders of the same name differ by their path's hash."""
    path = str(Path(folder).resolve())
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).name).strip("-")[:40] or "migration"
    return f"migration-wizard-{slug}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def auto_via() -> str:
    if sys.platform == "win32":
        return "schtasks"
    if sys.platform == "darwin":
        return "launchd"
    if shutil.which("systemctl") and _run(["systemctl", "--user", "show-environment"]) is None:
        return "systemd"
    return "print"


def _run(args: list[str]) -> str | None:
    """Run a scheduler's own command; None when it worked, else why not (one clause)."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{args[0]} could not be run ({e})"
    if done.returncode:
        return (
            (done.stderr or done.stdout).strip().splitlines()[-1:][0]
            if (done.stderr or done.stdout).strip()
            else (f"{args[0]} exited {done.returncode}")
        )
    return None


# -- cron (printed) ------------------------------------------------------------------------
def cron_line(folder: Path, every_s: int) -> str | None:
    """The crontab line, when cron can say the interval (minutes dividing an hour, hours dividing a day)."""
    cmd = shlex.join(command(folder))
    minutes, hours = every_s // 60, every_s // 3600
    if every_s % 60 == 0 and minutes < 60 and 60 % minutes == 0:
        return f"*/{minutes} * * * * {cmd}"
    if every_s % 3600 == 0 and hours < 24 and 24 % hours == 0:
        return f"0 */{hours} * * * {cmd}"
    if every_s == 86400:
        return f"0 0 * * * {cmd}"
    return None


def _printed(folder: Path, every_s: int, why: str = "") -> Installed:
    line = cron_line(folder, every_s)
    lead = f"{why}; " if why else ""
    if line is None:
        loop = shlex.join(["migration-wizard", "sync", str(Path(folder).resolve()), "--every", interval_words(every_s)])
        return Installed(
            "printed",
            "",
            f"{lead}cron cannot say every {interval_words(every_s)}; run this under a "
            f"process supervisor instead:\n{loop}",
        )
    return Installed("printed", "", f"{lead}add this line to your crontab ('crontab -e'):\n{line}")


# -- systemd ---------------------------------------------------------------------------------
def _systemd_dir() -> Path:
    return user_config_path("systemd", appauthor=False, roaming=False) / "user"


def on_calendar(every_s: int) -> str | None:
    minutes, hours = every_s // 60, every_s // 3600
    if every_s % 60 == 0 and minutes < 60 and 60 % minutes == 0:
        return f"*-*-* *:00/{minutes}:00"
    if every_s % 3600 == 0 and hours <= 24 and 24 % hours == 0:
        return f"*-*-* 00/{hours}:00:00" if hours < 24 else "*-*-* 00:00:00"
    return None


def _systemd_quote(arg: str) -> str:
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$") + '"'


def systemd_units(folder: Path, every_s: int) -> dict[str, str]:
    """The service and timer files, by file name."""
    name, path = name_for(folder), str(Path(folder).resolve())
    calendar = on_calendar(every_s)
    when = f"OnCalendar={calendar}\nPersistent=true\n" if calendar else f"OnBootSec=2min\nOnUnitActiveSec={every_s}s\n"
    service = (
        f"[Unit]\nDescription=migration-wizard: sync {_systemd_quote(path)}\n\n"
        "[Service]\nType=oneshot\n"
        f"EnvironmentFile=-%h/.config/migration-wizard/{name}.env\n"
        f"ExecStart={' '.join(map(_systemd_quote, command(folder)))}\n"
    )
    timer = (
        f"[Unit]\nDescription=migration-wizard: sync every {interval_words(every_s)}\n\n"
        f"[Timer]\n{when}AccuracySec=1min\nUnit={name}.service\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{name}.service": service, f"{name}.timer": timer}


def _systemd_install(folder: Path, every_s: int) -> Installed:
    where = _systemd_dir()
    name = name_for(folder)
    try:
        where.mkdir(parents=True, exist_ok=True)
        for file, text in systemd_units(folder, every_s).items():
            (where / file).write_text(text, "utf-8")
    except OSError as e:
        raise UserError(f"Cannot write the systemd units into {where} ({e.strerror}).") from None
    enable = ["systemctl", "--user", "enable", "--now", f"{name}.timer"]
    why = (
        "systemctl is not on PATH"
        if not shutil.which("systemctl")
        else (_run(["systemctl", "--user", "daemon-reload"]) or _run(enable))
    )
    if why:
        return Installed(
            "systemd",
            name,
            f"Wrote {where / name}.timer and .service, but {why}; enable it with:\n{shlex.join(enable)}",
        )
    return Installed(
        "systemd", name, f"Installed the systemd user timer {name}.timer (every {interval_words(every_s)})."
    )


def _systemd_remove(name: str) -> str:
    where = _systemd_dir()
    why = _run(["systemctl", "--user", "disable", "--now", f"{name}.timer"]) if shutil.which("systemctl") else None
    for ext in (".timer", ".service"):
        (where / f"{name}{ext}").unlink(missing_ok=True)
    if shutil.which("systemctl"):
        _run(["systemctl", "--user", "daemon-reload"])
    return f"Removed the systemd user timer {name}.timer" + (f" ({why})." if why else ".")


# -- launchd ---------------------------------------------------------------------------------
def _launchd_path(name: str) -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"com.{name}.plist"


def launchd_plist(folder: Path, every_s: int) -> bytes:
    name = name_for(folder)
    log = str(Path(folder).resolve() / "logs" / "scheduled.log")
    return plistlib.dumps(
        {
            "Label": f"com.{name}",
            "ProgramArguments": command(folder),
            "StartInterval": every_s,
            "RunAtLoad": True,
            "StandardOutPath": log,
            "StandardErrorPath": log,
        }
    )


def _launchd_install(folder: Path, every_s: int) -> Installed:
    name = name_for(folder)
    path = _launchd_path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(launchd_plist(folder, every_s))
    except OSError as e:
        raise UserError(f"Cannot write {path} ({e.strerror}).") from None
    load = ["launchctl", "load", "-w", str(path)]
    why = _run(load) if shutil.which("launchctl") else "launchctl is not on PATH"
    if why:
        return Installed("launchd", name, f"Wrote {path}, but {why}; load it with:\n{shlex.join(load)}")
    return Installed("launchd", name, f"Installed the launchd agent com.{name} (every {interval_words(every_s)}).")


def _launchd_remove(name: str) -> str:
    path = _launchd_path(name)
    if shutil.which("launchctl") and path.exists():
        _run(["launchctl", "unload", "-w", str(path)])
    path.unlink(missing_ok=True)
    return f"Removed the launchd agent com.{name}."


# -- Task Scheduler --------------------------------------------------------------------------
def schtasks_create(folder: Path, every_s: int) -> list[str] | None:
    minutes = every_s // 60
    if every_s % 60 or not (1 <= minutes <= 1439 or minutes == 1440):
        return None
    how = ["/SC", "DAILY"] if minutes == 1440 else ["/SC", "MINUTE", "/MO", str(minutes)]
    return [
        "schtasks",
        "/Create",
        "/F",
        "/TN",
        f"migration-wizard\\{name_for(folder)}",
        *how,
        "/TR",
        subprocess.list2cmdline(command(folder)),
    ]


def _schtasks_install(folder: Path, every_s: int) -> Installed:
    create = schtasks_create(folder, every_s)
    if create is None:
        return _printed(folder, every_s, f"Task Scheduler cannot say every {interval_words(every_s)}")
    name = name_for(folder)
    why = _run(create) if sys.platform == "win32" and shutil.which("schtasks") else "this is not Windows"
    if why:
        return Installed("schtasks", name, f"{why}; create the task with:\n{subprocess.list2cmdline(create)}")
    return Installed("schtasks", name, f"Installed the scheduled task migration-wizard\\{name}.")


def _schtasks_remove(name: str) -> str:
    if sys.platform == "win32" and shutil.which("schtasks"):
        _run(["schtasks", "/Delete", "/F", "/TN", f"migration-wizard\\{name}"])
    return f"Removed the scheduled task migration-wizard\\{name}."


# -- the two commands ------------------------------------------------------------------------
def install(folder: Path, every_s: int, via: str = "auto") -> Installed:
    if every_s < 60:
        raise UserError("A schedule runs at most once a minute; use 'sync --every' for shorter intervals.")
    via = auto_via() if via == "auto" else via
    if via == "systemd":
        return _systemd_install(folder, every_s)
    if via == "launchd":
        return _launchd_install(folder, every_s)
    if via == "schtasks":
        return _schtasks_install(folder, every_s)
    return _printed(folder, every_s)


def remove(folder: Path, how: How, where: str) -> str:
    if how == "systemd":
        return _systemd_remove(where or name_for(folder))
    if how == "launchd":
        return _launchd_remove(where or name_for(folder))
    if how == "schtasks":
        return _schtasks_remove(where or name_for(folder))
    if how == "printed":
        return "Remove the migration-wizard line from your crontab ('crontab -e'); the folder no longer counts on it."
    return "The 'sync --every' loop stops at its next look at the schedule."
