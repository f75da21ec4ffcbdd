"""What opening a migration and starting the TUI import (issue 19: the mapping screen < 1 s cold).
Each module named here costs a tenth of a second or more to import and is not needed before the
first frame; a fresh interpreter shows what an import brings, so each check runs in one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NOT_AT_START = (
    "httpx",  # the HTTP stack: no call is made before the first frame
    "jwt",  # PyJWT with cryptography: only `listen` verifies monday.com's deliveries
    "wizard.backup",  # the archive's reader and writer: the app needs only its layout (wizard.backup_layout)
    "wizard.engine.executor",
    "wizard.engine.estimate",
    "tui.screens.estimate",
    "tui.screens.conflicts",
    "tui.screens.progress",
    "tui.screens.report",
)


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_the_app_and_a_migration_load_without_the_run_or_the_other_screens() -> None:
    loaded = loaded_after("import tui.app, wizard.migration")
    assert "tui.app" in loaded and "wizard.migration" in loaded
    assert sorted(m for m in NOT_AT_START if m in loaded) == []


def test_a_plan_loads_without_the_source_contracts() -> None:
    loaded = loaded_after("import wizard.plan")
    assert "wizard.plan" in loaded
    assert sorted(m for m in ("httpx", "wizard.adapter", "wizard.quality") if m in loaded) == []


def test_the_mapping_screen_loads_without_the_report_or_a_selection_list() -> None:
    # its Losses and Quality tabs read the inventory (wizard.engine.container_notes); the report
    # brings verification and the discovery engine, and keyboard focus needs no SelectionList
    loaded = loaded_after("import tui.app, tui.screens.mapping")
    assert "tui.screens.mapping" in loaded and "wizard.engine.container_notes" in loaded
    unwanted = ("wizard.engine.report", "wizard.engine.verify", "textual.widgets._selection_list")
    assert sorted(m for m in unwanted if m in loaded) == []
