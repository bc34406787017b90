"""The adaptive limiter: rate learned from APIG.0308, AIMD concurrency from ModelArts.4401."""

from __future__ import annotations

import asyncio
import math

import pytest

from aiocloudocr import RequestTimeout, ThrottledError
from aiocloudocr._limiter import AdaptiveLimiter, shared_limiter


class Clock:
    """A monotonic clock that moves only when the fake sleep is awaited."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def rate_throttle(
    limit: int = 10, unit: str = "second", retry_after: float | None = None, time: str = "1"
) -> ThrottledError:
    """An APIG.0308 answer stating its limit."""
    message = f"The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:{time} {unit}"  # noqa: E501
    return ThrottledError(message, status=429, code="APIG.0308", retry_after=retry_after)


def concurrency_throttle() -> ThrottledError:
    """A ModelArts.4401 answer."""
    return ThrottledError("Max concurrency error.", status=429, code="ModelArts.4401")


def make(max_concurrency: int = 8) -> tuple[AdaptiveLimiter, Clock]:
    """A limiter on a fake clock."""
    clock = Clock()
    return AdaptiveLimiter(
        max_concurrency=max_concurrency, monotonic=clock, sleep=clock.sleep
    ), clock


async def test_unpaced_until_the_service_says_otherwise() -> None:
    """Before any throttle, requests go out without waiting."""
    limiter, clock = make()
    for _ in range(5):
        await limiter.acquire()
        limiter.release(None)
    assert clock.sleeps == []
    assert limiter.state().rate is None


async def test_stated_rate_is_adopted_with_headroom_and_paced_evenly() -> None:
    """After APIG.0308 stating 10/s, sends are spaced just over 0.1 s apart."""
    limiter, clock = make()
    await limiter.acquire()
    limiter.release(rate_throttle(10))
    state = limiter.state()
    assert state.stated_rate == 10.0
    assert state.rate is not None and 9.0 < state.rate < 10.0
    start = clock.now
    for _ in range(20):
        await limiter.acquire()
        limiter.release(None)
    elapsed = clock.now - start
    assert 20 / 10.0 <= elapsed <= 21 / 9.0


async def test_a_wave_of_throttles_is_one_event() -> None:
    """Throttled answers that were in flight together cut the rate once."""
    limiter, _ = make()
    for _ in range(8):
        await limiter.acquire()
    for _ in range(8):
        limiter.release(rate_throttle(60, "minute"))
    state = limiter.state()
    assert state.rate_throttles == 8
    assert state.rate is not None and abs(state.rate - 0.97) < 1e-9


async def test_throttled_again_while_pacing_backs_off_then_probes_up_to_the_limit() -> None:
    """A second throttle a window later cuts the rate; successes probe back toward the limit."""
    limiter, clock = make()
    await limiter.acquire()
    limiter.release(rate_throttle(10))
    clock.now += 2
    await limiter.acquire()
    limiter.release(rate_throttle(10))
    cut = limiter.state().rate
    assert cut is not None and cut < 9.0
    for _ in range(400):
        await limiter.acquire()
        limiter.release(None)
        clock.now += 0.5
    probed = limiter.state().rate
    assert probed is not None and cut < probed <= 10.0


async def test_concurrency_halves_on_4401_and_grows_back_additively() -> None:
    """ModelArts.4401 halves the concurrency limit; successes raise it again, one at a time."""
    limiter, _ = make(max_concurrency=8)
    await limiter.acquire()
    limiter.release(concurrency_throttle())
    assert limiter.state().concurrency == 4
    for _ in range(4):
        await limiter.acquire()
        limiter.release(None)
    assert limiter.state().concurrency == 5
    for _ in range(200):
        await limiter.acquire()
        limiter.release(None)
    assert limiter.state().concurrency == 8


async def test_acquire_blocks_beyond_the_concurrency_limit() -> None:
    """With the limit reached, the next acquire waits for a release."""
    limiter, _ = make(max_concurrency=2)
    await limiter.acquire()
    await limiter.acquire()
    waiting = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()
    limiter.release(None)
    await asyncio.wait_for(waiting, timeout=1)
    assert limiter.state().in_flight == 2


async def test_cancelled_waiter_leaves_no_trace() -> None:
    """Cancelling a waiting acquire does not leak a slot."""
    limiter, _ = make(max_concurrency=1)
    await limiter.acquire()
    waiting = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    limiter.release(None)
    assert limiter.state().in_flight == 0
    await asyncio.wait_for(limiter.acquire(), timeout=1)


def test_limiters_are_shared_by_key() -> None:
    """Clients with the same credential, endpoint and project share one limiter."""
    first = shared_limiter(("ak:X", "https://ocr/", "p"), 8)
    second = shared_limiter(("ak:X", "https://ocr/", "p"), 16)
    other = shared_limiter(("ak:Y", "https://ocr/", "p"), 8)
    assert first is second
    assert first.max_concurrency == 16
    assert other is not first


@pytest.mark.parametrize(
    "error",
    [
        rate_throttle(0),
        rate_throttle(10, time="0"),
        rate_throttle(10, time="0.0"),
        rate_throttle(10, retry_after=math.nan),
        rate_throttle(10, retry_after=math.inf),
        rate_throttle(10, retry_after=-math.inf),
        rate_throttle(10, retry_after=-5.0),
        rate_throttle(10, retry_after=1e9),
        rate_throttle(0, retry_after=math.inf),
        ThrottledError("limit:0,time:0 second", status=429, retry_after=math.nan),
        ThrottledError("Max concurrency error.", status=429, code="ModelArts.4401"),
    ],
)
async def test_release_never_raises_on_absurd_throttles(error: ThrottledError) -> None:
    """limit:0, time:0 and non-finite or huge Retry-After values are survived."""
    limiter, clock = make()
    for _ in range(3):
        await limiter.acquire()
        limiter.release(error)
        clock.now += 10
    await asyncio.wait_for(limiter.acquire(), timeout=1)
    assert sum(clock.sleeps) <= 1.0
    state = limiter.state()
    assert state.rate is None or (math.isfinite(state.rate) and state.rate > 0)


async def test_a_stated_retry_after_parks_sends_until_then_and_no_longer() -> None:
    """After a throttle saying Retry-After 5 s, the next send waits exactly those 5 s."""
    limiter, clock = make()
    await limiter.acquire()
    limiter.release(rate_throttle(10, retry_after=5.0))
    start = clock.now
    await limiter.acquire()
    assert clock.now - start == pytest.approx(5.0)


async def test_pacing_past_the_deadline_raises_promptly_without_taking_the_turn() -> None:
    """A pacing wait beyond the deadline raises at once, holding no slot and no turn."""
    limiter, clock = make()
    await limiter.acquire()
    limiter.release(rate_throttle(10, retry_after=30.0))
    with pytest.raises(RequestTimeout, match="past the call's deadline"):
        await limiter.acquire(deadline=clock.now + 5.0)
    assert clock.sleeps == []
    assert limiter.state().in_flight == 0
    start = clock.now
    await limiter.acquire(deadline=clock.now + 31.0)
    assert clock.now - start == pytest.approx(30.0)


async def test_pacing_within_the_deadline_waits() -> None:
    """A pacing wait that ends before the deadline is served normally."""
    limiter, clock = make()
    await limiter.acquire()
    limiter.release(rate_throttle(10))
    await limiter.acquire(deadline=clock.now + 1.0)
    await limiter.acquire(deadline=clock.now + 1.0)
    assert len(clock.sleeps) == 2 and limiter.state().in_flight == 2


async def test_slot_wait_past_the_deadline_raises_and_leaves_no_trace() -> None:
    """Waiting for a slot stops at the deadline; the slot is neither held nor lost."""
    limiter, clock = make(max_concurrency=1)
    await limiter.acquire()
    with pytest.raises(RequestTimeout, match="past the call's deadline"):
        await asyncio.wait_for(limiter.acquire(deadline=clock.now + 0.005), timeout=1)
    with pytest.raises(RequestTimeout):
        await asyncio.wait_for(limiter.acquire(deadline=clock.now - 1.0), timeout=1)
    assert limiter.state().in_flight == 1
    limiter.release(None)
    assert limiter.state().in_flight == 0
    await asyncio.wait_for(limiter.acquire(deadline=clock.now + 0.005), timeout=1)
    assert limiter.state().in_flight == 1


async def test_slot_freed_before_the_deadline_is_taken() -> None:
    """A waiter with a deadline gets a slot released before it."""
    limiter, clock = make(max_concurrency=1)
    await limiter.acquire()
    waiting = asyncio.ensure_future(limiter.acquire(deadline=clock.now + 60.0))
    await asyncio.sleep(0)
    limiter.release(None)
    await asyncio.wait_for(waiting, timeout=1)
    assert limiter.state().in_flight == 1


async def test_no_wait_means_no_deadline_check() -> None:
    """With a free slot and no pacing, acquire never raises, even past the deadline."""
    limiter, clock = make()
    await limiter.acquire(deadline=clock.now - 10.0)
    assert limiter.state().in_flight == 1


async def test_woken_then_cancelled_waiter_passes_its_wake_on() -> None:
    """A waiter cancelled after being woken hands the free slot to the next one."""
    limiter, _ = make(max_concurrency=1)
    await limiter.acquire()
    first = asyncio.ensure_future(limiter.acquire())
    second = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    limiter.release(None)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, timeout=1)
    assert limiter.state().in_flight == 1


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (10, 0.0), (-1, 1.0), (10, math.nan)])
def test_assume_rate_rejects_impossible_quotas(limit: int, window: float) -> None:
    """A told quota that would divide by zero or pace by NaN is refused."""
    limiter, _ = make()
    with pytest.raises(ValueError, match="quota"):
        limiter.assume_rate(limit, window)
    assert limiter.state().rate is None


async def test_repeated_cuts_never_reach_a_zero_rate() -> None:
    """However often a shared quota throttles, the rate stays at least 1% of the stated one."""
    limiter, clock = make()
    for _ in range(200):
        await limiter.acquire()
        limiter.release(rate_throttle(10))
        clock.now += 2
    rate = limiter.state().rate
    assert rate is not None and rate >= 0.1 and math.isfinite(1.0 / rate)
