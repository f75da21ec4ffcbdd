"""Rollback you can trust, checked from the Tallyfy sandbox's export: the preview lists
exactly what goes; apply leaves the target exactly as it was before the run; a process
edited in the target afterwards is kept unless --force; a second rollback does nothing. (A
rollback killed half-way, for every source and target: tests/conformance/test_pair.py.)"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from adapters.tallyfy import mapping as tm
from adapters.trello.mapping import label_to_tag
from adapters.trello.wire import TrelloLabel
from tests.e2e.conftest import Served
from tests.reliability.harness import run_cli
from wizard.secrets import SANDBOX_CREDENTIALS
from wizard.store import Store

KINDS = ("templates", "runs", "tags", "users", "groups", "guests", "assets")


def state(export: dict) -> dict[str, dict[str, tuple]]:
    """Every object the target holds, by id, with what says whether it is live."""
    out: dict[str, dict[str, tuple]] = {}
    for kind in KINDS:
        out[kind] = {str(o["id"]): (o.get("status"), o.get("archived"), o.get("deleted")) for o in export.get(kind, [])}
    return out


def writes(stats: dict) -> int:
    return sum(n for route, by in stats["by_route"].items() if not route.startswith("GET") for n in by.values())


def created_by_run(before: dict, after: dict) -> set[tuple[str, str]]:
    """(type, id) of what the run added, as rollback names them."""
    names = {"templates": "container", "runs": "item", "tags": "tag", "assets": "file", "users": "user"}
    b, a = state(before), state(after)
    out = {(names[k], i) for k, n in names.items() for i in a[k] if i not in b[k]}
    old_comments = {c["id"] for r in before["runs"] for c in r["comments"]}
    out |= {("comment", c["id"]) for r in after["runs"] for c in r["comments"] if c["id"] not in old_comments}
    return out


PREVIEW_LINE = re.compile(
    r"^(?P<action>.+?)\s+(?P<type>item|container|tag|comment|file|user)\s+(?P<id>\S+)\s+(?P<key>\S+)$"
)


def preview(folder: str) -> list[dict]:
    r = run_cli("rollback", folder, "--limit", "100000")
    assert r.returncode == 0 and "Nothing was changed" in r.stdout, r.stderr
    return [m.groupdict() for ln in r.stdout.splitlines() if (m := PREVIEW_LINE.match(ln.strip()))]


@pytest.mark.slow
def test_preview_is_exact_edited_runs_are_kept_force_restores_and_a_second_rollback_is_a_no_op(
    served_small: Served,
) -> None:
    s, folder = served_small, str(served_small.folder)
    before = s.export("tallyfy")
    assert run_cli("run", folder, "--yes").returncode == 0
    after = s.export("tallyfy")
    made = created_by_run(before, after)

    steps = preview(folder)
    listed = {(x["type"], x["id"]) for x in steps}
    assert listed == made, (sorted(listed - made)[:5], sorted(made - listed)[:5])
    assert all(not x["action"].startswith("keep") for x in steps)

    time.sleep(2.5)  # later than our last write, as a person in the web UI would be
    edited = next(r for r in after["runs"] if not r["preexisting"])
    assert s.post("tallyfy", "edit", {"run_id": edited["id"], "name": "Renamed by a colleague"})["ok"]
    steps = preview(folder)
    kept = {x["id"] for x in steps if x["action"].startswith("keep")}
    assert edited["id"] in kept and edited["checklist_id"] in kept

    w0 = writes(s.stats("tallyfy"))
    r = run_cli("rollback", folder, "--yes")
    assert r.returncode == 0, r.stderr
    mid = state(s.export("tallyfy"))
    assert mid["runs"][edited["id"]] == state(after)["runs"][edited["id"]], "the edited process is kept"
    assert edited["checklist_id"] in mid["templates"]
    assert writes(s.stats("tallyfy")) > w0

    r = run_cli("rollback", folder, "--yes", "--force")
    assert r.returncode == 0, r.stderr
    assert state(s.export("tallyfy")) == state(before), "exactly as before the run"

    w1 = writes(s.stats("tallyfy"))
    r = run_cli("rollback", folder, "--yes", "--force")
    assert r.returncode == 0 and "0 removed" in r.stdout, r.stdout + r.stderr
    assert writes(s.stats("tallyfy")) == w1, "a second rollback writes nothing"


def test_a_tag_created_just_before_a_kill_is_still_rolled_back(served_small: Served) -> None:
    s, folder = served_small, served_small.folder
    before = s.export("tallyfy")
    board = s.export("trello")["boards"][0]
    label = TrelloLabel.model_validate(board["labels"][0])
    tag = label_to_tag(label)
    # What a kill right after the POST leaves: the intent journalled, the tag in the target.
    with Store(folder) as store:
        store.intent(tag.key, "tag", "create tag")
    body = tm.tag_body(tag.name, tag.color)
    org = before["organization"]["id"]
    headers = {
        "Authorization": f"Bearer {SANDBOX_CREDENTIALS['tallyfy']['token']}",
        "Accept": "application/json",
        "X-Tallyfy-Client": "migration-wizard",
    }
    r = httpx.post(f"{s.urls['tallyfy']}/api/organizations/{org}/tags", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    assert run_cli("run", str(folder), "--yes").returncode == 0
    assert run_cli("rollback", str(folder), "--yes").returncode == 0
    assert state(s.export("tallyfy"))["tags"] == state(before)["tags"]
