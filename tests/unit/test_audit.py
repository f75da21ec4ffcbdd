import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.audit import audit, check_chain
from wizard.secrets import audit_key

KEY = "k" * 32


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("MW_DEFAULT_AUDIT_KEY", KEY)
    audit_key.cache_clear()


def lines(folder: Path) -> list[str]:
    return (folder / "audit.log").read_text().splitlines()


def write(folder: Path, rows: list[str], end: str = "\n") -> None:
    (folder / "audit.log").write_text("\n".join(rows) + end)


def test_chain_holds_and_an_edited_line_shows(tmp_path: Path) -> None:
    for cmd in ("new", "discover", "run"):
        audit(tmp_path, cmd, dry_run=False)
    assert check_chain(tmp_path) is None
    rows = lines(tmp_path)
    entry = json.loads(rows[1])
    entry["command"] = "rollback"
    rows[1] = json.dumps(entry, sort_keys=True)
    write(tmp_path, rows)
    assert check_chain(tmp_path) == (2, "was changed or was not written by this tool (its signature does not match)")


def test_a_deleted_line_shows(tmp_path: Path) -> None:
    for cmd in ("new", "discover", "run"):
        audit(tmp_path, cmd)
    rows = lines(tmp_path)
    write(tmp_path, [rows[0], rows[2]])
    assert check_chain(tmp_path)[0] == 2


def test_an_appended_line_with_a_recomputed_plain_hash_is_a_forgery(tmp_path: Path) -> None:
    for cmd in ("new", "run"):
        audit(tmp_path, cmd)
    last = json.loads(lines(tmp_path)[-1])
    forged = {"ts": last["ts"], "command": "rollback", "details": {}, "prev": last["hash"], "keyed": True}
    forged["hash"] = hashlib.sha256(json.dumps(forged, sort_keys=True).encode()).hexdigest()
    write(tmp_path, lines(tmp_path) + [json.dumps(forged, sort_keys=True)])
    assert check_chain(tmp_path)[0] == 3
    forged["keyed"] = False
    write(tmp_path, lines(tmp_path)[:2] + [json.dumps(forged, sort_keys=True)])
    assert check_chain(tmp_path) == (3, "is not signed with the audit key")


def test_a_truncated_last_line_shows_and_the_chain_does_not_restart(tmp_path: Path) -> None:
    for cmd in ("new", "run"):
        audit(tmp_path, cmd)
    data = (tmp_path / "audit.log").read_bytes()
    (tmp_path / "audit.log").write_bytes(data[:-20])
    assert check_chain(tmp_path) == (2, "is cut short")
    audit(tmp_path, "verify")
    rows = lines(tmp_path)
    assert len(rows) == 3 and json.loads(rows[2])["prev"] == json.loads(rows[0])["hash"], (
        "chained to the last whole line"
    )
    assert check_chain(tmp_path)[0] == 2, "the cut line still shows"


def test_the_key_is_never_in_the_folder_and_another_key_fails(tmp_path: Path) -> None:
    audit(tmp_path, "new")
    assert KEY not in (tmp_path / "audit.log").read_text()
    assert check_chain(tmp_path) is None
    assert check_chain(tmp_path, key=b"another key")[0] == 1


def test_audit_verify_command_says_whole_or_names_the_line(tmp_path: Path) -> None:
    for cmd in ("new", "run", "verify"):
        audit(tmp_path, cmd)

    def verify() -> subprocess.CompletedProcess:
        r = subprocess.run(
            [sys.executable, "-c", "from tui.entry import main; main()", "audit", "verify", str(tmp_path)],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        r.stdout, r.stderr = " ".join(r.stdout.split()), " ".join(r.stderr.split())
        return r

    r = verify()
    assert r.returncode == 0 and "3 line(s), each whole, signed" in r.stdout, r.stdout + r.stderr
    (tmp_path / "audit.log").write_bytes((tmp_path / "audit.log").read_bytes()[:-5])
    r = verify()
    assert r.returncode == 1 and "line 3 of" in r.stderr and "is cut short" in r.stderr, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
