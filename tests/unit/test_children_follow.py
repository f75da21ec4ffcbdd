"""A source that yields each item's children right after it (`follow_their_item`) has them
written as they come: the engine schedules an item's files as soon as the next item
arrives, instead of holding every child of the container until its end. And the engine reads
the source only as fast as it writes (back-pressure): it never runs more than its backlog of
items ahead, and the children it must gather wait on disk, not in memory."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from wizard.adapter import Container, Identity, SourceAdapter
from wizard.engine.executor import RunExecutor
from wizard.events import NullSink
from wizard.model import Attachment, Canonical, Comment, Item, Template

N = 8


class Source(SourceAdapter):
    system, label, credential_parts = "fake", "Fake", ()

    def __init__(self, follow: frozenset[str], n: int = N) -> None:
        self.follow_their_item = follow  # type: ignore[misc]
        self.yielded = 0
        self.n = n

    @classmethod
    def connect(cls, *a: Any, **kw: Any) -> SourceAdapter:
        raise NotImplementedError

    async def whoami(self) -> Identity:
        raise NotImplementedError

    async def containers(self) -> list[Container]:
        return []

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Canonical]:  # type: ignore[override]
        yield Template(key="fake:board:b", name="B")
        for i in range(self.n):
            await asyncio.sleep(0)  # reading the next page lets the writes run, as over HTTP
            self.yielded += 1
            yield Item(key=f"fake:item:{i}", template_key="fake:board:b", name=f"item {i}")
            yield Attachment(key=f"fake:attachment:{i}", item_key=f"fake:item:{i}", name="f.txt", size=1)
        for i in range(self.n):  # comments come board-wide, after the last item
            for n in range(2):
                yield Comment(
                    key=f"fake:comment:{i}-{n}",
                    item_key=f"fake:item:{i}",
                    created_at=datetime(2024, 1, 1, tzinfo=UTC),
                    text=f"comment {n} on item {i}",
                )

    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass


def executor(source: Source, target: Any = None) -> RunExecutor:
    meta: dict[str, Any] = {}
    store = SimpleNamespace(meta=meta, set_meta=lambda **kw: meta.update(kw))
    plan = SimpleNamespace(limits=SimpleNamespace(concurrency=2), mapping=SimpleNamespace(include_archived=False))
    target = target or SimpleNamespace(stop_on=lambda stop: None, calls=0, item_batch=1)
    ex = RunExecutor(plan, store, source, target, NullSink())  # type: ignore[arg-type]

    async def ctx(tpl: Template) -> object:
        return object()

    async def gate() -> bool:
        return True

    ex.ensure_template = ctx  # type: ignore[method-assign,assignment]
    ex.journal.go_on = gate  # type: ignore[method-assign]
    return ex


async def scheduled(follow: frozenset[str]) -> dict[str, int]:
    """For each child group, how many items the source had yielded when it was scheduled."""
    source = Source(follow)
    ex = executor(source)
    at: dict[str, int] = {}

    def record(key: str) -> Coroutine[Any, Any, None]:
        at[key] = source.yielded

        async def nothing() -> None:
            return None

        return nothing()

    ex.migrate_item = lambda item, *a: record(item.key)  # type: ignore[method-assign]
    ex.children.uploads = lambda key, atts, ctx: record(f"files of {key}")  # type: ignore[method-assign]
    ex.children.comments = lambda key, cs, ctx: record(f"comments of {key}")  # type: ignore[method-assign]
    await ex.migrate_container("b")
    return at


@pytest.mark.parametrize("follow", [frozenset({"attachment"}), frozenset()], ids=["follow", "gathered"])
async def test_files_that_follow_their_item_are_scheduled_when_the_next_item_comes(follow: frozenset[str]) -> None:
    at = await scheduled(follow)
    for i in range(N):
        want = min(i + 2, N) if follow else N  # with the next item, or (the last) at the end
        assert at[f"files of fake:item:{i}"] == want, at
        assert at[f"comments of fake:item:{i}"] == N, "board-wide comments wait for the last item"


async def test_the_source_is_read_only_as_fast_as_the_target_writes() -> None:
    source = Source(frozenset({"attachment"}), n=300)
    ex = executor(source)
    written: list[str] = []
    ahead: list[int] = []
    got: dict[str, list[str]] = {}

    async def write_item(item: Item, *a: Any) -> None:
        await asyncio.sleep(0.001)  # the target takes its time
        written.append(item.key)
        ahead.append(source.yielded - len(written))

    async def write_comments(key: str, cs: list[Comment], ctx: object) -> None:
        got[key] = [c.text for c in cs]

    async def write_files(key: str, atts: list[Attachment], ctx: object) -> None:
        pass

    ex.migrate_item = write_item  # type: ignore[method-assign,assignment]
    ex.children.comments = write_comments  # type: ignore[method-assign,assignment]
    ex.children.uploads = write_files  # type: ignore[method-assign,assignment]
    await ex.migrate_container("b")
    assert len(written) == 300
    # Every item of the board turned into a task at once would be 299 ahead.
    assert max(ahead) <= ex.backlog, max(ahead)
    # The board-wide comments came back from the spool whole and in their order.
    assert got == {f"fake:item:{i}": [f"comment 0 on item {i}", f"comment 1 on item {i}"] for i in range(300)}


@pytest.mark.parametrize("batch", [1, 25])
async def test_each_items_files_are_written_once_even_while_items_wait_for_their_batch(batch: int) -> None:
    """A target that creates new items several a request (monday.com: 25) holds each member of
    a batch until the batch is full; the files that follow each waiting item are started once
    (not again at every later item), and the source is read on until the batch fills, instead
    of waiting for backlog slots that only the batch's missing members would free."""
    sent: list[int] = []

    async def create_items(news: list[Any]) -> list[str | Exception]:
        await asyncio.sleep(0.001)
        sent.append(len(news))
        return [f"id-{n.item.key}" for n in news]

    target = SimpleNamespace(stop_on=lambda stop: None, calls=0, item_batch=batch, create_items=create_items)
    n = 200
    source = Source(frozenset({"attachment"}), n=n)
    ex = executor(source, target)
    files: Counter[str] = Counter()

    async def write_item(item: Item, tpl: Template, ctx: Any, fields: Any) -> None:
        if batches := ex._batches.get(tpl.key):
            await batches.create(item.key, SimpleNamespace(item=item))
        else:
            await create_items([SimpleNamespace(item=item)])

    async def write_files(key: str, atts: list[Attachment], ctx: object) -> None:
        files[key] += len(atts)

    async def write_comments(key: str, cs: list[Comment], ctx: object) -> None:
        pass

    ex.migrate_item = write_item  # type: ignore[method-assign,assignment]
    ex.children.uploads = write_files  # type: ignore[method-assign,assignment]
    ex.children.comments = write_comments  # type: ignore[method-assign,assignment]
    await asyncio.wait_for(ex.migrate_container("b"), timeout=60)
    assert sum(sent) == n and max(sent) == batch
    assert files == {f"fake:item:{i}": 1 for i in range(n)}, "each item's file written once, in one write"


class WithSubItems(Source):
    """Each item followed by more sub-items than the backlog has slots."""

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Canonical]:  # type: ignore[override]
        yield Template(key="fake:board:b", name="B")
        for i in range(self.n):
            await asyncio.sleep(0)
            yield Item(key=f"fake:item:{i}", template_key="fake:board:b", name=f"item {i}")
            for k in range(60):
                yield Item(
                    key=f"fake:item:{i}-{k}", template_key="fake:board:b", name="sub", parent_key=f"fake:item:{i}"
                )


async def test_sub_items_waiting_for_a_parent_in_an_unsent_batch_do_not_stop_the_source() -> None:
    """A sub-item waits for its parent, which waits for its batch to fill: the sub-items take
    no slot of the backlog while they wait, or sixty of them would leave none for the items
    the batch is waiting for."""
    sent: list[int] = []

    async def create_items(news: list[Any]) -> list[str | Exception]:
        sent.append(len(news))
        return [f"id-{n.item.key}" for n in news]

    target = SimpleNamespace(
        stop_on=lambda stop: None, calls=0, item_batch=25, create_items=create_items, items_as_subitems=True
    )
    source = WithSubItems(frozenset(), n=60)
    ex = executor(source, target)
    children: list[str] = []

    async def write_item(item: Item, tpl: Template, ctx: Any, fields: Any) -> None:
        if item.parent_key:
            children.append(item.key)
        else:
            await ex._batches[tpl.key].create(item.key, SimpleNamespace(item=item))

    ex.migrate_item = write_item  # type: ignore[method-assign,assignment]
    await asyncio.wait_for(ex.migrate_container("b"), timeout=60)
    assert sent == [25, 25, 10] and len(children) == 60 * 60
