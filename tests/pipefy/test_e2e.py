"""The contract the checks use, through the real CLI: `sandbox serve --systems pipefy,tallyfy`
writes a working plan; the estimate says Pipefy's rate limit is assumed; `run` brings every
card, comment and file of the manifest into Tallyfy exactly once (by source_ref); a second run
adds nothing; a no-change sync writes nothing, a change is synced; `rollback` leaves none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import views
from tests.e2e.conftest import cli, serve, stop


@pytest.mark.slow
def test_pipefy_into_tallyfy_once_again_nothing_and_rolled_back(tmp_path: Path) -> None:
    s = serve(tmp_path / "p", "--systems", "pipefy,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        estimate = cli("estimate", str(s.folder))
        assert estimate.returncode == 0 and "assumed" in estimate.stdout, "the estimate says Pipefy's rate is assumed"
        first = cli("run", str(s.folder), "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        manifest = s.export("pipefy")["manifest"]
        want = {m["ref"] for m in manifest if not m["archived"] and m["kind"] in ("item", "comment", "attachment")}
        got = views.held(s.export("tallyfy"))
        assert {r for r in want if got[r] != 1} == set()
        assert {m["kind"] for m in manifest if m["ref"] in want} == {"item", "comment", "attachment"}
        again = cli("run", str(s.folder), "--yes")
        assert again.returncode == 0 and views.held(s.export("tallyfy")) == got, "a second run adds nothing"
        quiet = cli("sync", str(s.folder))
        assert quiet.returncode == 0 and "created 0, updated 0" in quiet.stdout, quiet.stdout
        card = next(r for r in sorted(want) if r.startswith("pipefy:card:")).rsplit(":", 1)[1]
        s.post("pipefy", "mutate", {"card_id": card, "comment": "A comment written after the run"})
        changed = cli("sync", str(s.folder))
        assert changed.returncode == 0 and "created 1" in changed.stdout, changed.stdout
        back = cli("rollback", str(s.folder), "--yes")
        assert back.returncode == 0, back.stdout + back.stderr
        assert sum(1 for r, n in views.held(s.export("tallyfy")).items() if r.startswith("pipefy:") and n) == 0
    finally:
        stop(s)


@pytest.mark.slow
def test_a_phases_fields_are_its_steps_form_and_each_card_s_values_are_on_that_steps_task(tmp_path: Path) -> None:
    """Pipefy's phase fields become their step's own form fields (captures), not kick-off
    fields; a card's value of a phase field is on its process's task of that step; the
    start form's fields stay on the kick-off form."""
    s = serve(tmp_path / "p", "--systems", "pipefy,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        first = cli("run", str(s.folder), "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        pipes = s.export("pipefy")["pipes"]
        out = s.export("tallyfy")
        templates = {t["source_ref"]: t for t in out["templates"] if t["source_ref"]}
        runs = {r["source_ref"]: r for r in out["runs"] if r["source_ref"] and not r["archived"]}
        checked = 0
        for p in pipes:
            tpl = templates[f"pipefy:pipe:{p['id']}"]
            phase_fields = {f"pipefy:field:{p['id']}/{fid}" for ph in p["phases"] for fid in ph["fields"]}
            assert phase_fields, "the seed gives phases fields of their own"
            kickoff = {d["field_ref"] for d in tpl["prerun"]}
            assert not kickoff & phase_fields, "no phase field is on the kick-off form"
            assert {f"pipefy:field:{p['id']}/{fid}" for fid in _with_values(p["start_fields"])} <= kickoff
            steps = {st["source_ref"]: st for st in tpl["steps"]}
            for ph in p["phases"]:
                own = {c["field_ref"] for c in steps[f"pipefy:phase:{ph['id']}"]["captures"]}
                assert {f"pipefy:field:{p['id']}/{fid}" for fid in _with_values(ph["fields"])} == own
            captures = {c["field_ref"]: (st["source_ref"], c["id"]) for st in tpl["steps"] for c in st["captures"]}
            for card in p["cards"]:
                run = runs.get(f"pipefy:card:{card['id']}")
                if run is None:
                    continue  # an archived card, not migrated under the default preset
                held = {t["step_id"]: t["taskdata"] for t in run["tasks"]}
                step_ids = {st["source_ref"]: st["id"] for st in tpl["steps"]}
                for fid, value in card["values"].items():
                    ref = f"pipefy:field:{p['id']}/{fid}"
                    if ref not in captures or value in ("", "[]", None):
                        continue
                    phase, capture = captures[ref]
                    assert held[step_ids[phase]].get(capture) not in (None, "", []), (card["id"], fid, value)
                    checked += 1
        assert checked > 0, "some card holds a value of a phase field"
    finally:
        stop(s)


def _with_values(fields: dict[str, str]) -> set[str]:
    """The fields that hold values: an attachment field's files are attachments, a statement
    is text on the form."""
    return {fid for fid, ftype in fields.items() if ftype not in ("attachment", "statement")}


@pytest.mark.slow
def test_a_value_changed_in_an_earlier_phase_is_synced_into_its_completed_task(tmp_path: Path) -> None:
    """Tallyfy refuses to change a completed task: sync reopens the task of the earlier
    step, writes the new value and completes it again, so the process stands where it stood."""
    s = serve(tmp_path / "p", "--systems", "pipefy,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    try:
        assert cli("run", str(s.folder), "--yes").returncode == 0
        pipe, card, phase, fid = next(
            (p, c, ph, fid)
            for p in s.export("pipefy")["pipes"]
            for c in p["cards"]
            for i, ph in enumerate(p["phases"])
            if i < [x["id"] for x in p["phases"]].index(c["phase_id"])
            for fid, ftype in ph["fields"].items()
            if ftype == "short_text"
        )
        s.post("pipefy", "mutate", {"card_id": card["id"], "values": {fid: "Changed after the run"}})
        synced = cli("sync", str(s.folder))
        assert synced.returncode == 0 and "updated 1" in synced.stdout, synced.stdout
        out = s.export("tallyfy")
        tpl = next(t for t in out["templates"] if t["source_ref"] == f"pipefy:pipe:{pipe['id']}")
        step = next(st for st in tpl["steps"] if st["source_ref"] == f"pipefy:phase:{phase['id']}")
        capture = next(c["id"] for c in step["captures"] if c["field_ref"] == f"pipefy:field:{pipe['id']}/{fid}")
        run = next(r for r in out["runs"] if r["source_ref"] == f"pipefy:card:{card['id']}")
        task = next(t for t in run["tasks"] if t["step_id"] == step["id"])
        assert task["taskdata"][capture] == "Changed after the run" and task["status"] == "completed"
        quiet = cli("sync", str(s.folder))
        assert quiet.returncode == 0 and "created 0, updated 0" in quiet.stdout, quiet.stdout
    finally:
        stop(s)
