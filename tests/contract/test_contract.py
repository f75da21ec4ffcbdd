"""Every registered source whose spec declares the vendor's API description
(`AdapterSpec.api`) is held to it: each request its client sends over a whole session
(whoami, containers, extraction with archived records, every file's download, the change
feed, what verify reads) is an operation the description declares, with only the query
parameters it declares, or a GraphQL document valid against the vendor's SDL; every JSON
answer its sandbox gives has the types the description's schema gives its fields. What the
adapter declares the description gets wrong must still be wrong, or the exemption goes. A
clean clone without ../shared skips with the reason."""

from __future__ import annotations

import httpx
import pytest

from tests.conformance.systems import connect_source, serve_sandbox
from tests.contract.vendor_spec import OpenApi, graphql_problems, is_graphql, spec_file
from wizard import registry
from wizard.model import Attachment

DESCRIBED = [spec for _, spec in sorted(registry.sources().items()) if spec.api is not None]


async def _session(spec: registry.AdapterSpec) -> list[tuple[httpx.Request, httpx.Response]]:
    """Everything the source's client sends in a whole session, with the answers."""
    seen: list[tuple[httpx.Request, httpx.Response]] = []

    async def record(response: httpx.Response) -> None:
        if "json" in response.headers.get("content-type", ""):
            await response.aread()
        seen.append((response.request, response))

    with serve_sandbox(spec, seed=5, scale="small", rate_scale=0.001) as server:
        src = connect_source(spec, server, rate_scale=0.001)
        src.client.http.event_hooks = {"request": [], "response": [record]}
        try:
            await src.whoami()
            for container in await src.containers():
                feed = await src.changes_since(container.id, None)
                async for obj in src.extract(container.id, include_archived=True):
                    if isinstance(obj, Attachment) and obj.is_upload:
                        async for _ in src.open_attachment(obj):
                            pass
                if feed is not None:
                    await src.changes_since(container.id, feed.cursor)
                await src.stated_counts(container.id)
        finally:
            await src.aclose()
    return seen


@pytest.mark.parametrize("spec", DESCRIBED, ids=lambda s: s.system)
async def test_every_request_and_every_answer_is_as_the_vendor_describes(spec: registry.AdapterSpec) -> None:
    assert spec.api is not None and spec.sandbox is not None
    spec_file(spec.api)  # skips, with the reason, on a clean clone without ../shared
    seen = await _session(spec)
    assert len(seen) > 10
    secrets = [v for v in spec.sandbox.credentials.values() if len(v) > 8]
    problems: list[str] = []
    if is_graphql(spec.api):
        for request, _ in seen:
            problems += graphql_problems(spec.api, request.content)
        assert not problems, problems[:20]
        return
    described = OpenApi(spec.api)
    errors: list[str] = []
    for request, response in seen:
        url = str(request.url)
        assert not any(s in url for s in secrets), "credentials never travel in a URL"
        path = request.url.path
        if path.startswith(spec.sandbox.api_path + "/"):
            path = path.removeprefix(spec.sandbox.api_path)
        problems += described.request_problems(request.method, path, set(request.url.params.keys()))
        if response.is_success and "json" in response.headers.get("content-type", ""):
            found = described.answer_schema(request.method, path, response.status_code)
            if found is not None:
                where, schema = found
                described.check(response.json(), schema, where, errors)
    assert not problems, problems[:20]
    assert not errors, errors[:20]
    stale = described.unused()
    assert not stale, f"exemptions no longer needed (the description or the client changed): {stale}"


def test_trello_joins_by_declaring_its_description() -> None:
    assert "trello" in {s.system for s in DESCRIBED}
