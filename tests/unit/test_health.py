"""`health`'s schedule and webhook lines from the folder alone: a pass overdue or failed, a
listener gone quiet or stopped, each says so and makes the folder unhealthy."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard import health
from wizard.errors import UserError
from wizard.schedule import Schedule, write_schedule

NOW = 1_800_000_000.0


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    (tmp_path / "plan.toml").write_text("")
    return tmp_path


def test_webhooks_healthy_while_the_listener_beats(folder: Path) -> None:
    assert health.webhooks(folder, NOW) == health.Check("webhooks", True, "no listener")
    health.listener_beat(folder, now=NOW - 30)
    assert health.webhooks(folder, NOW).ok
    quiet = health.webhooks(folder, NOW + health.LISTEN_STALE_S)
    assert not quiet.ok and "last heard from" in quiet.says
    health.listener_beat(folder, "Trello refused the webhook's callback URL.", now=NOW)
    assert health.webhooks(folder, NOW) == health.Check("webhooks", False, "Trello refused the webhook's callback URL.")
    (folder / "state" / health.LISTEN_FILE).write_text("{")
    assert not health.webhooks(folder, NOW).ok


def test_schedule_overdue_or_failed_is_unhealthy(folder: Path) -> None:
    ok = Schedule(
        every_s=900, how="systemd", installed_at=NOW - 3000, last_start=NOW - 600, last_end=NOW - 590, last_exit=0
    )
    write_schedule(folder, ok)
    assert health.schedule(folder, NOW).ok
    write_schedule(folder, ok.model_copy(update={"last_start": NOW - 2000, "last_end": NOW - 1990}))
    late = health.schedule(folder, NOW)
    assert not late.ok and "has not run" in late.says
    write_schedule(folder, ok.model_copy(update={"last_exit": 3, "last_result": "Tallyfy keeps failing."}))
    failed = health.schedule(folder, NOW)
    assert not failed.ok and failed.says.endswith("failed: Tallyfy keeps failing.")
    write_schedule(
        folder, ok.model_copy(update={"last_exit": 3, "last_result": "Tallyfy keeps failing.", "last_end": None})
    )
    rerun = health.schedule(folder, now=NOW)
    assert not rerun.ok and "still running; the one before failed: Tallyfy keeps failing." in rerun.says
    write_schedule(folder, ok.model_copy(update={"until": NOW - 1, "last_start": NOW - 9000}))
    assert health.schedule(folder, NOW).ok, "after the cut-over, no pass is due"


def test_not_a_migration_folder_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"has no plan\.toml"):
        health.summary(tmp_path)
