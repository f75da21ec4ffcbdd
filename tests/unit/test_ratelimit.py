import asyncio

import pytest

from wizard.ratelimit import Budget, RateLimiter


class Clock:
    """A clock that only moves when the limiter sleeps: every wait is recorded."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()

    async def fake_sleep(d: float) -> None:
        c.slept.append(d)
        c.t += d

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return c


async def test_window_allows_limit_then_waits(clock: Clock) -> None:
    slept = clock.slept
    lim = RateLimiter([(3, 10.0)], clock=clock)
    for _ in range(3):
        await lim.acquire()
    assert slept == []
    await lim.acquire()
    assert slept == [10.0]


async def test_a_call_restamped_at_its_answer_frees_its_slot_from_then(clock: Clock) -> None:
    """A burst sent at once whose answers came over 4 s: the window reopens 10 s after each
    answer (when the server has surely let it go), not all at once 10 s after the send."""
    lim = RateLimiter([(3, 10.0)], clock=clock)
    stamps = [await lim.acquire() for _ in range(3)]
    for i, stamp in enumerate(stamps):
        clock.t += 2.0 if i else 0.0  # answers at +0, +2, +4 s
        lim.restamp(stamp)
    await lim.acquire()
    assert clock.slept == [6.0], "the first answer (at +0 s) frees its slot at +10 s, the clock being at +4 s"
    await lim.acquire()
    assert clock.t == 1000.0 + 12.0, "the second's slot frees 10 s after its answer at +2 s"
    lim.restamp(123.0)  # a stamp that has already left the window is no error


async def test_a_restamped_slot_keeps_the_window_oldest_first(clock: Clock) -> None:
    """A bucket paused by a 429 holds slots dated up to its reset; a call answered meanwhile is
    placed among them by its answer's time, so the wait is still read from the oldest slot."""
    lim = RateLimiter([(100, 60.0)], {"comments": [(3, 10.0)]}, clock=clock)
    stamp = await lim.acquire(("comments",))
    bucket = lim.buckets["comments"][0]
    bucket.sent.extend([clock.t + 1.0, clock.t + 5.0])  # slots dated ahead of the clock, as pause_bucket leaves
    clock.t += 2.0  # the answer comes at +2 s
    lim.restamp(stamp, ("comments",))
    assert list(bucket.sent) == [1001.0, 1002.0, 1005.0]
    await lim.acquire(("comments",))
    assert clock.slept == [9.0], "the oldest slot (+1 s) frees at +11 s; the clock is at +2 s"


async def test_a_bucket_restamped_alone_leaves_the_account_window_as_it_was(clock: Clock) -> None:
    """Tallyfy takes its route caps apart from the account's window: restamping the comment's
    slot at its answer must not move the account window's own stamp."""
    lim = RateLimiter([(100, 60.0)], {"comments": [(120, 3600.0)]}, clock=clock)
    stamp = lim.take(("comments",))
    clock.t += 0.5
    lim.restamp(stamp, ("comments",), account=False)
    assert list(lim.buckets["comments"][0].sent) == [1000.5]
    assert list(lim.windows[0].sent) == [1000.0]
    lim.restamp(stamp, ("comments",))  # both now: the bucket's slot has left that stamp already
    assert list(lim.windows[0].sent) == [1000.5] and list(lim.buckets["comments"][0].sent) == [1000.5]


async def test_bucket_caps_only_its_route(clock: Clock) -> None:
    slept = clock.slept
    waits: list[str] = []
    lim = RateLimiter(
        [(1000, 60.0)], {"comments": [(2, 3600.0)]}, clock=clock, on_wait=lambda d, why: waits.append(why)
    )
    await lim.acquire(("comments",))
    await lim.acquire(("comments",))
    await lim.acquire()  # other calls flow
    assert slept == []
    await lim.acquire(("comments",))
    assert slept == [3600.0]
    assert "comments: 2 per hour" in waits[0]


async def test_pause_from_429(clock: Clock) -> None:
    slept = clock.slept
    lim = RateLimiter([(100, 10.0)], clock=clock)
    lim.pause(7.5, "429")
    await lim.acquire()
    assert slept == [7.5]


async def test_a_bucket_wait_does_not_block_other_calls() -> None:
    """Real clock, short window: a comment waiting out its cap must not hold up a read."""
    lim = RateLimiter([(1000, 60.0)], {"comments": [(1, 0.5)]})
    await lim.acquire(("comments",))
    waiting = asyncio.create_task(lim.acquire(("comments",)))
    await asyncio.sleep(0.01)
    t0 = asyncio.get_running_loop().time()
    await asyncio.wait_for(lim.acquire(), timeout=0.2)
    assert asyncio.get_running_loop().time() - t0 < 0.1
    assert not waiting.done()
    await waiting


async def test_a_budget_counts_points_not_calls(clock: Clock) -> None:
    """A complexity budget (monday.com, Pipefy) or a cost limit (Asana): a heavy call waits
    for the points it needs to expire, light ones flow while points are left."""
    slept = clock.slept
    waits: list[str] = []
    lim = RateLimiter([(1000, 60.0)], budgets=[(100.0, 60.0)], clock=clock, on_wait=lambda d, why: waits.append(why))
    await lim.acquire(weight=60)
    clock.t += 10
    await lim.acquire(weight=30)
    await lim.acquire(weight=10)  # exactly the budget
    assert slept == []
    await lim.acquire(weight=50)  # needs the first 60 points back: 50 s from now
    assert slept == [50.0] and "100 points per minute" in waits[0]
    with pytest.raises(ValueError, match="exceeds the budget"):
        await lim.acquire(weight=101)


async def test_the_vendor_saying_fewer_points_remain_holds_the_budget(clock: Clock) -> None:
    slept = clock.slept
    lim = RateLimiter([(1000, 60.0)], budgets=[(100.0, 60.0)], clock=clock)
    await lim.acquire(weight=10)
    lim.observe_budget(remaining=5, reset_in=20.0)  # someone else spent the rest
    await lim.acquire(weight=5)
    assert slept == []
    await lim.acquire(weight=5)
    assert slept == [20.0]


async def test_a_client_made_after_another_goes_on_from_its_sends(clock: Clock) -> None:
    """A run's client made right after its discovery's: the discovery's calls still count in the
    vendor's windows, its buckets and its budgets, so the run waits for them (it would start
    with a full window and meet the vendor's still full); another clock's sends are not taken."""
    discovery = RateLimiter([(3, 10.0)], {"members": [(2, 60.0)]}, budgets=[(10.0, 60.0)], clock=clock)
    for _ in range(2):
        await discovery.acquire(("members",), weight=4.0)
    clock.t += 1.0
    run = RateLimiter([(3, 10.0)], {"members": [(2, 60.0)]}, budgets=[(10.0, 60.0)], clock=clock)
    run.follow(discovery)
    assert run.delay() == (0.0, "")
    await run.acquire()
    assert run.delay()[0] == 9.0, "three calls in the window of 10 s, two of them the discovery's a second ago"
    assert run.delay(("members",))[0] == 59.0
    assert run.delay(weight=4.0)[0] == 59.0, "8 of the budget's 10 points spent by the discovery"
    elsewhere = RateLimiter([(3, 10.0)], clock=lambda: 0.0)
    elsewhere.follow(discovery)
    assert elsewhere.delay() == (0.0, "")


def test_points_restamped_count_from_the_answer_and_keep_the_spent_oldest_first() -> None:
    b = Budget(limit=10, period=100)
    b.spend(0.0, 4)
    b.spend(5.0, 3)
    b.restamp(0.0, 8.0)  # the first call's answer came at 8: its points free at 108, not 100
    assert list(b.spent) == [(5.0, 3), (8.0, 4)]
    assert b.wait_time(101.0, 7) == pytest.approx(7.0)  # the 3 of t=5 free at 105 are not enough: 108
    assert b.wait_time(106.0, 7) == pytest.approx(2.0)  # the 4 of t=8 free at 108
    b.restamp(42.0, 120.0)  # nothing spent then: left alone
    assert list(b.spent) == [(8.0, 4)]
