"""A migration folder holds card names, emails and comment text: everything in it is its
owner's alone, files 0600 and directories 0700 (issue 11, item 10)."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.e2e.conftest import Served, cli


def modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*")}


def test_every_file_is_0600_and_every_directory_0700(small: Served, tmp_path: Path) -> None:
    folder = small.folder
    for args in (("discover",), ("run", "--yes"), ("verify",), ("report",), ("run", "--dry-run")):
        r = cli(args[0], str(folder), *args[1:])
        assert r.returncode == 0, r.stderr
    found = modes(folder)
    for name in (
        "state/store.json",
        "state/journal.jsonl",
        "state/items.jsonl",
        "logs/run.jsonl",
        "reports/report.md",
        "audit.log",
    ):
        assert name in found, sorted(found)
    wrong = {name: oct(mode) for name, mode in found.items() if mode != (0o700 if (folder / name).is_dir() else 0o600)}
    assert not wrong, wrong
    r = cli("audit", "verify", str(folder))  # and the audit trail of all that is whole and signed
    assert r.returncode == 0 and "signed" in r.stdout, r.stdout + r.stderr

    r = cli("new", str(tmp_path / "fresh"), "--organization", "o1")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    assert set(modes(tmp_path / "fresh").values()) <= {0o600, 0o700}
