"""What the executor keeps of an item once its writing is over (issue 19, item 4): not an
asyncio.Event per item for the whole run (about 870 bytes each: 8.7 MB at 10,000 cards), only
the key, and an event only for a first item a duplicate waits for."""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Any

from tests.unit.test_children_follow import Source, executor
from wizard.model import Item

ITEMS = 2_000


async def test_a_finished_item_leaves_little_behind() -> None:
    ex = executor(Source(frozenset()))

    async def written(item: Item, *a: Any) -> None:
        return None

    ex._migrate_item = written  # type: ignore[method-assign,assignment]
    items = [Item(key=f"fake:item:{i:024x}", template_key="fake:board:b", name="x") for i in range(ITEMS)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for item in items:
            await ex.migrate_item(item, None, None, {})  # type: ignore[arg-type]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / ITEMS < 200, f"{held / ITEMS:.0f} bytes kept per finished item"


async def test_a_duplicate_waits_for_its_first_item_to_finish() -> None:
    ex = executor(Source(frozenset()))
    ex.plan.mapping.duplicates = "merge"
    release = asyncio.Event()
    order: list[str] = []

    async def first_write(item: Item, *a: Any) -> None:
        await release.wait()
        order.append("first written")

    ex._migrate_item = first_write  # type: ignore[method-assign,assignment]
    first = Item(key="fake:item:1", template_key="fake:board:b", name="same")
    second = Item(key="fake:item:2", template_key="fake:board:b", name="same")
    ex.store.target_of = lambda key: order.append(f"looked up {key}")  # type: ignore[attr-defined]
    writing = asyncio.create_task(ex.migrate_item(first, None, None, {}))  # type: ignore[arg-type]
    assert not await ex.merge_duplicate(first)  # the first of its group
    waiting = asyncio.create_task(ex.merge_duplicate(second))
    await asyncio.sleep(0.01)
    assert not waiting.done() and order == []
    release.set()
    await writing
    assert await waiting is False  # no settle entry in this store: not merged
    assert order == ["first written", "looked up fake:item:1#settled"]
    assert not ex._awaited, "the event is let go once its item is done"
