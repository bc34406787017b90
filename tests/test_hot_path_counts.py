"""The hot path in counts, not times: waits per acquire, objects a run keeps, work per call."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

from aiocloudocr import AdaptiveLimiter, AkSkCredentials, Client, HttpRequest, HttpResponse
from aiocloudocr.testing import MockTransport, json_response
from tests.fakes import make_png

EMPTY_RESULT = {"result": {"words_block_count": 0, "words_block_list": []}}
AKSK = AkSkCredentials(access_key="AKTESTEXAMPLE0000000", secret_key="S" * 40)


class CountingLimiter(AdaptiveLimiter):
    """An AdaptiveLimiter that counts, per task, how often acquire had to wait."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.waits: dict[asyncio.Task[Any] | None, int] = {}

    async def _wait_for_slot(self, deadline: float | None) -> None:
        task = asyncio.current_task()
        self.waits[task] = self.waits.get(task, 0) + 1
        await super()._wait_for_slot(deadline)


async def test_each_acquire_waits_at_most_once_and_in_arrival_order() -> None:
    """Under 500 concurrent acquires and 4 slots, a waiter resumes once, first come first."""
    limiter = CountingLimiter(max_concurrency=4)
    order: list[int] = []

    async def one(index: int) -> None:
        await limiter.acquire()
        order.append(index)
        await asyncio.sleep(0)
        limiter.release(None, 0.001)

    await asyncio.gather(*(one(i) for i in range(500)))
    assert max(limiter.waits.values()) == 1
    assert len(limiter.waits) == 496  # all but the first four waited, once each
    assert order == list(range(500))
    assert limiter.state().in_flight == 0


async def test_a_newcomer_does_not_take_a_slot_from_a_waiter() -> None:
    """A slot freed while others wait goes to the longest waiter, not to a new acquire."""
    limiter = AdaptiveLimiter(max_concurrency=1)
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    limiter.release(None, 0.001)  # handed to the waiter before it even resumes
    newcomer = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    assert waiter.done() and not newcomer.done()
    limiter.release(None, 0.001)
    await asyncio.sleep(0)
    assert newcomer.done()


def answer(request: HttpRequest) -> HttpResponse:
    """The canned success."""
    return json_response(EMPTY_RESULT)


async def test_a_map_keeps_no_outcome_the_caller_let_go() -> None:
    """2,000 inputs through map: outcomes the caller dropped are not kept by the run."""
    png = make_png(32, 32)
    refs: list[weakref.ref[Any]] = []
    async with Client(
        AKSK, region="ap-southeast-1", project_id="p1", transport=MockTransport(answer)
    ) as client:
        async for outcome in client.map("web_image", [png] * 2000, concurrency=16):
            refs.append(weakref.ref(outcome))
        transport = client._shared.transport
        transport.requests.clear()  # type: ignore[attr-defined]
        gc.collect()
        alive = sum(ref() is not None for ref in refs)
    assert alive <= 1  # at most the loop variable's last value


async def test_a_running_map_frees_each_result_once_the_caller_drops_it() -> None:
    """While 16 inputs are in flight, a result the caller let go is freed at once, without
    the cycle collector: no worker keeps its last outcome while it sends the next input."""
    png = make_png(32, 32)

    async def slow_answer(request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(0.001)  # answers overlap, as on a network
        return json_response(EMPTY_RESULT)

    refs: list[weakref.ref[Any]] = []
    most_alive = 0
    gc.disable()
    try:
        async with Client(
            AKSK, region="ap-southeast-1", project_id="p1", transport=MockTransport(slow_answer)
        ) as client:
            async for outcome in client.map("web_image", [png] * 400, concurrency=16):
                assert outcome.ok
                refs.append(weakref.ref(outcome.result))
                del outcome
                most_alive = max(most_alive, sum(ref() is not None for ref in refs))
    finally:
        gc.enable()
    assert len(refs) == 400
    # One outcome may still be in the run's own hands as it hands over the next; before the
    # fix the workers held their previous results (16 alive at once).
    assert most_alive <= 2


async def test_gathered_calls_leave_nothing_behind_in_the_limiter() -> None:
    """After 1,000 gathered calls the limiter holds no waiter and no slot."""
    png = make_png(32, 32)
    async with Client(
        AKSK, region="ap-southeast-1", project_id="p1", transport=MockTransport(answer)
    ) as client:
        await asyncio.gather(*(client.web_image(png) for _ in range(1000)))
        limiter = client.limiter("ocr")
        assert isinstance(limiter, AdaptiveLimiter)
        assert limiter.state().in_flight == 0
        assert not limiter._waiters


async def test_an_expired_waiter_does_not_hold_up_the_next_acquire() -> None:
    """A waiter that gave up at its deadline leaves no trace that makes a free slot wait."""
    # A minute per "fast answer": the slow start's window cannot widen before the deadline.
    limiter = AdaptiveLimiter(max_concurrency=4, initial_concurrency=1, slow_start_latency=60.0)
    await limiter.acquire()
    loop = asyncio.get_running_loop()
    expired = asyncio.ensure_future(limiter.acquire(deadline=loop.time() + 0.01))
    await asyncio.sleep(0.05)
    assert expired.done() and isinstance(expired.exception(), Exception)
    limiter.assume_rate(1000, 1.0)  # the quota is known: the window opens to 4
    await asyncio.wait_for(limiter.acquire(), 1.0)  # a slot is free: no wait
    assert limiter.state().in_flight == 2


async def test_a_call_waiting_for_a_preparation_slot_is_three_coroutines() -> None:
    """Thousands of gathered calls wait for a preparation slot; each waits as the method's
    coroutine, the pipeline entry's and the semaphore's, nothing more (the garbage collector
    walks every one of them, at 5,000 pending calls a visible share of the run)."""
    png = make_png(32, 32)
    async with Client(
        AKSK, region="ap-southeast-1", project_id="p1", transport=MockTransport(answer)
    ) as client:
        await client.web_image(png)
        preparing = client._sender.preparing
        held = 0
        while not preparing.locked():
            await preparing.acquire()
            held += 1
        gc.collect()
        before = sum(type(o).__name__ == "coroutine" for o in gc.get_objects())
        pending = [asyncio.ensure_future(client.web_image(png)) for _ in range(500)]
        await asyncio.sleep(0)
        gc.collect()
        waiting = sum(type(o).__name__ == "coroutine" for o in gc.get_objects()) - before
        for _ in range(held):
            preparing.release()
        results = await asyncio.gather(*pending)
    assert len(results) == 500
    assert waiting <= 3 * 500  # `async with` on the semaphore made it four per call
