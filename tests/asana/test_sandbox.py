"""The Asana sandbox behaves as Asana documents: Bearer auth and its error bodies, offset
pagination, opt_fields, batch, events with sync tokens, expiring download URLs, the rate
limits (per minute, cost, concurrency) and the manifest, from its own state."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.asana.sandbox import AsanaSandbox
from adapters.asana.sandbox_limits import AsanaRateLimits
from adapters.asana.sandbox_state import build_state
from adapters.asana.spec import SANDBOX_CREDENTIALS
from adapters.sandboxkit import SandboxServer
from tests.webhook_catcher import Catcher

AUTH = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['token']}"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[AsanaSandbox, httpx.Client, str]]:
    sb = AsanaSandbox(seed=11, scale="small", rate_limits="off")
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/1.0/", headers=AUTH) as c:
        yield sb, c, srv.url


def walk(c: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = None
    while True:
        body = c.get(path, params={**params, "limit": 7, **({"offset": offset} if offset else {})}).json()
        out += body["data"]
        if body["next_page"] is None:
            return out
        offset = body["next_page"]["offset"]


def first_project(sb: AsanaSandbox) -> dict[str, Any]:
    return next(p for p in sb.export()["projects"] if p["tasks"] and not p["archived"])


def test_auth_is_bearer_and_errors_are_asana_bodies(served: Any) -> None:
    _, _, url = served
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        r = httpx.get(url + "/api/1.0/users/me", headers=headers)
        assert r.status_code == 401
        assert r.json()["errors"][0]["message"] == "Not Authorized"
    r = httpx.get(url + "/api/1.0/tasks/999", headers=AUTH)
    assert r.status_code == 404 and "Not a recognized ID" in r.json()["errors"][0]["message"]


def test_pages_walk_every_task_once_in_project_order(served: Any) -> None:
    sb, c, _ = served
    p = first_project(sb)
    got = walk(c, f"projects/{p['gid']}/tasks")
    assert [t["gid"] for t in got] == p["tasks"]
    assert set(got[0]) == {"gid", "name", "resource_type", "resource_subtype"}  # compact unless asked


def test_limit_and_offset_are_checked(served: Any) -> None:
    sb, c, _ = served
    p = first_project(sb)["gid"]
    assert c.get(f"projects/{p}/tasks", params={"limit": 101}).status_code == 400
    assert c.get(f"projects/{p}/tasks", params={"limit": 0}).status_code == 400
    assert c.get(f"projects/{p}/tasks", params={"limit": 5, "offset": "made-up"}).status_code == 400
    token = c.get(f"projects/{p}/sections", params={"limit": 1}).json()["next_page"]["offset"]
    r = c.get(f"projects/{p}/tasks", params={"limit": 5, "offset": token})  # another route's offset
    assert r.status_code == 400 and "offset" in r.json()["errors"][0]["message"]
    last = c.get(f"projects/{p}/tasks", params={"limit": 100}).json()
    assert last["next_page"] is None


def test_opt_fields_project_nested_paths_and_groups(served: Any) -> None:
    sb, c, _ = served
    p = first_project(sb)["gid"]
    fields = "name,assignee.email,memberships.section.name,custom_fields.(name|type),num_subtasks"
    tasks = c.get(f"projects/{p}/tasks", params={"limit": 100, "opt_fields": fields}).json()["data"]
    t = next(t for t in tasks if t["assignee"])
    assert set(t) == {"gid", "name", "assignee", "memberships", "custom_fields", "num_subtasks"}
    assert set(t["assignee"]) == {"gid", "email"}
    assert set(t["memberships"][0]) == {"section"} and set(t["memberships"][0]["section"]) == {"gid", "name"}
    assert all(set(f) == {"gid", "name", "type"} for f in t["custom_fields"])
    assert any(f["type"] == "reference" for f in t["custom_fields"])  # a type a mapping may not know


def test_subtasks_live_in_no_project(served: Any) -> None:
    sb, c, _ = served
    exp = sb.export()
    sub = next(t for t in exp["tasks"] if t["parent"])
    parent = c.get(f"tasks/{sub['parent']}", params={"opt_fields": "num_subtasks"}).json()["data"]
    assert parent["num_subtasks"] >= 1
    listed = walk(c, f"tasks/{sub['parent']}/subtasks", opt_fields="parent,memberships")
    mine = next(s for s in listed if s["gid"] == sub["gid"])
    assert mine["parent"]["gid"] == sub["parent"] and mine["memberships"] == []


def test_stories_are_comments_and_system_stories(served: Any) -> None:
    sb, c, _ = served
    t = next(t for t in sb.export()["tasks"] if t["comments"] and t["system_stories"])
    got = walk(c, f"tasks/{t['gid']}/stories")
    kinds = Counter(s["type"] for s in got)
    assert kinds == {"comment": len(t["comments"]), "system": t["system_stories"]}


def test_batch_answers_in_order_and_caps_at_ten(served: Any) -> None:
    sb, c, _ = served
    t = sb.export()["tasks"][0]["gid"]
    actions = [
        {"method": "get", "relative_path": f"/tasks/{t}", "options": {"fields": ["name"]}},
        {"method": "get", "relative_path": "/tasks/42"},
        {"method": "get", "relative_path": f"/tasks/{t}/stories", "options": {"limit": 1}},
    ]
    body = c.post("batch", json={"data": {"actions": actions}}).json()["data"]
    assert [a["status_code"] for a in body] == [200, 404, 200]
    assert set(body[0]["body"]["data"]) == {"gid", "name"}
    assert len(body[2]["body"]["data"]) == 1
    r = c.post("batch", json={"data": {"actions": actions * 4}})
    assert r.status_code == 400 and r.json()["errors"][0]["message"]


def test_deleted_tasks_are_gone_and_denied_objects_answer_403(served: Any) -> None:
    sb, c, url = served
    deleted = next(t for t in sb.state.tasks.values() if t.deleted)
    assert c.get(f"tasks/{deleted.gid}").status_code == 404
    assert deleted.gid not in {t["gid"] for t in sb.export()["tasks"]}
    p = first_project(sb)["gid"]
    httpx.post(url + "/_sandbox/deny", json={"gid": p})
    try:
        r = c.get(f"projects/{p}/tasks", params={"limit": 5})
        assert r.status_code == 403 and r.json()["errors"][0]["message"]
    finally:
        httpx.post(url + "/_sandbox/deny", json={"gid": p, "deny": False})


def test_events_start_with_412_and_report_changes(served: Any) -> None:
    sb, c, url = served
    p = first_project(sb)["gid"]
    first = c.get("events", params={"resource": p})
    assert first.status_code == 412 and first.json()["sync"]
    token = first.json()["sync"]
    quiet = c.get("events", params={"resource": p, "sync": token}).json()
    assert quiet["data"] == [] and quiet["has_more"] is False
    changed = httpx.post(url + "/_sandbox/mutate", json={"fraction": 0.2, "seed": 3}).json()["changed"]
    mine = set(first_project(sb)["tasks"]) & set(changed)
    got = c.get("events", params={"resource": p, "sync": quiet["sync"]}).json()
    assert {e["resource"]["gid"] for e in got["data"]} == mine
    httpx.post(url + "/_sandbox/expire_sync", json={"project": p})
    assert c.get("events", params={"resource": p, "sync": got["sync"]}).status_code == 412


def test_download_url_is_signed_and_expires_with_s3s_403() -> None:
    sb = AsanaSandbox(seed=2, scale="small", rate_limits="off", download_ttl=1)
    att = next(a for a in sb.export()["attachments"] if a["host"] == "asana" and a["size"] > 0)
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/1.0/", headers=AUTH) as c:
        url = c.get(f"attachments/{att['gid']}").json()["data"]["download_url"]
        assert att["gid"] in url and "X-Amz-Signature" in url
        assert httpx.get(url, headers=AUTH).status_code == 400  # S3: only one auth mechanism allowed
        r = httpx.get(url)  # no Asana token: the storage host needs none
        assert r.status_code == 200 and len(r.content) == att["size"]
        time.sleep(2.1)
        late = httpx.get(url)
        assert late.status_code == 403 and b"Request has expired" in late.content
        assert httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
        fresh = c.get(f"attachments/{att['gid']}").json()["data"]["download_url"]
        assert httpx.get(fresh, headers={"Range": "bytes=10-"}).status_code in (200, 206)
        httpx.post(srv.url + "/_sandbox/corrupt", json={"mode": "bad_file", "attachment_id": att["gid"]})
        assert httpx.get(c.get(f"attachments/{att['gid']}").json()["data"]["download_url"]).status_code == 500


def test_links_to_other_hosts_have_no_asana_download() -> None:
    sb = AsanaSandbox(seed=2, scale="medium", rate_limits="off")
    hosts = {a["host"] for a in sb.export()["attachments"]}
    assert "asana" in hosts and hosts & {"box", "vimeo"}


def test_the_free_tier_answers_429_with_retry_after() -> None:
    sb = AsanaSandbox(seed=1, scale="small", tier="free")  # 150 a minute: a loaded machine still sends 160 in one
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/1.0/", headers=AUTH) as c:
        statuses = [c.get("users/me").status_code for _ in range(160)]
        assert statuses.count(200) == 150 and statuses[-1] == 429
        r = c.get("users/me")
        assert r.status_code == 429 and float(r.headers["Retry-After"]) > 0
        assert "rate limit" in r.json()["errors"][0]["message"]


def test_a_batch_counts_as_its_actions() -> None:
    limits = AsanaRateLimits("documented", "free")
    assert limits.admit("t", weight=10) is None
    limits.done("t")
    for _ in range(140):
        assert limits.admit("t") is None
        limits.done("t")
    assert limits.admit("t") is not None


def test_the_cost_limit_comes_without_warning() -> None:
    sb = AsanaSandbox(seed=1, scale="small")
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/1.0/", headers=AUTH) as c:
        ok = c.get("users/me")
        assert ok.status_code == 200 and not any(h.lower().startswith("x-ratelimit") for h in ok.headers)
        httpx.post(srv.url + "/_sandbox/drain")
        r = c.get("users/me")
        assert r.status_code == 429 and float(r.headers["Retry-After"]) > 0


def test_concurrent_reads_are_capped_at_fifty() -> None:
    limits = AsanaRateLimits("documented", "paid")
    assert all(limits.admit("t") is None for _ in range(50))
    assert limits.admit("t") is not None  # the 51st read in flight
    assert limits.admit("t", write=True) is None  # writes are their own pool
    limits.done("t")
    assert limits.admit("t") is None


def test_seed_and_scale_decide_the_state() -> None:
    a, b = AsanaSandbox(seed=4, scale="small"), AsanaSandbox(seed=4, scale="small")
    assert a.export() == b.export()
    assert a.export() != AsanaSandbox(seed=5, scale="small").export()


@pytest.mark.slow
def test_large_holds_what_the_issue_asks() -> None:
    st = build_state(1, "large")
    tasks = [t for t in st.tasks.values() if not t.deleted]
    assert sum(1 for t in tasks if not t.data["parent"]) >= 9_900
    assert sum(1 for t in tasks for s in t.stories if s["type"] == "comment") >= 29_000
    assert len(st.attachments) >= 2_000


def test_manifest_is_computed_from_the_state(served: Any) -> None:
    sb, _, _ = served
    exp = sb.export_with_manifest()
    manifest = exp["manifest"]
    refs = [e["ref"] for e in manifest]
    assert len(refs) == len(set(refs))
    kinds = Counter(e["kind"] for e in manifest)
    assert kinds["item"] == sum(1 for t in exp["tasks"] if not t["parent"])
    assert kinds["subitem"] == sum(1 for t in exp["tasks"] if t["parent"])
    assert kinds["comment"] == sum(len(t["comments"]) for t in exp["tasks"])
    assert kinds["attachment"] == len(exp["attachments"])
    archived = {p["gid"] for p in exp["projects"] if p["archived"]}
    assert archived
    by_ref = {e["ref"]: e for e in manifest}
    for t in exp["tasks"]:
        assert by_ref[f"asana:task:{t['gid']}"]["archived"] is (t["project"] in archived)
    names = {t["name"] for t in exp["tasks"]}
    assert "" in names and any(len(n) > 500 for n in names) and any("\u05d1" in n for n in names)
    assert any(p["tasks"] == [] for p in exp["projects"])  # an empty project
    assert exp["templates"]


def test_a_webhook_is_made_only_through_the_handshake_and_its_deliveries_are_signed_with_its_secret(
    served: Any,
) -> None:
    sb, c, _ = served
    project = first_project(sb)["gid"]
    ws = sb.export()["workspace"]["gid"]
    silent, echoing = Catcher(), Catcher(echo_header="X-Hook-Secret")
    try:
        refused = c.post("webhooks", json={"data": {"resource": project, "target": "https://localhost/hook"}})
        assert refused.status_code == 403
        failed = c.post("webhooks", json={"data": {"resource": project, "target": silent.url}})
        assert failed.status_code == 400 and "handshake" in failed.json()["errors"][0]["message"]
        assert silent.raw and "x-hook-secret" in silent.raw[0][0]
        assert c.get("webhooks", params={"workspace": ws}).json()["data"] == []

        made = c.post("webhooks", json={"data": {"resource": project, "target": echoing.url}})
        assert made.status_code == 201
        secret = made.json()["X-Hook-Secret"]
        assert secret == echoing.raw[0][0]["x-hook-secret"] and "secret" not in made.json()["data"]
        listed = c.get("webhooks", params={"workspace": ws, "resource": project}).json()["data"]
        assert listed == [
            {
                "gid": made.json()["data"]["gid"],
                "resource_type": "webhook",
                "active": True,
                "resource": {"gid": project, "resource_type": "project", "name": first_project(sb)["name"]},
                "target": echoing.url,
            }
        ]

        task = first_project(sb)["tasks"][0]
        assert c.put(f"tasks/{task}", json={"data": {"name": "Renamed"}}).status_code == 200
        echoing.wait(2)
        headers, body = echoing.raw[1]
        assert headers["x-hook-signature"] == hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        (event,) = httpx.Response(200, content=body).json()["events"]
        assert event["resource"]["gid"] == task and event["action"] == "changed" and "name" not in event["resource"]
        assert c.delete(f"webhooks/{made.json()['data']['gid']}").status_code == 200
        assert c.get("webhooks", params={"workspace": ws}).json()["data"] == []
    finally:
        silent.close()
        echoing.close()
