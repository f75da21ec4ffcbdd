"""A source that yields each item's children right after it (`follow_their_item`) has them
written as they come: the engine schedules an item's files as soon as the next item
arrives, instead of holding every child of the container until its end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from wizard.adapter import Container, Identity, SourceAdapter
from wizard.engine.executor import RunExecutor
from wizard.events import NullSink
from wizard.model import Attachment, Canonical, Comment, Item, Template

N = 4


class Source(SourceAdapter):
    system, label, credential_parts = "fake", "Fake", ()

    def __init__(self, follow: frozenset[str]) -> None:
        self.follow_their_item = follow  # type: ignore[misc]
        self.yielded = 0

    @classmethod
    def connect(cls, *a: Any, **kw: Any) -> SourceAdapter:
        raise NotImplementedError

    async def whoami(self) -> Identity:
        raise NotImplementedError

    async def containers(self) -> list[Container]:
        return []

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Canonical]:  # type: ignore[override]
        yield Template(key="fake:board:b", name="B")
        for i in range(N):
            self.yielded += 1
            yield Item(key=f"fake:item:{i}", template_key="fake:board:b", name=f"item {i}")
            yield Attachment(key=f"fake:attachment:{i}", item_key=f"fake:item:{i}", name="f.txt", size=1)
        for i in range(N):  # comments come board-wide, after the last item
            yield Comment(
                key=f"fake:comment:{i}",
                item_key=f"fake:item:{i}",
                created_at=datetime(2024, 1, 1, tzinfo=UTC),
                text="c",
            )

    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass


async def scheduled(follow: frozenset[str]) -> dict[str, int]:
    """For each child group, how many items the source had yielded when it was scheduled."""
    source = Source(follow)
    meta: dict[str, Any] = {}
    store = SimpleNamespace(meta=meta, set_meta=lambda **kw: meta.update(kw))
    plan = SimpleNamespace(limits=SimpleNamespace(concurrency=2), mapping=SimpleNamespace(include_archived=False))
    target = SimpleNamespace(stop_on=lambda stop: None, calls=0, item_batch=1)
    ex = RunExecutor(plan, store, source, target, NullSink())  # type: ignore[arg-type]
    at: dict[str, int] = {}

    def record(key: str) -> Coroutine[Any, Any, None]:
        at[key] = source.yielded

        async def nothing() -> None:
            return None

        return nothing()

    async def ctx(tpl: Template) -> object:
        return object()

    async def gate() -> bool:
        return True

    ex.ensure_template = ctx  # type: ignore[method-assign,assignment]
    ex.journal.go_on = gate  # type: ignore[method-assign]
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
