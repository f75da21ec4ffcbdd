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
        before = sum(got.values())
        again = cli("run", str(s.folder), "--yes")
        assert again.returncode == 0 and sum(views.held(s.export("tallyfy")).values()) == before
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
