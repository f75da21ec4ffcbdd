"""Secrets live in the keyring or the environment, never in what the tool writes: the plan,
the store, the journal, logs, reports, the audit log. A full run with credentials from
environment variables, then every file of the migration folder is searched for them."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Served, cli
from wizard.plan import load_plan, save_plan
from wizard.secrets import SANDBOX_CREDENTIALS


def test_credentials_from_the_environment_are_never_written(small: Served) -> None:
    plan = load_plan(small.folder)
    plan.source.profile = plan.target.profile = "acme"
    save_plan(small.folder, plan)
    env = {
        "MW_ACME_TRELLO_KEY": SANDBOX_CREDENTIALS["trello"]["key"],
        "MW_ACME_TRELLO_TOKEN": SANDBOX_CREDENTIALS["trello"]["token"],
        "MW_ACME_TALLYFY_TOKEN": SANDBOX_CREDENTIALS["tallyfy"]["token"],
    }
    for args in (("discover",), ("estimate",), ("run", "--yes"), ("verify",), ("report",), ("rollback",)):
        r = cli(*args[:1], str(small.folder), *args[1:], env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        for secret in env.values():
            assert secret not in r.stdout + r.stderr
    files = [p for p in small.folder.rglob("*") if p.is_file()]
    assert any(p.name == "journal.jsonl" for p in files) and any(p.suffix == ".md" for p in files)
    for p in files:
        data = p.read_bytes()
        for secret in env.values():
            assert secret.encode() not in data, f"{p.relative_to(small.folder)} holds a secret"


def test_a_missing_credential_names_the_variables_to_set(small: Served) -> None:
    plan = load_plan(small.folder)
    plan.target.profile = "nobody"
    save_plan(small.folder, plan)
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 2
    assert "MW_NOBODY_TALLYFY_TOKEN" in r.stderr and "Traceback" not in r.stderr
    assert (
        not Path(small.folder, "state", "journal.jsonl").exists()
        or "intent" not in Path(small.folder, "state", "journal.jsonl").read_text()
    )
