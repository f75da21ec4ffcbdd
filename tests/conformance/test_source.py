"""Every registered source, through its real client over HTTP, against its own sandbox,
held to the sandbox's manifest (what the sandbox says it holds, never what our client read):
each object extracted once and in order, pages followed to the end, a refused credential
(401) and a denied access (403) each one sentence, a malformed record quarantined with the
rest extracted, and the vendor's 429 waited out."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, get_args

import httpx
import pytest

from adapters.sandboxkit import ManifestKind, SandboxServer
from tests.conformance import systems, views
from tests.conformance.systems import System, connect_source, serve_sandbox
from wizard import registry
from wizard.adapter import SourceAdapter, SourceLeftOut, SourceLoss, SourceRejected
from wizard.errors import CredentialError, PermissionDenied
from wizard.events import CountingSink, RequestRetried
from wizard.model import Attachment, Comment, Item, Template

EXTRACTED = ("container", "item", "subitem", "comment", "attachment")


@dataclass
class SourceWorld:
    system: System
    server: SandboxServer
    made: list[SourceAdapter] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def export(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_sandbox/export", timeout=60).json()

    def manifest(self) -> list[dict[str, Any]]:
        return views.manifest(self.export(), self.system.name)

    def post(self, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = httpx.post(f"{self.url}/_sandbox/{route}", json=body or {}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    def connect(self, **kw: Any) -> SourceAdapter:
        # The vendor's windows compressed a thousandfold: a 429 asks for a wait of milliseconds.
        src = connect_source(registry.source(self.system.name), self.server, rate_scale=RATE_SCALE, **kw)
        self.made.append(src)
        return src


RATE_SCALE = 0.001


def _world(source: System, scale: str) -> Iterator[SourceWorld]:
    spec = registry.source(source.name)
    with serve_sandbox(spec, seed=5, scale=scale, rate_scale=RATE_SCALE) as server:
        yield SourceWorld(source, server)


@pytest.fixture
async def sandbox(source: System) -> AsyncIterator[SourceWorld]:
    for world in _world(source, "small"):
        yield world
        for src in world.made:
            await src.aclose()


@dataclass
class Extracted:
    objects: Counter[str] = field(default_factory=Counter)
    rejected: dict[str, SourceRejected] = field(default_factory=dict)
    left_out: dict[str, SourceLeftOut] = field(default_factory=dict)


async def extract_all(src: SourceAdapter, *, include_archived: bool = False) -> Extracted:
    """Every container, streamed; holds the documented order: a container's template first,
    every object after what it hangs on."""
    out = Extracted()
    for container in await src.containers():
        if container.closed and not include_archived:
            continue  # the manifest calls what hangs on it archived too
        seen: set[str] = set()
        first = True
        async for obj in src.extract(container.id, include_archived=include_archived):
            if isinstance(obj, SourceRejected):
                out.rejected[obj.key] = obj
                continue
            if isinstance(obj, SourceLeftOut):
                out.left_out[obj.key] = obj
                continue
            if isinstance(obj, SourceLoss):  # a ledger line of the source's preset, not an object
                assert obj.why, f"{obj.key}: a ledger line names its reason"
                continue
            assert isinstance(obj, Template) == first, f"the template comes first, and once: {obj.key}"
            first = False
            if isinstance(obj, Item):
                assert obj.template_key in seen, f"{obj.key} before its template"
            elif isinstance(obj, (Comment, Attachment)):
                assert obj.item_key in seen or obj.item_key in out.rejected, f"{obj.key} before its item"
            seen.add(obj.key)
            out.objects[obj.key] += 1
    return out


def only(refs: Counter[str], entries: list[dict[str, Any]]) -> Counter[str]:
    """The refs among these that the manifest lists as extracted kinds."""
    kinds = {e["ref"] for e in entries if e["kind"] in EXTRACTED}
    return Counter({r: n for r, n in refs.items() if r in kinds})


@pytest.mark.parametrize("include_archived", [False, True], ids=["open", "with-archived"])
async def test_extract_brings_every_object_of_the_manifest_once_in_order(
    sandbox: SourceWorld, include_archived: bool
) -> None:
    entries = sandbox.manifest()
    got = await extract_all(sandbox.connect(), include_archived=include_archived)
    want = views.wanted(entries, kinds=EXTRACTED)
    everything = views.wanted(entries, include_archived=True, kinds=EXTRACTED)
    assert not got.rejected
    assert sum(want.values()) > 20, "the small sandbox holds something of every kind"
    assert max(got.objects.values()) == 1, "nothing twice"
    arrived = only(got.objects, entries)
    if include_archived:  # archived ones come too, from the containers the source lists
        assert set(want) <= set(arrived) <= set(everything), set(want) - set(arrived)
    else:
        assert arrived == want
    for ref in got.left_out:
        assert got.left_out[ref].reason, f"{ref} left out with a reason"


async def test_the_spec_says_whether_the_source_has_a_change_feed(sandbox: SourceWorld) -> None:
    # The estimate counts a change-feed call per migrated container from the spec alone, so the
    # spec must say what the adapter does: one that keeps SourceAdapter's changes_since has none.
    spec = registry.source(sandbox.system.name)
    has_feed = type(sandbox.connect()).changes_since is not SourceAdapter.changes_since
    assert spec.change_feed == has_feed, f"{spec.system}: the spec says {spec.change_feed}, the adapter {has_feed}"


@pytest.mark.slow
async def test_pages_are_followed_to_the_end(source: System) -> None:
    """At medium scale every paged listing spans several pages: all of it arrives once."""
    for world in _world(source, "medium"):
        src = world.connect()
        try:
            entries = world.manifest()
            got = await extract_all(src)
            assert only(got.objects, entries) == views.wanted(entries, kinds=EXTRACTED)
            containers = len(await src.containers())
            # reads: GETs, or a GraphQL source's queries (counted per operation)
            reads = Counter({r: n for r, n in src.client.calls_by_route.items() if r.startswith(("GET", "query "))})
            assert max(reads.values()) > containers, f"some listing took more than one page: {reads}"
        finally:
            await src.aclose()


async def test_a_refused_credential_is_one_sentence(sandbox: SourceWorld, source: System) -> None:
    wrong = {part: f"wrong-{part}" for part in registry.source(source.name).credential_parts}
    with pytest.raises(CredentialError) as err:
        await sandbox.connect(credentials=wrong).whoami()
    assert "401" in err.value.sentence and "\n" not in err.value.sentence


async def test_denied_access_is_one_sentence(sandbox: SourceWorld) -> None:
    src = sandbox.connect()
    await src.whoami()
    sandbox.post("faults", {"rate_403": 1.0})
    with pytest.raises(PermissionDenied) as err:
        await extract_all(src)
    assert "403" in err.value.sentence and "\n" not in err.value.sentence


async def test_a_malformed_record_is_quarantined_and_the_rest_extracted(sandbox: SourceWorld) -> None:
    ref = sandbox.post("corrupt", {})["ref"]
    entries = sandbox.manifest()
    got = await extract_all(sandbox.connect())
    assert ref in got.rejected and got.rejected[ref].reason
    assert ref not in got.objects
    want = views.wanted(entries, kinds=EXTRACTED)
    arrived = only(got.objects, entries)
    assert set(want) - set(arrived) <= set(got.rejected), "what did not arrive was quarantined, with a reason"
    assert all(got.rejected[r].reason for r in set(want) - set(arrived))
    assert len(arrived) >= len(want) - 20, "one bad record stops only itself and what hangs on it"


async def test_the_vendors_429_is_waited_out(sandbox: SourceWorld) -> None:
    sandbox.post("faults", {"rate_429": 0.5, "seed": 3})
    sink = CountingSink()
    entries = sandbox.manifest()
    src = sandbox.connect(sink=sink)
    pauses: list[float] = []
    pause = src.client.limiter.pause

    def watched(seconds: float, reason: str) -> None:  # what the client asked of its limiter
        pauses.append(seconds)
        pause(seconds, reason)

    src.client.limiter.pause = watched  # type: ignore[method-assign]
    got = await extract_all(src)
    assert only(got.objects, entries) == views.wanted(entries, kinds=EXTRACTED)
    answered_429 = _statuses(sandbox)["429"]
    retried = [e for e in sink.events if isinstance(e, RequestRetried) and "429" in e.reason]
    assert answered_429 >= 2 and len(retried) == answered_429, "every 429 was retried, none given up on"
    assert len(pauses) >= answered_429 and all(p > 0 for p in pauses), "after a pause for what the vendor asked"


def _statuses(world: SourceWorld) -> Counter[str]:
    stats = httpx.get(f"{world.url}/_sandbox/stats", timeout=30).json()
    out: Counter[str] = Counter()
    for by in stats["by_route"].values():
        out.update(by)
    return out


def test_the_reference_sources_hold_every_kind_a_manifest_can_list() -> None:
    """The heavy pair checks run into each target from the reference sources only
    (test_pair.py says why that covers every pair): between them, they hold every kind."""
    held: set[str] = set()
    for name in systems.REFERENCE_SOURCES:
        spec = registry.source(name)
        assert spec.sandbox is not None
        sandbox = spec.sandbox.factory(registry.SandboxOptions(seed=2, scale="small", rate_limits="documented"))
        manifest = sandbox.manifest()
        assert manifest is not None, f"{name} is a source sandbox"
        held |= {e.kind for e in manifest.entries if not e.archived}
    assert held == set(get_args(ManifestKind)), set(get_args(ManifestKind)) - held
