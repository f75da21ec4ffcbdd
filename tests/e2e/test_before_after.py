"""Issue 5 end to end, through the real CLI against the sandboxes: the estimate, the exact
dry run, conflicts (every strategy and the manual queue), people, duplicates and sync."""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Served, cli
from wizard.engine.executor import EDIT_TOLERANCE_S
from wizard.plan import load_plan, save_plan
from wizard.secrets import SANDBOX_CREDENTIALS


def writes(stats: dict) -> Counter:
    return Counter({route: sum(by.values()) for route, by in stats["by_route"].items() if not route.startswith("GET")})


def reset(s: Served) -> None:
    for system in ("trello", "tallyfy"):
        httpx.post(f"{s.urls[system]}/_sandbox/stats/reset", timeout=10)


def ok(*args: str) -> str:
    r = cli(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def twin(s: Served, tmp_path: Path, **conflicts: object) -> Path:
    """A second migration folder on the same sandboxes, with a fresh store: everything it
    meets in the target was put there by someone else."""
    other = tmp_path / "twin"
    (other / "state").mkdir(parents=True)
    shutil.copy(s.folder / "plan.toml", other / "plan.toml")
    plan = load_plan(other)
    for k, v in conflicts.items():
        setattr(plan.conflicts, k, v)
    save_plan(other, plan)
    return other


def trello(s: Served, method: str, path: str, **params: str) -> httpx.Response:
    creds = SANDBOX_CREDENTIALS["trello"]
    return httpx.request(method, f"{s.urls['trello']}/1/{path}", params={**params, **creds}, timeout=30)


def test_sync_writes_only_what_changed(small: Served) -> None:
    # The estimate = dry run = run, and a sync with no change writing nothing, hold for every
    # source and target: tests/conformance/test_pair.py.
    ok("run", str(small.folder), "--yes")
    changed = httpx.post(
        f"{small.urls['trello']}/_sandbox/mutate", json={"fraction": 0.1, "seed": 9}, timeout=30
    ).json()
    assert changed["changed"]
    reset(small)
    out = ok("sync", str(small.folder))
    w = writes(small.stats("tallyfy"))
    assert w["PUT /organizations/{org}/runs/{id}"] == len(changed["changed"]), out
    assert set(w) <= {
        "PUT /organizations/{org}/runs/{id}",
        "POST /organizations/{org}/runs/{id}/completed-tasks",
        "DELETE /organizations/{org}/runs/{id}/completed-tasks/{task}",
    }
    runs = {r["source_ref"]: r for r in small.export("tallyfy")["runs"]}
    cards = {c["id"]: c for b in small.export("trello")["boards"] for c in b["cards"]}
    for cid in changed["changed"]:
        assert runs[f"trello:card:{cid}"]["name"] == cards[cid]["name"][:550]

    # A card deleted in the source is reported and kept (the plan does not say to apply deletions).
    gone = changed["changed"][0]
    assert trello(small, "DELETE", f"cards/{gone}").status_code == 200
    reset(small)
    out = ok("sync", str(small.folder))
    assert "deleted or archived in the source and kept" in out
    assert writes(small.stats("tallyfy")) == Counter()


@pytest.mark.parametrize("strategy", ["skip", "overwrite", "merge", "newer"])
def test_conflict_strategies_on_processes_already_in_the_target(small: Served, tmp_path: Path, strategy: str) -> None:
    ok("run", str(small.folder), "--yes")
    before = small.export("tallyfy")
    trello_export = small.export("trello")
    card = next(c for b in trello_export["boards"] for c in b["cards"] if c["visible"])
    assert trello(small, "PUT", f"cards/{card['id']}", name="Renamed in the source").status_code == 200
    other = twin(small, tmp_path, default=strategy)
    reset(small)
    r = cli("run", str(other), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    after = small.export("tallyfy")
    per_card = Counter(x["source_ref"] for x in after["runs"] if x["source_ref"] and not x["archived"])
    assert max(per_card.values()) == 1, "no process created twice"
    assert len(after["runs"]) == len(before["runs"])
    comments = Counter(c["source_ref"] for x in after["runs"] for c in x["comments"])
    assert comments and max(comments.values()) == 1, "no comment posted twice"
    w = writes(small.stats("tallyfy"))
    puts = w["PUT /organizations/{org}/runs/{id}"]
    renamed = next(x for x in after["runs"] if x["source_ref"] == f"trello:card:{card['id']}")
    if strategy == "overwrite":
        assert puts == len(per_card) and renamed["name"] == "Renamed in the source"
    elif strategy == "newer":
        # Only the card renamed after the run is newer than its process: it alone is written.
        assert puts == 1 and renamed["name"] == "Renamed in the source"
    else:
        assert puts == 0 and renamed["name"] != "Renamed in the source"
    assert not any(k.startswith("POST") and k.endswith("/runs") for k in w), "nothing launched again"


def test_manual_conflicts_wait_for_a_decision_then_apply(small: Served, tmp_path: Path) -> None:
    ok("run", str(small.folder), "--yes")
    other = twin(small, tmp_path, default="manual")
    ok("run", str(other), "--yes")
    listing = ok("conflicts", str(other))
    assert "already in the target" in listing
    n_open = len(json.loads((other / "state" / "store.json").read_text())["conflicts"])
    assert n_open > 5
    first = sorted(
        json.loads((other / "state" / "store.json").read_text())["conflicts"].values(), key=lambda c: c["id"]
    )[0]
    ok("conflicts", str(other), "--id", first["id"], "--decide", "overwrite")
    reset(small)
    ok("run", str(other), "--yes")
    w = writes(small.stats("tallyfy"))
    assert w["PUT /organizations/{org}/runs/{id}"] == 1, "only the decided conflict was applied"
    assert "already in the target" in ok("conflicts", str(other)), "the others still wait"
    r = cli("conflicts", str(other), "--filter", "", "--decide", "skip", "--yes")
    assert r.returncode == 0 and "Decided" in r.stdout
    assert "Conflicts (0)" in ok("conflicts", str(other))


def test_changed_on_both_sides_is_a_conflict(small: Served) -> None:
    ok("run", str(small.folder), "--yes")
    plan = load_plan(small.folder)
    plan.conflicts.default = "manual"
    save_plan(small.folder, plan)
    card = next(c for b in small.export("trello")["boards"] for c in b["cards"] if c["visible"])
    run = next(r for r in small.export("tallyfy")["runs"] if r["source_ref"] == f"trello:card:{card['id']}")
    time.sleep(EDIT_TOLERANCE_S + 0.5)  # an edit within the tolerance is taken for our own write
    small.post("tallyfy", "edit", {"run_id": run["id"], "name": "Edited by the client"})
    assert trello(small, "PUT", f"cards/{card['id']}", name="Edited in Trello too").status_code == 200
    ok("sync", str(small.folder))
    listing = ok("conflicts", str(small.folder))
    assert "changed on both sides" in listing
    ok("conflicts", str(small.folder), "--id", f"trello:card:{card['id']}", "--decide", "overwrite")
    ok("sync", str(small.folder))
    run = next(r for r in small.export("tallyfy")["runs"] if r["source_ref"] == f"trello:card:{card['id']}")
    assert run["name"] == "Edited in Trello too"


def test_people_mapped_placeholder_and_invited(small: Served) -> None:
    tex, trx = small.export("tallyfy"), small.export("trello")
    member_of = {m["id"]: m for m in trx["members"]}
    board = trx["boards"][0]
    assigned = [c for c in board["cards"] if c["idMembers"] and c["visible"]]
    mapped_member = assigned[0]["idMembers"][0]
    user = next(u for u in tex["users"] if u.get("status") == "active")
    me = trx["me"]
    plan = load_plan(small.folder)
    plan.mapping.people = {f"trello:member:{mapped_member}": f"user:{user['id']}", f"trello:member:{me}": "invite"}
    save_plan(small.folder, plan)
    ok("run", str(small.folder), "--yes")
    runs = {r["source_ref"]: r for r in small.export("tallyfy")["runs"]}
    for card in assigned:
        run = runs[f"trello:card:{card['id']}"]
        owners = {u for t in run["tasks"] for u in t["owners"]["users"]}
        if mapped_member in card["idMembers"]:
            assert user["id"] in owners
        names = [member_of[m]["fullName"] for m in card["idMembers"] if m not in (mapped_member, me)]
        text = " ".join(str(v) for v in run["prerun"].values())
        for n in names:
            assert n in text, "an unmatched person is kept as a named placeholder"
    invited = [u for u in small.export("tallyfy")["users"] if u.get("status") == "invited"]
    assert member_of[me]["email"], "Trello shows its owner's email"
    assert [u["email"] for u in invited] == [member_of[me]["email"]]
    report = cli("report", str(small.folder))
    assert report.returncode == 0
    people = json.loads((small.folder / "reports" / "report.json").read_text())["people"]
    assert {p["action"] for p in people} >= {"mapped", "invite", "placeholder"}


@pytest.mark.parametrize("choice", ["keep", "merge"])
def test_duplicates_are_reported_and_merged_when_asked(small: Served, choice: str) -> None:
    trx = small.export("trello")
    a_list = next(lst for b in trx["boards"] for lst in b["lists"] if not lst["closed"])
    made = []
    for _ in range(2):
        r = trello(
            small, "POST", "cards", name="Send the welcome pack", desc="Same card, entered twice", idList=a_list["id"]
        )
        assert r.status_code == 200, r.text
        made.append(f"trello:card:{r.json()['id']}")
    r = trello(small, "POST", "cards", name="send the Welcome pack!", desc="Different words", idList=a_list["id"])
    near = f"trello:card:{r.json()['id']}"
    inv = json.loads(ok("discover", str(small.folder), "--json"))
    groups = [sorted(g) for c in inv["containers"] for g in c["duplicates"]]
    assert sorted(made) in groups
    near_groups = [set(g) for c in inv["containers"] for g in c["near_duplicates"]]
    assert any(near in g and set(made) <= g for g in near_groups)
    assert "identical cards" in ok("estimate", str(small.folder))
    plan = load_plan(small.folder)
    plan.mapping.duplicates = choice
    save_plan(small.folder, plan)
    ok("run", str(small.folder), "--yes")
    runs = Counter(r["source_ref"] for r in small.export("tallyfy")["runs"])
    assert runs[near] == 1
    assert sorted(runs[m] for m in made) == ([1, 1] if choice == "keep" else [0, 1])


def test_checklists_as_subtasks_once_each(small: Served) -> None:
    plan = load_plan(small.folder)
    plan.mapping.checklists = "subtasks"
    save_plan(small.folder, plan)
    dry = json.loads(ok("run", str(small.folder), "--dry-run", "--json"))
    reset(small)
    ok("run", str(small.folder), "--yes")
    assert sum(writes(small.stats("tallyfy")).values()) == dry["writes"]
    ok("run", str(small.folder), "--yes")
    runs = {r["source_ref"]: r for r in small.export("tallyfy")["runs"]}
    for b in small.export("trello")["boards"]:
        for card in b["cards"]:
            if not card["visible"] or not card["checklists"]:
                continue
            tasks = runs[f"trello:card:{card['id']}"]["tasks"]
            for cl in card["checklists"]:
                for n, ci in enumerate(sorted(cl["checkItems"], key=lambda x: x["pos"])):
                    got = [t for t in tasks if t["source_ref"] == f"trello:checklist:{cl['id']}#{n}"]
                    assert len(got) == 1, "each checklist item once"
                    assert (got[0]["status"] == "completed") == (ci["state"] == "complete")


def test_a_card_moved_back_reopens_the_later_steps(small: Served) -> None:
    ok("run", str(small.folder), "--yes")
    board = small.export("trello")["boards"][0]
    lists = sorted(board["lists"], key=lambda x: x["pos"])
    first = lists[0]
    card = next(c for c in board["cards"] if c["visible"] and c["idList"] == lists[2]["id"])
    run = next(r for r in small.export("tallyfy")["runs"] if r["source_ref"] == f"trello:card:{card['id']}")
    assert sum(t["status"] == "completed" for t in run["tasks"]) == 2, "it stood at the third step"
    assert trello(small, "PUT", f"cards/{card['id']}", idList=first["id"]).status_code == 200
    ok("sync", str(small.folder))
    run = next(r for r in small.export("tallyfy")["runs"] if r["source_ref"] == f"trello:card:{card['id']}")
    assert not any(t["status"] == "completed" for t in run["tasks"] if t["step_id"]), "back at the first step"
    reset(small)
    ok("sync", str(small.folder))
    assert writes(small.stats("tallyfy")) == Counter(), "and a second sync has nothing to do"
