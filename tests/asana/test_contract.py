"""Every route the Asana sandbox serves answers as Asana's OpenAPI description says, the ones
our client does not call too (tests/contract holds what the client sends and gets; this
holds the rest of the sandbox), errors included: Asana's ErrorResponse for 400/401/403/404,
the Events API's 412 with its sync token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.asana import sandbox_webhooks as hooks
from adapters.asana.sandbox import AsanaSandbox
from adapters.asana.sandbox_api import ROUTES
from adapters.asana.spec import SANDBOX_CREDENTIALS, SPEC
from adapters.sandboxkit import SandboxServer
from tests.contract.vendor_spec import OpenApi

AUTH = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['token']}"}


@pytest.fixture(scope="module")
def described() -> OpenApi:
    assert SPEC.api is not None
    return OpenApi(SPEC.api)  # skips, with the reason, where ../shared is absent


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[AsanaSandbox, httpx.Client]]:
    sb = AsanaSandbox(seed=9, scale="small", rate_limits="off")
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url + "/api/1.0", headers=AUTH, timeout=30) as c:
        yield sb, c


def sample_ids(sb: AsanaSandbox) -> dict[str, str]:
    st = sb.state
    project = next(p for p in st.projects.values() if p.tasks and not p.data["archived"])
    task = next(st.tasks[g] for g in project.tasks if st.tasks[g].subtasks and not st.tasks[g].deleted)
    # a webhook, as its handshake would have made it (the handshake itself: tests/asana/test_sandbox.py)
    hook = next(iter(st.webhooks.values()), None) or hooks.make(st, project, "https://example.com/hook", "s", [])
    return {
        "/users/{gid}": "me",
        "/workspaces/{gid}": st.workspace["gid"],
        "/teams/{gid}": next(iter(st.teams)),
        "/project_templates/{gid}": next(iter(st.templates)),
        "/projects/{gid}": project.gid,
        "/sections/{gid}": project.sections[0],
        "/tasks/{gid}": task.gid,
        "/attachments/{gid}": next(iter(st.attachments)),
        "/webhooks/{gid}": hook["gid"],
    }


def url_for(template: str, ids: dict[str, str]) -> str:
    for prefix, gid in ids.items():
        if template.startswith(prefix.rsplit("/", 1)[0] + "/{gid}"):
            return template.replace("{gid}", gid)
    return template


def query_for(template: str, sb: AsanaSandbox) -> dict[str, Any]:
    st = sb.state
    project = next(p for p in st.projects.values() if p.tasks and not p.data["archived"])
    need = {
        "/users": {"workspace": st.workspace["gid"]},
        "/projects": {"workspace": st.workspace["gid"]},
        "/project_templates": {"workspace": st.workspace["gid"]},
        "/tags": {"workspace": st.workspace["gid"]},
        "/webhooks": {"workspace": st.workspace["gid"]},
        "/tasks": {"project": project.gid},
        "/attachments": {"parent": next(a["parent"] for a in st.attachments.values())},
        "/projects/{gid}/task_counts": {"opt_fields": "num_tasks,num_completed_tasks"},
    }
    return need.get(template, {})


def test_every_route_answers_as_described(served: Any, described: OpenApi) -> None:
    sb, c = served
    ids = sample_ids(sb)
    errors: list[str] = []
    checked = 0
    for method, template, _ in ROUTES:
        if template == "/events":
            continue  # below: its first answer is the 412
        path = url_for(template, ids)
        r = c.request(
            method,
            path,
            params={"limit": 5, **query_for(template, sb)} if "{gid}" not in template[-6:] else query_for(template, sb),
        )
        assert r.status_code == 200, (path, r.text)
        found = described.answer_schema(method, path, 200)
        assert found is not None, f"{method} {template}: the description gives no schema"
        described.check(r.json(), found[1], found[0], errors)
        checked += 1
    assert checked >= 25
    assert not errors, errors[:20]


def test_errors_are_asanas_error_response(served: Any, described: OpenApi) -> None:
    sb, c = served
    errors: list[str] = []
    cases = [
        (httpx.get(str(c.base_url) + "/users/me"), 401),  # no token
        (c.get("/tasks/1"), 404),
        (c.get("/projects", params={"limit": 500, "workspace": sb.state.workspace["gid"]}), 400),
        (c.get("/events", params={"resource": next(iter(sb.state.projects))}), 412),
    ]
    for r, status in cases:
        assert r.status_code == status, r.text
        body = r.json()
        described.check(body, {"$ref": "#/components/schemas/ErrorResponse"}, "ErrorResponse", errors)
        assert body["errors"] and all(isinstance(e["message"], str) and e["message"] for e in body["errors"])
    assert cases[-1][0].json()["sync"]
    assert not errors, errors
