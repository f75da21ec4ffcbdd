"""Issue 10: nothing lost silently. The real CLI against the sandboxes' new shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Served, cli, serve, stop
from wizard.plan import load_plan, save_plan


@pytest.mark.parametrize("systems", ["tallyfy", "trello", "trello,tallyfy"])
def test_sandbox_serve_any_subset_of_systems(tmp_path: Path, systems: str) -> None:
    s = serve(tmp_path / "mig", "--systems", systems, "--rate-scale", "0.01")
    try:
        assert set(s.urls) == set(systems.split(","))
        plan = load_plan(tmp_path / "mig" / "plan.toml")
        for system, endpoint in (("trello", plan.source), ("tallyfy", plan.target)):
            if system in s.urls:
                assert endpoint.base_url.startswith(s.urls[system]) and endpoint.profile == "sandbox"
            else:
                assert endpoint.base_url.startswith("https://") and endpoint.profile == "mig"
    finally:
        stop(s)


def test_one_bad_file_is_quarantined_and_the_run_goes_on_then_run_again_retries_it(small: Served) -> None:
    plan = load_plan(small.folder)
    plan.limits.max_retries = 2
    save_plan(small.folder, plan)
    trx = small.export("trello")
    visible = {c["id"] for b in trx["boards"] for c in b["cards"] if c["visible"]}
    uploads = [a for b in trx["boards"] for a in b["attachments"] if a["isUpload"] and a["card_id"] in visible]
    bad = uploads[0]
    small.post("trello", "corrupt", {"mode": "bad_file", "attachment_id": bad["id"]})
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 1, r.stdout + r.stderr  # finished, with a quarantined record
    assert "Traceback" not in r.stderr and "stopped asking" not in r.stdout + r.stderr
    assets = [x for run in small.export("tallyfy")["runs"] for x in run.get("assets", [])]
    assert len(assets) == len(uploads) - 1, "every other file arrived"
    assert cli("report", str(small.folder)).returncode == 0
    report = json.loads((small.folder / "reports" / "report.json").read_text())
    [q] = [q for q in report["quarantined"] if q["kind"] == "attachment"]
    assert q["key"] == f"trello:attachment:{bad['id']}" and "kept failing on its download" in q["reason"]
    assert f"trello:attachment:{bad['id']}" in (small.folder / "reports" / "report.md").read_text()

    small.post("trello", "corrupt", {"mode": "good_file", "attachment_id": bad["id"]})
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assets = [x for run in small.export("tallyfy")["runs"] for x in run.get("assets", [])]
    assert len(assets) == len(uploads) and bad["fileName"] in {x["filename"] for x in assets}
