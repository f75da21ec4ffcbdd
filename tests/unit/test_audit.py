import json
from pathlib import Path

from wizard.audit import audit, check_chain


def test_chain_holds_and_an_edited_line_shows(tmp_path: Path) -> None:
    for cmd in ("new", "discover", "run"):
        audit(tmp_path, cmd, dry_run=False)
    assert check_chain(tmp_path) is None
    lines = (tmp_path / "audit.log").read_text().splitlines()
    entry = json.loads(lines[1])
    entry["command"] = "rollback"
    lines[1] = json.dumps(entry, sort_keys=True)
    (tmp_path / "audit.log").write_text("\n".join(lines) + "\n")
    assert check_chain(tmp_path) == 2


def test_a_deleted_line_shows(tmp_path: Path) -> None:
    for cmd in ("new", "discover", "run"):
        audit(tmp_path, cmd)
    lines = (tmp_path / "audit.log").read_text().splitlines()
    (tmp_path / "audit.log").write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert check_chain(tmp_path) == 2
