"""The schedule's arithmetic and the platforms' scheduler files: intervals, cut-over dates, when
the next pass is due (a pass cut off part-way is due at once), and the systemd, launchd, cron
and Task Scheduler forms of one interval."""

from __future__ import annotations

import asyncio
import json
import plistlib
import sys
from pathlib import Path

import pytest

from wizard import schedulers
from wizard.errors import Interrupted, SystemUnavailable, UserError
from wizard.every import keep_in_step
from wizard.schedule import (
    Schedule,
    interval_words,
    parse_interval,
    parse_until,
    plan,
    read_schedule,
    write_schedule,
)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), (" 5 m ", 300)]
)
def test_intervals_are_read_in_seconds(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "fast", "1h and a bit", "0m", "-5m", "1w"])
def test_an_interval_that_is_not_one_is_one_sentence(text: str) -> None:
    with pytest.raises(UserError) as e:
        parse_interval(text)
    assert e.value.sentence.startswith("--every") and e.value.sentence.endswith(".")


def test_a_cut_over_date_is_a_moment_and_a_bad_one_is_one_sentence() -> None:
    assert parse_until("2026-12-01T00:00:00+00:00") == 1796083200.0
    with pytest.raises(UserError, match="--until 'next friday' is not a date"):
        parse_until("next friday")


def test_interval_words_round_trip() -> None:
    for text in ("1m30s", "15m", "1h", "1h30m", "2d", "59s"):
        assert interval_words(parse_interval(text)) == text
    assert parse_interval(interval_words(3661)) == 3661


def test_the_next_pass_follows_the_last_one_and_a_cut_off_pass_is_due_at_once() -> None:
    now = 1_000_000.0
    s = Schedule(every_s=900, how="systemd", installed_at=now - 100)
    assert s.next_run(now) == now + 800, "the first pass one interval after installing"
    assert Schedule(every_s=900, how="loop", installed_at=now).next_run(now) == now, "a loop starts with a pass"
    done = s.model_copy(update={"last_start": now - 60, "last_end": now - 50, "last_exit": 0})
    assert done.next_run(now) == now + 840
    cut = s.model_copy(update={"last_start": now - 3000, "last_end": None})
    assert cut.next_run(now) == now, "killed mid-pass: the next start finishes it at once"
    late = done.model_copy(update={"last_start": now - 5000})
    assert late.next_run(now) == now - 4100, "a pass missed while asleep is overdue, so it runs on waking"


def test_no_pass_after_the_cut_over_nor_once_removed() -> None:
    now = 1_000_000.0
    s = Schedule(every_s=3600, how="systemd", installed_at=now, until=now + 1800)
    assert s.next_run(now) is None and not s.ended(now) and s.ended(now + 1800)
    assert Schedule(every_s=60, active=False).next_run(now) is None


def test_the_record_survives_a_damaged_file(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    write_schedule(tmp_path, Schedule(every_s=60, passes=3))
    assert read_schedule(tmp_path) == Schedule(every_s=60, passes=3)
    (tmp_path / "state" / "schedule.json").write_text("{not json")
    assert read_schedule(tmp_path) is None


def test_systemd_units_run_one_scheduled_pass_and_catch_up_after_sleep(tmp_path: Path) -> None:
    folder = tmp_path / "acme 100%"
    units = schedulers.systemd_units(folder, 900)
    name = schedulers.name_for(folder)
    assert set(units) == {f"{name}.service", f"{name}.timer"}
    timer, service = units[f"{name}.timer"], units[f"{name}.service"]
    assert "OnCalendar=*-*-* *:00/15:00" in timer and "Persistent=true" in timer
    assert f"Unit={name}.service" in timer and "WantedBy=timers.target" in timer
    assert "Type=oneshot" in service
    exec_line = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert exec_line.endswith(f'"sync" "{str(folder.resolve()).replace("%", "%%")}" "--scheduled"'), exec_line
    assert exec_line.startswith(f'ExecStart="{sys.executable}"')
    odd = schedulers.systemd_units(folder, 7 * 60)[f"{name}.timer"]
    assert "OnUnitActiveSec=420s" in odd and "OnCalendar" not in odd, "7 minutes does not divide an hour"
    assert "OnCalendar=*-*-* 00/6:00:00" in schedulers.systemd_units(folder, 6 * 3600)[f"{name}.timer"]


def test_two_folders_of_one_name_get_two_units(tmp_path: Path) -> None:
    a, b = schedulers.name_for(tmp_path / "x" / "acme"), schedulers.name_for(tmp_path / "y" / "acme")
    assert a != b and a.startswith("migration-wizard-acme-")


def test_launchd_plist_runs_at_load_every_interval(tmp_path: Path) -> None:
    plist = plistlib.loads(schedulers.launchd_plist(tmp_path, 3600))
    assert plist["StartInterval"] == 3600 and plist["RunAtLoad"] is True
    assert plist["ProgramArguments"][-3:] == ["sync", str(tmp_path.resolve()), "--scheduled"]
    assert plist["Label"] == f"com.{schedulers.name_for(tmp_path)}"


def test_cron_and_task_scheduler_say_what_they_can() -> None:
    folder = Path("/srv/mig/acme")
    assert schedulers.cron_line(folder, 900).startswith("*/15 * * * * ")
    assert schedulers.cron_line(folder, 7200).startswith("0 */2 * * * ")
    assert schedulers.cron_line(folder, 86400).startswith("0 0 * * * ")
    assert schedulers.cron_line(folder, 7 * 60) is None
    create = schedulers.schtasks_create(folder, 900)
    assert create is not None and create[create.index("/SC") : create.index("/SC") + 4] == [
        "/SC",
        "MINUTE",
        "/MO",
        "15",
    ]
    assert schedulers.schtasks_create(folder, 90) is None


def test_a_schedule_runs_at_most_once_a_minute(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="at most once a minute"):
        schedulers.install(tmp_path, 30, "print")


def test_printing_the_line_installs_nothing(tmp_path: Path) -> None:
    done = schedulers.install(tmp_path, 3600, "print")
    assert done.how == "printed" and "crontab" in done.says and "--scheduled" in done.says
    assert not list(tmp_path.iterdir()), "nothing written"


async def test_the_loop_goes_on_past_a_failed_pass_and_stops_when_the_schedule_is_taken_out(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    s = plan(tmp_path, 1, None, "loop")
    results: list[tuple[int, str] | UserError] = [SystemUnavailable("The target keeps failing."), (0, "updated 2")]

    seen_while_running: list[int | None] = []

    async def one_pass() -> tuple[int, str]:
        seen_while_running.append(read_schedule(tmp_path).last_exit)  # type: ignore[union-attr]
        outcome = results.pop(0) if results else (0, "nothing changed")
        if not results:  # the third pass: meanwhile, 'schedule --remove'
            write_schedule(tmp_path, read_schedule(tmp_path).model_copy(update={"active": False}))  # type: ignore[union-attr]
        if isinstance(outcome, UserError):
            raise outcome
        return outcome

    said: list[str] = []
    assert await keep_in_step(tmp_path, s, one_pass, asyncio.Event(), said.append) == 0
    after = read_schedule(tmp_path)
    assert after is not None and after.active is False, "the pass that ran meanwhile did not put it back"
    assert after.passes == 2 and after.last_exit == 0 and after.last_result == "updated 2"
    assert said[0] == "Pass 1: The target keeps failing." and said[-1] == "The schedule was taken out; no more passes."
    lines = [json.loads(x)["details"]["exit"] for x in (tmp_path / "audit.log").read_text().splitlines()]
    assert lines == [3, 0], "each pass has its audit line, with its exit code"
    assert seen_while_running == [None, 3], "while a pass runs, the record still says how the one before ended"


async def test_a_stop_between_passes_is_a_safe_point(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    stop = asyncio.Event()

    async def one_pass() -> tuple[int, str]:
        asyncio.get_running_loop().call_later(0.2, stop.set)
        return 0, "updated 1"

    with pytest.raises(Interrupted, match="Stopped between passes"):
        await keep_in_step(tmp_path, plan(tmp_path, 3600, None, "loop"), one_pass, stop, lambda _: None)
    assert read_schedule(tmp_path).passes == 1  # type: ignore[union-attr]
