"""The adaptive limiter: rate learned from APIG.0308, AIMD concurrency from ModelArts.4401."""

from __future__ import annotations

import asyncio

from aiocloudocr import ThrottledError
from aiocloudocr.limiter import AdaptiveLimiter, shared_limiter


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


def rate_throttle(limit: int = 10, unit: str = "second") -> ThrottledError:
    """An APIG.0308 answer stating its limit."""
    message = f"The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 {unit}"  # noqa: E501
    return ThrottledError(message, status=429, code="APIG.0308")


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
