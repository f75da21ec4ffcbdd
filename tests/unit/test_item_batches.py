"""Which new items share a request is fixed by the source's order alone, whatever the
timing: a dry run (answers at once) and a run (answers late, items arriving in any order)
send the same requests; a group larger than the run's concurrency does not wait forever; an
item refused alone is refused alone; an item asking again after its group went goes alone."""

from __future__ import annotations

import asyncio
import random

from wizard.engine.item_batches import ItemBatches


async def _run(keys: list[str], skip: set[str], size: int, concurrency: int, jitter: random.Random | None) -> list:
    sent: list[list[str]] = []
    slots = asyncio.Semaphore(concurrency)

    async def send(batch: list[str]) -> list[str | Exception]:
        sent.append(list(batch))
        if jitter:
            await asyncio.sleep(jitter.random() / 200)
        return [ValueError(k) if k.endswith("bad") else f"id-{k}" for k in batch]

    batches: ItemBatches[str] = ItemBatches(size, send, slots)
    got: dict[str, str] = {}

    async def item(key: str) -> None:
        async with slots:
            if jitter:
                await asyncio.sleep(jitter.random() / 100)
            if key in skip:
                return
            try:
                got[key] = await batches.create(key, key)
            except ValueError:
                got[key] = "refused"

    tasks = []
    for key in keys:
        task = asyncio.create_task(item(key))
        batches.join(key, task)
        tasks.append(task)
        if jitter:
            await asyncio.sleep(jitter.random() / 400)
    batches.close()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)
    return [sorted(b) for b in sent], got


def test_the_same_requests_whatever_the_timing_and_larger_than_the_concurrency() -> None:
    keys = [f"k{i:02d}" for i in range(23)] + ["k23bad"]
    skip = {"k03", "k10", "k11"}
    dry = asyncio.run(_run(keys, skip, size=5, concurrency=2, jitter=None))
    for seed in range(3):
        real = asyncio.run(_run(keys, skip, size=5, concurrency=2, jitter=random.Random(seed)))
        assert sorted(real[0]) == sorted(dry[0]), "the same items in the same requests"
        assert real[1] == dry[1]
    sent, got = dry
    assert len(sent) == 5 and sorted(sent)[0] == ["k00", "k01", "k02", "k04"], (
        "groups of five by order, a skipped one left"
    )
    assert got["k23bad"] == "refused" and got["k22"] == "id-k22", "refused alone"
    assert set(got) == set(keys) - skip


def test_an_item_asking_again_after_its_group_went_is_sent_alone() -> None:
    async def go() -> list[list[str]]:
        sent: list[list[str]] = []

        async def send(batch: list[str]) -> list[str | Exception]:
            sent.append(batch)
            return [f"id-{k}" for k in batch]

        b: ItemBatches[str] = ItemBatches(3, send)
        for k in ("a", "b", "c"):
            b.join(k)
        await asyncio.gather(*(b.create(k, k) for k in ("a", "b", "c")))
        assert await b.create("b", "b") == "id-b"
        return sent

    assert asyncio.run(go()) == [["a", "b", "c"], ["b"]]


def test_a_request_that_fails_fails_each_of_its_items() -> None:
    async def go() -> list[BaseException | str]:
        async def send(batch: list[str]) -> list[str | Exception]:
            raise ConnectionError("reset after sending")

        b: ItemBatches[str] = ItemBatches(2, send)
        b.join("a")
        b.join("b")
        return await asyncio.gather(b.create("a", "a"), b.create("b", "b"), return_exceptions=True)

    assert [type(r) for r in asyncio.run(go())] == [ConnectionError, ConnectionError]
