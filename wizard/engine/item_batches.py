"""New items of one container created several to a request, where the target can
(`TargetAdapter.item_batch` > 1; monday.com aliases its `create_item` mutations).

Which items share a request must not depend on timing, or a dry run would list other
requests than the run makes: so the batches are fixed by the source's order alone. The
stream's items join groups of `size` in the order they come (`join`); a group is sent once
it is full or the stream has ended (`close`) and each of its members has either asked to be
created (`create`) or gone its own way (`left`: it was mapped already, skipped, updated, or
its task ended). A dry run and the run take the same decisions from the same store, so they
send the same requests. An item asking again after its group went (a write whose fate was
unknown and was not found) is sent alone.

While it waits for its group, a member gives its slot of the run's concurrency back, so a
group may be larger than the concurrency; it takes a slot again once its answer is in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

T = TypeVar("T")
Send = Callable[[list[T]], Awaitable[list[str | Exception]]]


@dataclass(eq=False)
class _Group(Generic[T]):
    members: set[str] = field(default_factory=set)
    full: bool = False  # no more members join
    gone: set[str] = field(default_factory=set)
    asked: dict[str, T] = field(default_factory=dict)  # in the order members asked
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    sent: bool = False
    answer: asyncio.Future[dict[str, str | Exception]] | None = None

    def check(self) -> None:
        if self.full and not self.ready.is_set() and self.members <= self.gone | set(self.asked):
            self.ready.set()


class ItemBatches(Generic[T]):
    def __init__(self, size: int, send: Send[T], slots: asyncio.Semaphore | None = None) -> None:
        """`send`: creates the items of one request, answering each one's id or the
        exception that refused it. `slots`: the run's concurrency, given back while waiting."""
        self.size = max(1, size)
        self._send = send
        self._slots = slots
        self._open: _Group[T] | None = None
        self._group_of: dict[str, _Group[T]] = {}

    def join(self, key: str, task: asyncio.Task[None] | None = None) -> None:
        """The stream's next item (`task`: its writing; once that ends, it has left)."""
        if task is not None:
            task.add_done_callback(partial(self._ended, key))
        if self._open is None or len(self._open.members) >= self.size:
            self._close_open()
            self._open = _Group()
        self._open.members.add(key)
        self._group_of[key] = self._open
        if len(self._open.members) >= self.size:
            self._close_open()

    def close(self) -> None:
        """The stream has ended (or was stopped): the open group takes no more members."""
        self._close_open()

    def _ended(self, key: str, _: asyncio.Task[None]) -> None:
        self.left(key)

    def left(self, key: str) -> None:
        """The item is not (or no longer) waiting to be created in its group."""
        g = self._group_of.pop(key, None)
        if g is not None and key not in g.asked:
            g.gone.add(key)
            g.check()

    async def create(self, key: str, request: T) -> str:
        """The item's id once its group's request is answered; the exception that refused it
        (or that stopped the request) is raised."""
        g = self._group_of.get(key)
        if g is None or g.sent or key in g.gone:
            return _one(key, await self._send_alone(key, request))
        g.asked[key] = request
        g.check()
        await self._without_slot(g.ready.wait())
        if not g.sent:  # the first member to wake sends for all of them
            g.sent = True
            g.answer = asyncio.get_running_loop().create_future()
            try:
                got = await self._send(list(g.asked.values()))
                g.answer.set_result(dict(zip(g.asked, got, strict=True)))
            except BaseException as e:  # every member learns what stopped the request
                g.answer.set_exception(e)
                g.answer.exception()  # retrieved here too: a member cancelled meanwhile never reads it
                raise
        assert g.answer is not None
        return _one(key, (await asyncio.shield(g.answer))[key])

    async def _send_alone(self, key: str, request: T) -> str | Exception:
        return (await self._send([request]))[0]

    async def _without_slot(self, wait: Awaitable[object]) -> None:
        if self._slots is None:
            await wait
            return
        self._slots.release()
        try:
            await wait
        finally:
            await self._slots.acquire()

    def _close_open(self) -> None:
        if self._open is not None:
            self._open.full = True
            self._open.check()
        self._open = None


def _one(key: str, got: str | Exception) -> str:
    if isinstance(got, Exception):
        raise got
    return got
