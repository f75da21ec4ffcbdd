"""The demo's sandboxes are kept with its folder: restored exactly, never when the folder
went on after they were saved, and never from a file that names anything but their state."""

from __future__ import annotations

import pickle
from pathlib import Path

import httpx
import pytest

from wizard.demo import demo
from wizard.errors import UserError
from wizard.migration import Migration
from wizard.plan import Plan, Source, Target
from wizard.sandboxes import STATE_FILE, load_states, save_states, start_sandboxes


def _journal(folder: Path, text: str) -> None:
    (folder / "state").mkdir(parents=True, exist_ok=True)
    with open(folder / "state" / "journal.jsonl", "a") as f:
        f.write(text)


def test_saved_sandboxes_come_back_as_they_were(tmp_path: Path) -> None:
    _journal(tmp_path, '{"op":"meta"}\n')
    with start_sandboxes(seed=1, scale="small", rate_scale=0.01) as running:
        httpx.post(f"{running.urls['trello']}/_sandbox/mutate", json={"fraction": 0.2, "seed": 3}, timeout=30)
        before = {name: running.sandbox(name).export() for name in running.servers}
        org = running.sandbox("tallyfy").org_id
        save_states(running, tmp_path)
    states = load_states(tmp_path)
    assert states is not None
    with start_sandboxes(seed=1, scale="small", rate_scale=0.01, states=states) as again:
        assert {name: again.sandbox(name).export() for name in again.servers} == before
        assert again.plan().target.organization == org
    with start_sandboxes(seed=1, scale="small", rate_scale=0.01) as fresh:
        assert fresh.sandbox("trello").export() != before["trello"], "the saved world differed from a fresh one"


def test_a_folder_that_went_on_after_the_save_is_not_restored(tmp_path: Path) -> None:
    _journal(tmp_path, '{"op":"meta"}\n')
    with start_sandboxes(seed=1, scale="small", rate_scale=0.01) as running:
        save_states(running, tmp_path)
    assert load_states(tmp_path) is not None
    _journal(tmp_path, '{"op":"done"}\n')  # a run went on, and the sandboxes were not saved after it
    assert load_states(tmp_path) is None


def test_a_state_file_naming_another_class_is_refused(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "ran",))

    (tmp_path / "state").mkdir()
    (tmp_path / "state" / STATE_FILE).write_bytes(pickle.dumps({"journal_bytes": 0, "states": {"x": Boom()}}))
    assert load_states(tmp_path) is None
    assert not (tmp_path / "ran").exists(), "nothing in the file was run"


def test_the_demo_never_points_a_real_migration_at_its_sandboxes(tmp_path: Path) -> None:
    plan = Plan(
        name="acme",
        source=Source(system="trello", base_url="https://api.trello.com/1", profile="acme"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="acme", organization="org1"),
    )
    Migration.create(tmp_path / "acme", plan).close()
    before = (tmp_path / "acme" / "plan.toml").read_text()
    with pytest.raises(UserError, match="is not a demo's folder"):
        with demo(tmp_path / "acme"):
            pass
    assert (tmp_path / "acme" / "plan.toml").read_text() == before
