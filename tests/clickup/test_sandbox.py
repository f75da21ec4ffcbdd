"""The ClickUp sandbox answers as ClickUp's own description and reference say, the routes our
client does not call too (tests/contract holds what the client sends and gets): its envelopes,
its error bodies, its pages (tasks from page 0 with `last_page`; comments by `start` and
`start_id`), what each flag brings (closed, subtasks, archived) and its rate limit's headers
and 429."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.clickup.sandbox import ClickUpSandbox
from adapters.clickup.sandbox_state import TEAM_ID
from adapters.clickup.spec import SANDBOX_CREDENTIALS, SPEC
from adapters.sandboxkit import SandboxServer
from tests.contract.vendor_spec import OpenApi
from tests.webhook_catcher import Catcher

AUTH = {"Authorization": SANDBOX_CREDENTIALS["token"]}


@pytest.fixture(scope="module")
def described() -> OpenApi:
    assert SPEC.api is not None
    return OpenApi(SPEC.api)  # skips, with the reason, where ../shared is absent


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ClickUpSandbox, httpx.Client]]:
    sb = ClickUpSandbox(seed=9, scale="medium", rate_limits="off")
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api", headers=AUTH, timeout=30) as c:
        yield sb, c


def busiest(sb: ClickUpSandbox) -> Any:
    st = sb.state
    lst = max((x for x in st.lists.values() if not st.list_archived(x)), key=lambda x: len(x.tasks))
    task = max(st.live(lst.id), key=lambda t: len(t.comments))
    return lst, task


def test_every_route_answers_as_described(served: Any, described: OpenApi) -> None:
    sb, c = served
    st = sb.state
    lst, task = busiest(sb)
    threaded = next(cm for t in st.live(lst.id) for cm in t.comments if cm["replies"])
    ids = {
        "team_id": TEAM_ID,
        "space_id": lst.space_id,
        "folder_id": next(iter(st.folders)),
        "list_id": lst.id,
        "task_id": task.id,
        "comment_id": threaded["id"],
    }
    errors: list[str] = []
    # the writes (a webhook made, a task renamed), each answer as described; the webhook then lists
    writes = [  # the rename first: no webhook is there to be told of it
        ("PUT", f"/v2/task/{task.id}", {"name": task.data["name"]}),
        ("POST", f"/v2/team/{TEAM_ID}/webhook", {"endpoint": "https://example.invalid/hook", "events": ["*"]}),
    ]
    made = []
    for method, url, body in writes:
        r = c.request(method, url, json=body)
        made.append(r.json())
        assert r.status_code == 200, (url, r.text)
        found = described.answer_schema(method, url, 200)
        assert found is not None, f"{method} {url}: the description gives no schema"
        described.check(r.json(), found[1], found[0], errors)
    checked = 0
    for route in sb.routes():
        path = getattr(route, "path", "")
        if not path.startswith("/api/v2/") or "GET" not in (getattr(route, "methods", None) or ()):
            continue
        url = path.removeprefix("/api").format(**ids)
        r = c.get(url, params={"include_subtasks": "true"} if path.endswith("{task_id}") else None)
        assert r.status_code == 200, (url, r.text)
        assert all(h in r.headers for h in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"))
        found = described.answer_schema("GET", url, 200)
        assert found is not None, f"GET {path}: the description gives no schema"
        described.check(r.json(), found[1], found[0], errors)
        checked += 1
    assert checked == 16
    assert c.delete(f"/v2/webhook/{made[1]['id']}").status_code == 200
    # as for Get Folders (declared in the spec, where the client meets it): the description
    # types a folder's lists as strings, while ClickUp embeds each list's record
    # and as for Get Tasks (ApiDescription.schema_gaps): Update Task's description types these as
    # strings, while ClickUp answers with the task as Get Task does, each of them objects
    people = ("assignees", "watchers", "tags", "checklists", "dependencies", "linked_tasks")
    gaps = ("get /v2/folder/{folder_id}.lists:", *(f"put /v2/task/{{task_id}}.{name}:" for name in people))
    assert [e for e in errors if not e.startswith(gaps)] == []


def test_errors_are_clickups(served: Any) -> None:
    sb, c = served
    cases = [
        (httpx.get(str(c.base_url).rstrip("/") + "/v2/user", headers={"Authorization": "pk_wrong"}), 401, "OAUTH_025"),
        (httpx.get(str(c.base_url).rstrip("/") + "/v2/user"), 400, "OAUTH_017"),  # no token at all
        (c.get("/v2/task/86nothere"), 404, "ITEM_013"),
        (c.get(f"/v2/list/{busiest(sb)[0].id}/task", params={"page": "x"}), 400, "INPUT_003"),
    ]
    for r, status, ecode in cases:
        assert r.status_code == status, r.text
        body = r.json()
        assert body["ECODE"] == ecode and isinstance(body["err"], str) and body["err"]


def test_task_pages_flags_and_comment_pages(served: Any) -> None:
    sb, c = served
    st = sb.state
    lst, task = busiest(sb)
    live = st.live(lst.id)
    got: list[dict[str, Any]] = []
    page = 0
    while True:
        body = c.get(f"/v2/list/{lst.id}/task", params={"page": page, "subtasks": "true", "include_closed": "true"})
        got += body.json()["tasks"]
        if body.json()["last_page"]:
            break
        page += 1
    assert page >= 2 and len(got) == len({t["id"] for t in got})
    assert {t["id"] for t in got} == {t.id for t in live if not t.data["archived"]}
    assert any(t["parent"] for t in got) and any(t["status"]["type"] in ("closed", "done") for t in got)
    plain = c.get(f"/v2/list/{lst.id}/task", params={"page": 0}).json()["tasks"]
    assert not any(t["parent"] or t["status"]["type"] in ("closed", "done") for t in plain)
    archived = c.get(f"/v2/list/{lst.id}/task", params={"archived": "true", "include_closed": "true"}).json()
    assert archived["tasks"] and all(t["archived"] for t in archived["tasks"])
    assert "attachments" not in got[0]  # only Get Task gives them

    seen: list[str] = []
    params: dict[str, str] = {}
    while True:
        comments = c.get(f"/v2/task/{task.id}/comment", params=params).json()["comments"]
        seen += [cm["id"] for cm in comments]
        if len(comments) < 25:
            break
        params = {"start": comments[-1]["date"], "start_id": comments[-1]["id"]}
    assert len(seen) == len(task.comments) > 25 and len(set(seen)) == len(seen)


def test_the_rate_limit_is_clickups_a_429_with_a_reset_and_no_retry_after() -> None:
    sb = ClickUpSandbox(seed=1, scale="small", window_scale=0.05, plan="business")  # 100 a 3-second window
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api", headers=AUTH, timeout=30) as c:
        answers = [c.get("/v2/user") for _ in range(101)]
        assert [r.status_code for r in answers[:100]] == [200] * 100
        last = answers[-1]
        assert last.status_code == 429 and last.json()["ECODE"] == "APP_002"
        assert "retry-after" not in last.headers
        assert last.headers["x-ratelimit-limit"] == "100" and last.headers["x-ratelimit-remaining"] == "0"
        reset = float(last.headers["x-ratelimit-reset"])
        assert time.time() < reset <= time.time() + 3.1
        time.sleep(max(0.0, reset - time.time()) + 0.05)
        assert c.get("/v2/user").status_code == 200
    enterprise = ClickUpSandbox(seed=1, scale="small", plan="enterprise")
    with SandboxServer(enterprise) as srv:
        r = httpx.get(srv.url + "/api/v2/team", headers=AUTH)
        assert r.headers["x-ratelimit-limit"] == "10000" and float(r.headers["x-ratelimit-reset"]).is_integer()


def test_a_webhook_has_its_own_secret_signs_each_change_and_a_410_suspends_it(served: Any) -> None:
    sb, c = served
    lst, task = busiest(sb)
    ok, gone = Catcher(200), Catcher(410)
    try:
        made = c.post(
            f"/v2/team/{TEAM_ID}/webhook", json={"endpoint": ok.url, "events": ["taskUpdated"], "list_id": int(lst.id)}
        ).json()
        other = c.post(f"/v2/team/{TEAM_ID}/webhook", json={"endpoint": gone.url, "events": ["*"]}).json()
        secret = made["webhook"]["secret"]
        assert len(secret) == 64 and secret != other["webhook"]["secret"]
        listed = {h["id"]: h for h in c.get(f"/v2/team/{TEAM_ID}/webhook").json()["webhooks"]}
        assert listed[made["id"]]["secret"] == secret and listed[made["id"]]["list_id"] == lst.id

        assert c.put(f"/v2/task/{task.id}", json={"name": "Renamed"}).status_code == 200
        ok.wait(1)
        gone.wait(1)
        headers, body = ok.raw[0]
        assert headers["x-signature"] == hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        payload = json.loads(body)
        assert payload["event"] == "taskUpdated" and payload["task_id"] == task.id
        assert payload["webhook_id"] == made["id"]
        (item,) = payload["history_items"]
        assert item["field"] == "name" and item["after"] == "Renamed" and item["parent_id"] == lst.id

        # a status change is not an event the first one asked for; the whole-Workspace one, told 410, is suspended
        statuses = [s["status"] for s in lst.statuses if s["status"] != task.data["status"]["status"]]
        assert c.put(f"/v2/task/{task.id}", json={"status": statuses[0]}).status_code == 200
        time.sleep(0.3)
        assert len(ok.raw) == 1 and len(gone.raw) == 1
        health = {h["id"]: h["health"] for h in c.get(f"/v2/team/{TEAM_ID}/webhook").json()["webhooks"]}
        assert health[other["id"]] == {"status": "suspended", "fail_count": 1}
        assert health[made["id"]] == {"status": "active", "fail_count": 0}
        for hook in (made, other):
            assert c.delete(f"/v2/webhook/{hook['id']}").status_code == 200
        assert c.get(f"/v2/team/{TEAM_ID}/webhook").json()["webhooks"] == []
    finally:
        ok.close()
        gone.close()
