"""The limiter's gentle start under an unknown quota (counts and bounds, no wall-clock)."""

from __future__ import annotations

import asyncio

from aiocloudocr import AdaptiveLimiter, AkSkCredentials, Client
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, EmulatorConfig, run_emulator
from tests.fakes import make_png
from tests.test_limiter import Clock, concurrency_throttle, rate_throttle


def slow_starter(max_concurrency: int = 64, initial: int = 8) -> tuple[AdaptiveLimiter, Clock]:
    """A limiter starting at ``initial`` in flight, on a fake clock."""
    clock = Clock()
    limiter = AdaptiveLimiter(
        max_concurrency=max_concurrency,
        monotonic=clock,
        sleep=clock.sleep,
        initial_concurrency=initial,
    )
    return limiter, clock


async def answer(limiter: AdaptiveLimiter, clock: Clock, latency: float, n: int = 1) -> None:
    """``n`` requests, each answered successfully after ``latency`` seconds."""
    for _ in range(n):
        await limiter.acquire()
        clock.now += latency
        limiter.release(None, latency)


async def test_starts_at_the_initial_window() -> None:
    """Only the initial window may be in flight before any answer."""
    limiter, _ = slow_starter()
    state = limiter.state()
    assert state.concurrency == 8 and state.slow_start
    assert state.max_concurrency == 64


async def test_a_slow_service_opens_the_bound_at_its_first_answer() -> None:
    """The slow start bounds the rate (8 calls per 10 ms, doubling per 0.1 s): at 100 ms a
    call that is 160 in flight, so the first answer opens the whole bound of 64."""
    limiter, clock = slow_starter()
    await answer(limiter, clock, latency=0.1, n=1)
    state = limiter.state()
    assert state.concurrency == 64 and not state.slow_start


async def test_a_fast_service_keeps_the_initial_window() -> None:
    """At 2 ms a call (under 10 ms) the window is the initial one, doubling per 0.1 s only."""
    limiter, clock = slow_starter()
    await answer(limiter, clock, latency=0.002, n=40)  # 80 ms: 8 x 2**0.8 ~ 13.9
    state = limiter.state()
    assert 8 <= state.concurrency <= 14 and state.slow_start


async def test_the_window_widens_before_the_first_answer() -> None:
    """No answer after 80 ms says the latency is at least 80 ms: 64 may be in flight."""
    limiter, clock = slow_starter()
    for _ in range(8):
        await limiter.acquire()
    later = [asyncio.ensure_future(limiter.acquire()) for _ in range(56)]
    await asyncio.sleep(0)
    assert not any(task.done() for task in later)  # the initial window is full
    clock.now += 0.08
    for _ in range(400):  # the limiter's timer ticks on the loop's own clock
        if all(task.done() for task in later):
            break
        await asyncio.sleep(0.005)
    assert all(task.done() for task in later)
    assert limiter.state().in_flight == 64


async def test_the_window_keeps_widening_between_waves_of_answers() -> None:
    """At 100 ms a call the first answer opens 160 of 256 (8 per 10 ms, doubled once). Half a
    doubling later, with no further answer yet, 8 x 10 x 2**1.5 ~ 226 may be in flight: the
    rate doubles with time, not only when the next wave of answers comes back."""
    limiter, clock = slow_starter(max_concurrency=256)
    await answer(limiter, clock, latency=0.1, n=1)
    opened = limiter.state().concurrency
    assert opened in (159, 160)  # 159.99...: float arithmetic
    for _ in range(opened):
        await limiter.acquire()
    later = [asyncio.ensure_future(limiter.acquire()) for _ in range(256 - opened)]
    await asyncio.sleep(0)
    assert not any(task.done() for task in later)  # the window is full
    clock.now += 0.05
    for _ in range(400):  # the limiter's timer ticks on the loop's own clock
        if sum(task.done() for task in later) >= 226 - opened:
            break
        await asyncio.sleep(0.005)
    state = limiter.state()
    assert 226 <= state.concurrency < 256 and state.slow_start
    assert state.in_flight == state.concurrency
    for task in later:
        task.cancel()


async def test_growth_is_bounded_by_doubling_per_interval() -> None:
    """A service answering in a millisecond cannot grow the window faster than the clock."""
    limiter, clock = slow_starter()
    await answer(limiter, clock, latency=0.001, n=50)  # 50 ms: at most 8 x 2**0.5 ~ 11
    assert limiter.state().concurrency <= 12


async def test_queueing_ends_the_slow_start() -> None:
    """Three answers in a row slower than twice the fastest end the exponential growth."""
    limiter, clock = slow_starter()
    await answer(limiter, clock, latency=0.002, n=4)
    before = limiter.state().concurrency
    await answer(limiter, clock, latency=0.01, n=3)
    state = limiter.state()
    assert not state.slow_start
    assert state.concurrency == before
    await answer(limiter, clock, latency=0.01, n=12)
    assert limiter.state().concurrency <= before + 1  # additive from here


async def test_a_throttle_ends_the_slow_start() -> None:
    """A stated rate or a 4401 ends the ramp; the window stays where it was."""
    for error in (rate_throttle(limit=50), concurrency_throttle()):
        limiter, clock = slow_starter()
        await answer(limiter, clock, latency=0.002, n=4)
        await limiter.acquire()
        limiter.release(error, 0.002)
        assert not limiter.state().slow_start
        assert limiter.state().concurrency <= 12


async def test_a_known_quota_needs_no_slow_start() -> None:
    """assume_rate (Client(rate_limit=...)) opens the window to the bound at once."""
    limiter, _ = slow_starter()
    limiter.assume_rate(50, 1.0)
    state = limiter.state()
    assert state.concurrency == 64 and not state.slow_start


async def test_unknown_quota_draws_few_throttled_answers() -> None:
    """64 tasks against an unstated quota of 10 per 0.25 s: at most 2 x 8 throttled, none lost."""
    config = EmulatorConfig(rate_limit=10, rate_window=0.25)
    png = make_png(32, 32)
    async with run_emulator(config) as running:
        credentials = AkSkCredentials(
            access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk
        )
        async with Client(
            credentials, endpoint=running.url, project_id=DEFAULT_PROJECT_ID, concurrency=64
        ) as client:
            outcomes = [o async for o in client.map("web_image", [png] * 60)]
        throttled = running.stats.throttled
    assert all(o.ok for o in outcomes) and len(outcomes) == 60
    assert throttled <= 16


async def test_a_slow_service_gets_the_whole_bound_after_one_round_trip() -> None:
    """At 200 ms a call, the first answer (the authentication probe) opens the window: when
    the second answer comes back, far more than the initial 8 requests are in flight (one
    more per answer, as TCP's slow start grows, would make it 9)."""
    config = EmulatorConfig(latency=0.2)
    png = make_png(32, 32)
    in_flight: list[int] = []
    async with run_emulator(config) as running:
        credentials = AkSkCredentials(
            access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk
        )
        client = Client(
            credentials,
            endpoint=running.url,
            project_id=DEFAULT_PROJECT_ID,
            concurrency=64,
            on_response=lambda _: in_flight.append(limiter_in_flight(client)),
        )
        async with client:
            await asyncio.gather(*(client.web_image(png) for _ in range(64)))
    assert len(in_flight) == 64
    assert in_flight[1] >= 32


def limiter_in_flight(client: Client) -> int:
    """Requests the client's limiter counts in flight (the answered one already released)."""
    limiter = client.limiter("ocr")
    assert limiter is not None
    return limiter.state().in_flight
