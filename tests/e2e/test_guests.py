"""Guests (issue 21, item 9): a person outside the client's organization is offered as a
guest, the plan's choice 'guest' adds them once (journalled, so a re-run adds nobody twice),
assigns them on their cards' tasks, and rollback removes only the guests this folder added."""

from __future__ import annotations

import json

from tests.e2e.conftest import Served
from tests.e2e.test_before_after import ok
from wizard.plan import load_plan, save_plan


def test_an_external_person_becomes_a_guest_once_and_rollback_removes_them(small: Served) -> None:
    trx = small.export("trello")
    member_of = {m["id"]: m for m in trx["members"]}
    cards = [c for b in trx["boards"] for c in b["cards"] if c["idMembers"] and not c["closed"]]
    external = member_of[trx["me"]]  # the only member whose email Trello shows
    assert external["email"]
    ok("discover", str(small.folder))
    plan = load_plan(small.folder)
    plan.mapping.people = {f"trello:member:{external['id']}": "guest"}
    save_plan(small.folder, plan)
    ok("run", str(small.folder), "--yes")
    ok("run", str(small.folder), "--yes")
    guests = [g for g in small.export("tallyfy")["guests"] if g["email"] == external["email"]]
    assert len(guests) == 1, "added once, however often the plan runs"
    runs = {r["source_ref"]: r for r in small.export("tallyfy")["runs"]}
    theirs = [c for c in cards if external["id"] in c["idMembers"] and f"trello:card:{c['id']}" in runs]
    assert theirs, "the seeded boards assign their owner to some migrated cards"
    for c in theirs:
        owners = {g for t in runs[f"trello:card:{c['id']}"]["tasks"] for g in t["owners"]["guests"]}
        assert external["email"] in owners, "assigned on the card's task, as a guest"
    ok("report", str(small.folder))
    people = json.loads((small.folder / "reports" / "report.json").read_text())["people"]
    assert any(p["action"] == "guest" for p in people)
    ok("rollback", str(small.folder), "--yes")
    assert not [g for g in small.export("tallyfy")["guests"] if g["email"] == external["email"]]
    assert [g for g in small.export("tallyfy")["guests"] if g["preexisting"]], "a guest already there is kept"
