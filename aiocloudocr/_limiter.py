"""Adaptive throttling shared by every client that uses one credential, endpoint and project.

Two mechanisms, both driven by what the service answers:

* a **rate** (token bucket with a burst of one, i.e. evenly spaced sends): unknown until the
  service throttles with APIG.0308, whose message states ``limit:XX,time:...``; the rate is
  then set just under that limit and afterwards probed upward slowly, never past the stated
  limit. A later throttle while pacing (other processes may share the quota) cuts the rate
  multiplicatively;
* a **concurrency** limit (AIMD): halved when the service answers ModelArts.4401 (too many
  concurrent requests), raised by one per window of successes, up to the client's own bound.
  It starts small (``initial_concurrency``) while the quota is unknown. A quota counts
  calls per window, so what this slow start bounds is the rate the service sees, not the
  number in flight: ``initial_concurrency`` calls per ``slow_start_latency`` (10 ms, a fast
  answer), a rate that doubles every ``slow_start_doubling`` seconds. By Little's law the
  window in flight is that rate times the latency: ``initial_concurrency`` for a service that
  answers within 10 ms (a run meets an unknown quota with a handful of requests in flight,
  not the whole bound: 10 ms also covers the first, cold answers of a fresh connection),
  most of the bound within the first round trip for one that answers in 100 ms. Before the
  first answer the latency is at least the time since the first send, so the window widens
  as that time passes (a timer, about seven ticks in the first 100 ms); after it the
  timer keeps the rate doubling between waves of answers. Answers that slow down
  (queueing), or any throttle, end the slow start.

Bursts of throttled answers that were already in flight count as one event, so the limits do
not collapse when a whole wave of requests is refused at once.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Protocol, runtime_checkable

import attrs

from aiocloudocr.errors import ConfigurationError, RequestTimeout, ThrottledError

_PAST_DEADLINE = "the limiter would have waited past the call's deadline {what}"
# However often a shared quota throttles, pacing never drops below this share of the stated
# rate: repeated multiplicative cuts would otherwise reach a zero rate (and divide by it).
_MIN_RATE_SHARE = 0.01


@runtime_checkable
class Limiter(Protocol):
    """What the request pipeline needs of a limiter: a slot (and a turn) before each attempt,
    and how the attempt ended, throttle feedback included, after it.

    :class:`AdaptiveLimiter` is the in-process implementation; a shared backend (one quota
    for a whole cluster, say) stands in through ``Client(limiter=...)``.
    """

    async def acquire(self, *, deadline: float | None = None) -> None:
        """Wait for the right to send one attempt; raise RequestTimeout past ``deadline``
        (a ``time.monotonic()`` value)."""
        ...

    def release(self, error: BaseException | None, latency: float | None = None) -> None:
        """The attempt ended: ``error`` None on success, else what it raised (a
        ThrottledError carries the stated limit and Retry-After); never raises."""
        ...

    def state(self) -> LimiterState:
        """A snapshot for people and metrics."""
        ...


@attrs.frozen(kw_only=True)
class LimiterState:
    """A snapshot of a limiter: current rate (requests/s, None = unpaced), concurrency, counts."""

    rate: float | None
    stated_rate: float | None
    concurrency: int
    max_concurrency: int
    in_flight: int
    throttles: int
    rate_throttles: int
    concurrency_throttles: int
    slow_start: bool = False


@attrs.define
class AdaptiveLimiter:
    """Paces and bounds requests from what the service says; see the module docstring."""

    max_concurrency: int
    headroom: float = 0.97
    decrease: float = 0.7
    probe_step: float = 0.02
    _monotonic: Callable[[], float] = time.monotonic
    _sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # A Retry-After beyond this is nonsense and parks nothing (as in RetryPolicy).
    max_retry_after: float = 86400.0
    # None: start at max_concurrency (no slow start).
    initial_concurrency: int | None = None
    # An answer slower than this many times the fastest seen says the service is queueing.
    queueing_factor: float = 2.0
    slow_start_doubling: float = 0.1
    # The latency of a fast answer: the slow start lets initial_concurrency calls through
    # per this many seconds (a rate), whatever the service's latency.
    slow_start_latency: float = 0.010
    _slow_start_since: float | None = attrs.field(default=None, init=False)
    _slow_start_timer: asyncio.TimerHandle | None = attrs.field(default=None, init=False)
    _slow_start_loop: asyncio.AbstractEventLoop | None = attrs.field(default=None, init=False)
    _slow_start: bool = attrs.field(default=False, init=False)
    _fastest: float = attrs.field(default=float("inf"), init=False)
    _slow_answers: int = attrs.field(default=0, init=False)
    _rate: float | None = attrs.field(default=None, init=False)
    _stated_rate: float | None = attrs.field(default=None, init=False)
    _next_send: float = attrs.field(default=0.0, init=False)
    _last_rate_cut: float = attrs.field(default=float("-inf"), init=False)
    _last_reset: float = attrs.field(default=float("-inf"), init=False)
    _last_probe: float = attrs.field(default=0.0, init=False)
    _limit: float = attrs.field(init=False)
    _last_concurrency_cut: float = attrs.field(default=float("-inf"), init=False)
    _in_flight: int = attrs.field(default=0, init=False)
    _waiters: collections.deque[asyncio.Future[None]] = attrs.field(
        factory=collections.deque, init=False
    )
    _rate_throttles: int = attrs.field(default=0, init=False)
    _concurrency_throttles: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        self._limit = float(self.max_concurrency)
        start = self.initial_concurrency
        if start is not None and 1 <= start < self.max_concurrency:
            self._limit = float(start)
            self._slow_start = True

    def __repr__(self) -> str:
        s = self.state()
        rate = "unpaced" if s.rate is None else f"{s.rate:.2f}/s"
        return (
            f"<AdaptiveLimiter rate={rate} concurrency={s.concurrency}/{s.max_concurrency} "
            f"throttles={s.throttles}>"
        )

    def state(self) -> LimiterState:
        """The limiter's current state."""
        return LimiterState(
            rate=self._rate,
            stated_rate=self._stated_rate,
            concurrency=int(self._limit),
            max_concurrency=self.max_concurrency,
            in_flight=self._in_flight,
            throttles=self._rate_throttles + self._concurrency_throttles,
            rate_throttles=self._rate_throttles,
            concurrency_throttles=self._concurrency_throttles,
            slow_start=self._slow_start,
        )

    def raise_ceiling(self, max_concurrency: int) -> None:
        """Let a client with a higher bound share this limiter without capping it lower."""
        if max_concurrency > self.max_concurrency:
            self.max_concurrency = max_concurrency

    async def acquire(self, *, deadline: float | None = None) -> None:
        """Wait for a concurrency slot, then for this request's turn under the rate.

        ``deadline`` is a value of the limiter's monotonic clock: when waiting for a slot or
        for the turn would pass it, :class:`~aiocloudocr.errors.RequestTimeout` is raised
        instead, holding no slot and leaving the turn to the next request.
        """
        if self._slow_start:
            self._keep_ticking()
        waiters = self._waiters
        while waiters and waiters[0].done():  # expired or cancelled: no longer waiting
            waiters.popleft()
        if self._in_flight < int(self._limit) and not waiters:
            self._in_flight += 1
        else:
            # FIFO: a freed slot is handed to the longest waiter (counted for it before it
            # resumes), so a waiter resumes once and never loses its slot to a newcomer.
            await self._wait_for_slot(deadline)
        rate = self._rate
        if rate is None:
            return  # unpaced: the fast path
        now = self._monotonic()
        turn = max(now, self._next_send)
        if turn <= now:
            self._next_send = now + 1.0 / rate
            return  # paced, and it is this request's turn already
        if deadline is not None and turn >= deadline:
            self._release_slot()
            raise RequestTimeout(_PAST_DEADLINE.format(what="for its turn under the rate"))
        self._next_send = turn + 1.0 / rate
        try:
            await self._sleep(turn - now)
        except BaseException:
            self._release_slot()
            raise

    async def _wait_for_slot(self, deadline: float | None) -> None:
        remaining = None if deadline is None else deadline - self._monotonic()
        if remaining is not None and remaining <= 0.0:
            raise RequestTimeout(_PAST_DEADLINE.format(what="for a concurrency slot"))
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        # The loop's timer, not the injected sleep: slots come free in real time, and a fake
        # sleep that returns at once would expire every wait.
        timer = None if remaining is None else loop.call_later(remaining, self._expire, waiter)
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            # A waiter that expired or was cancelled stays in the queue, done, and is skipped
            # by _wake. One handed a slot and cancelled before resuming passes it on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release_slot()
            else:
                self._wake()  # a slot may be free for those behind it
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def release(self, error: BaseException | None, latency: float | None = None) -> None:
        """Record how a request ended (and how long its answer took) and free its slot;
        never raises, whatever ``error`` says."""
        self._release_slot()
        now = self._monotonic()
        if self._slow_start and error is None and latency is not None:
            self._slow_start_step(latency, now)
            return
        if isinstance(error, ThrottledError):
            stated = error.rate_limit
            if stated is None:
                # ModelArts.4401, or a 429 that names no (sane) limit: fewer requests at once
                # lowers the rate too, and needs no guess at a number.
                self._on_concurrency_throttle(now)
            else:
                self._on_rate_throttle(stated, now, self._sane_retry_after(error.retry_after))
        elif error is None:
            self._on_success(now)

    def _sane_retry_after(self, retry_after: object) -> float | None:
        # A Retry-After that is not finite, not positive or beyond max_retry_after is nonsense:
        # parking every send for it would hang the client.
        if (
            isinstance(retry_after, (int, float))
            and math.isfinite(retry_after)
            and 0.0 < retry_after <= self.max_retry_after
        ):
            return float(retry_after)
        return None

    def _release_slot(self) -> None:
        self._in_flight -= 1
        self._wake()

    def assume_rate(self, limit: int, window: float) -> None:
        """Pace under a known quota (``limit`` requests per ``window`` s) from the start."""
        if not (limit > 0 and window > 0 and math.isfinite(limit / window)):
            raise ConfigurationError(
                f"a quota needs a positive limit and window, got {limit!r} per {window!r} s"
            )
        self._stated_rate = limit / window
        self._rate = self._stated_rate * self.headroom
        if self._slow_start:  # the quota is known: nothing to discover
            self._slow_start = False
            self._limit = float(self.max_concurrency)

    def _on_rate_throttle(
        self, stated: tuple[int, float], now: float, retry_after: float | None
    ) -> None:
        self._rate_throttles += 1
        self._slow_start = False
        limit, window = stated
        self._stated_rate = limit / window
        if retry_after is not None:
            # The window is still full: sending before it drains only earns more refusals.
            # Parked until then and no longer: a later Retry-After does not add to this one.
            self._next_send = max(self._next_send, now + retry_after)
        if now - self._last_rate_cut < min(window, 5.0):
            return  # part of a wave already answered
        target = self._stated_rate * self.headroom
        if self._rate is None or (self._rate >= target * 0.999 and not self._recent_reset(now)):
            # First throttle, or a stray one while pacing at the target (window edges):
            # go (back) to just under the stated limit.
            self._rate = target
            self._last_reset = now
        else:
            # Throttled again at or under the target: someone else shares the quota.
            floor = self._stated_rate * _MIN_RATE_SHARE
            self._rate = max(min(self._rate * self.decrease, target), floor)
            self._last_reset = float("-inf")
        self._last_rate_cut = self._last_probe = now
        self._next_send = max(self._next_send, now + 1.0 / self._rate)

    def _recent_reset(self, now: float) -> bool:
        return now - self._last_reset < 10.0

    def _on_concurrency_throttle(self, now: float) -> None:
        self._concurrency_throttles += 1
        self._slow_start = False
        if now - self._last_concurrency_cut < 1.0:
            return
        self._last_concurrency_cut = now
        self._limit = max(1.0, float(int(self._limit) // 2))

    def _keep_ticking(self) -> None:
        # The slow start's timer (see _tick) runs while requests wait or are in flight; a
        # run that went idle (the credential probe's answer lets the others go only on the
        # next turn of the loop) starts it again with its next request.
        loop = asyncio.get_running_loop()
        if self._slow_start_since is None:
            self._slow_start_since = self._monotonic()
        if self._slow_start_timer is None or self._slow_start_loop is not loop:
            self._slow_start_loop = loop
            self._slow_start_timer = loop.call_later(self.slow_start_latency, self._tick)

    def _tick(self) -> None:
        # The slow start's rate doubles with time, answers or not: a slow service's window is
        # not held at its last size until the next wave of answers comes back (at 100 ms a
        # call that kept a third of the bound idle for a whole round trip).
        self._slow_start_timer = None
        since = self._slow_start_since
        if not self._slow_start or since is None:
            return
        elapsed = self._monotonic() - since
        if not self._slow_answers:  # else the last answer looked like queueing: wait
            # Before the first answer the latency is at least the time since the first send.
            latency = self._fastest if self._fastest < math.inf else elapsed
            self._widen(latency, elapsed)
        if self._slow_start and (self._in_flight or self._waiters):
            # Re-armed at 1.5 x the elapsed time (10, 15, 22, 34, 51, 76, 101 ms, ...), at
            # most a quarter of a doubling apart.
            delay = max(self.slow_start_latency, min(elapsed / 2, self.slow_start_doubling / 4))
            self._slow_start_timer = asyncio.get_running_loop().call_later(delay, self._tick)

    def _widen(self, latency: float, elapsed: float) -> None:
        # The slow start's rate times the latency (Little's law), never below the start.
        assert self.initial_concurrency is not None
        doublings = min(elapsed / self.slow_start_doubling, 32.0)
        per_start = max(1.0, latency / self.slow_start_latency)
        ceiling = self.initial_concurrency * per_start * 2.0**doublings
        if ceiling > self._limit:
            self._limit = ceiling
        if self._limit >= self.max_concurrency:
            self._limit = float(self.max_concurrency)
            self._slow_start = False
        self._wake()

    def _slow_start_step(self, latency: float, now: float) -> None:
        if self._slow_start_since is None:
            self._slow_start_since = now - latency
        if latency < self._fastest:
            self._fastest = latency
        if latency > self.queueing_factor * self._fastest:
            # Three slow answers in a row: queueing, not jitter; grow additively from here.
            self._slow_answers += 1
            if self._slow_answers >= 3:
                self._slow_start = False
            return
        self._slow_answers = 0
        self._widen(self._fastest, now - self._slow_start_since)

    def _on_success(self, now: float) -> None:
        if self._limit < self.max_concurrency:
            # Additive increase: about one more slot per window of successful requests.
            step = 1.0 / int(self._limit)
            self._limit = min(float(self.max_concurrency), self._limit + step)
            self._wake()
        if self._rate is not None and now - self._last_probe >= 1.0:
            self._last_probe = now
            stated = self._stated_rate
            ceiling = stated * self.headroom if stated is not None else float("inf")
            self._rate = min(self._rate * (1.0 + self.probe_step), ceiling)

    def _expire(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(
                RequestTimeout(_PAST_DEADLINE.format(what="for a concurrency slot"))
            )

    def _wake(self) -> None:
        # Hand each free slot to the next waiter still waiting, counting it as in flight.
        waiters = self._waiters
        while waiters and self._in_flight < int(self._limit):
            waiter = waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)


_SHARED: weakref.WeakValueDictionary[Hashable, AdaptiveLimiter] = weakref.WeakValueDictionary()


def shared_limiter(
    key: Hashable,
    max_concurrency: int,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    initial_concurrency: int | None = None,
) -> AdaptiveLimiter:
    """The process-wide limiter for ``key`` (credential, endpoint, project), made on first use."""
    limiter = _SHARED.get(key)
    if limiter is None:
        limiter = AdaptiveLimiter(
            max_concurrency=max_concurrency,
            monotonic=monotonic,
            sleep=sleep,
            initial_concurrency=initial_concurrency,
        )
        _SHARED[key] = limiter
    else:
        limiter.raise_ceiling(max_concurrency)
    return limiter
