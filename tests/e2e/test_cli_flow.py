"""Issue 2's contract, checked from the sandboxes' own exports, never from our verify:
every included card becomes exactly one process, every comment and attachment arrives
(sizes equal), a second run creates nothing, rollback restores the target."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import Served, cli, serve, stop


def included_cards(trello: dict) -> dict[str, dict]:
    return {c["id"]: c for b in trello["boards"] for c in b["cards"] if c["visible"]}


def created_runs(tallyfy: dict) -> list[dict]:
    return [r for r in tallyfy["runs"] if not r.get("preexisting")]


def check_complete(trello: dict, tallyfy: dict) -> None:
    cards = included_cards(trello)
    runs = [r for r in created_runs(tallyfy) if not r.get("archived")]
    per_card = Counter(r["source_ref"] for r in runs)
    assert set(per_card) == {f"trello:card:{cid}" for cid in cards}, "every included card, and nothing else"
    assert max(per_card.values()) == 1, "no card twice"
    run_by_card = {r["source_ref"].split(":")[2]: r for r in runs}
    want_comments = Counter()
    for b in trello["boards"]:
        for c in b["comments"]:
            if c["card_id"] in cards:
                want_comments[f"trello:comment:{c['id']}"] += 1
    got_comments = Counter(c["source_ref"] for r in runs for t in r["tasks"] for c in t.get("comments", []))
    assert got_comments == want_comments
    want: dict[str, Counter] = {}
    for b in trello["boards"]:
        for a in b["attachments"]:
            if a["card_id"] in cards and a.get("isUpload", True):
                want.setdefault(a["card_id"], Counter())[(a["name"], a["bytes"], a["sha256"])] += 1
            elif a["card_id"] in cards:  # a link: no bytes, its URL lands in the Links field
                values = " ".join(str(v) for v in run_by_card[a["card_id"]]["prerun"].values())
                assert a["url"] in values, f"link {a['url']} of card {a['card_id']} arrived"
    for card_id, files in want.items():
        got = Counter()
        for x in run_by_card[card_id]["assets"]:
            if x.get("deleted") or x.get("archived"):
                continue
            if x["filename"].endswith(".zip") and not any(f[0] == x["filename"] for f in files):
                # travelled zipped (Tallyfy refuses its extension): the name is kept inside
                name = x["filename"][:-4]
                match = next(f for f in files if f[0] == name)
                got[match] += 1
            else:
                got[(x["filename"], x["size"], x["sha256"])] += 1
        assert got == files, f"the files of card {card_id} arrived once each, same sizes and bytes"


@pytest.mark.slow
def test_medium_migration_end_to_end(tmp_path: Path) -> None:
    s = serve(tmp_path / "mig", "--scale", "medium", "--seed", "3", "--rate-scale", "0.0001")
    try:
        before = s.export("tallyfy")
        r = cli("run", str(s.folder), "--yes")
        assert r.returncode == 0, r.stderr + r.stdout
        tallyfy = s.export("tallyfy")
        check_complete(s.export("trello"), tallyfy)

        writes0 = _writes(s.stats("tallyfy"))
        r = cli("run", str(s.folder), "--yes")
        assert r.returncode == 0, r.stderr
        assert _writes(s.stats("tallyfy")) == writes0, "the second run wrote nothing"
        assert s.export("tallyfy")["runs"] == tallyfy["runs"]

        # Issue 5 on medium: a sync after changing 1% of the cards writes only those changes.
        changed = s.post("trello", "mutate", {"fraction": 0.01, "seed": 11})["changed"]
        writes_before = _write_routes(s.stats("tallyfy"))
        r = cli("sync", str(s.folder))
        assert r.returncode == 0, r.stderr
        delta = _write_routes(s.stats("tallyfy")) - writes_before
        assert delta["PUT /organizations/{org}/runs/{id}"] == len(changed) > 0
        assert set(delta) <= {
            "PUT /organizations/{org}/runs/{id}",
            "POST /organizations/{org}/runs/{id}/completed-tasks",
            "DELETE /organizations/{org}/runs/{id}/completed-tasks/{task}",
        }
        writes0 = _writes(s.stats("tallyfy"))

        r = cli("rollback", str(s.folder))
        assert r.returncode == 0 and "Nothing was changed" in r.stdout
        assert _writes(s.stats("tallyfy")) == writes0, "the preview wrote nothing"
        r = cli("rollback", str(s.folder), "--yes")
        assert r.returncode == 0, r.stderr
        after = s.export("tallyfy")
        assert _live_ids(after) == _live_ids(before), "only what existed before is left, all of it"
        r = cli("rollback", str(s.folder), "--yes")
        assert "0 removed" in r.stdout
    finally:
        stop(s)


def _writes(stats: dict) -> int:
    return sum(n for route, by in stats["by_route"].items() if not route.startswith("GET") for n in by.values())


def _write_routes(stats: dict) -> Counter:
    return Counter({route: sum(by.values()) for route, by in stats["by_route"].items() if not route.startswith("GET")})


def _live_ids(export: dict) -> dict[str, set]:
    out = {}
    for kind in ("templates", "runs", "tags", "users", "groups"):
        out[kind] = {
            str(o["id"]) for o in export.get(kind, []) if not o.get("archived") and o.get("status") != "deleted"
        }
    return out


def test_malformed_plan_is_one_sentence_exit_2(small: Served) -> None:
    plan = small.folder / "plan.toml"
    plan.write_text(plan.read_text().replace('system = "tallyfy"', 'system = "jira"'))
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "key 'target.system'" in r.stderr and str(plan) in r.stderr.replace("\n", "")


def test_wrong_credentials_are_one_sentence_exit_2(small: Served) -> None:
    assert cli("run", str(small.folder), "--yes").returncode == 0
    store = (small.folder / "state" / "store.json").read_bytes()
    small.post("tallyfy", "revoke")
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 2, r.stderr
    assert "refused the credential" in r.stderr and "Traceback" not in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) <= 3
    json.loads((small.folder / "state" / "store.json").read_text())  # the store still loads
    assert len((small.folder / "state" / "store.json").read_bytes()) >= len(store) // 2


def test_malformed_trello_payload_is_one_sentence_exit_2(small: Served) -> None:
    small.post("trello", "corrupt", {"mode": "not_json"})
    r = cli("discover", str(small.folder))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Trello" in r.stderr and "Traceback" not in r.stderr
    r = cli("run", str(small.folder), "--yes")  # the next answer is whole again
    assert r.returncode == 0, r.stderr
