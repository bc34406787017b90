"""The worker's side of the account-wide quota: a :class:`~aiocloudocr.Limiter` that spends
permits leased from the quota actor (see :mod:`aiocloudocr.ray._quota`).

Two background tasks per limiter talk to the actor, one call at a time each: one asks for
as many permits as attempts are waiting (at most ``lease_size``) and, while the worker holds
permits, calls at least every third of ``lease_ttl`` so that they are not taken back; the
other reports how attempts ended (lease requests carry the news too), so that the account
sees freed slots while a lease request is still waiting for one: at once for a throttle,
within 10 ms while the account's concurrency is what holds sends back, else within 500 ms.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from aiocloudocr._limiter import LimiterState
from aiocloudocr.errors import ConfigurationError, RequestTimeout, ThrottledError
from aiocloudocr.ray._quota import AccountQuota, Grant, Report

logger = logging.getLogger("aiocloudocr.ray")

# A permit whose send time passed this long ago with nothing waiting for it goes back.
_STALE = 0.5
# A permit whose turn passed this long ago (the process stalled) is not spent, at most this
# many times in a row for one attempt (a process that always stalls must still send).
_LATE = 0.05
_MAX_LATE = 3
# Answers that are no news worth a call of their own are gathered this long while the
# account's concurrency holds sends back, else the longer time.
_GATHER = 0.01
_GATHER_PACED = 0.5
# After the quota actor could not be reached, wait this long before asking again; after
# this long without reaching it, fail the attempts waiting (a job must not hang on it).
_UNREACHABLE_BACKOFF = 0.5
_GIVE_UP = 120.0


@attrs.frozen
class _Permit:
    send_at: float  # this process's monotonic clock
    epoch: int


def _expire(waiter: asyncio.Future[_Permit]) -> None:
    if not waiter.done():
        waiter.set_exception(RequestTimeout("no permit of the account's quota before the deadline"))


def _actor_of(quota: AccountQuota) -> Any:
    return quota.actor()


@attrs.define
class QuotaLimiter:
    """A :class:`~aiocloudocr.Limiter` drawing on the account-wide quota actor, for
    ``Client(limiter=QuotaLimiter(quota))`` in each worker.

    ``state()`` is the account's state as of the last lease, with this worker's
    ``in_flight``. Use it from one event loop (the client's). If the quota actor fails (it
    answers with an error, or cannot be reached for two minutes while Ray restarts it), the
    attempts waiting for a permit fail with ConfigurationError, which stops a run (an error
    no input can avoid) instead of hanging it.
    """

    quota: AccountQuota
    _monotonic: Callable[[], float] = time.monotonic
    _connect: Callable[[AccountQuota], Any] = _actor_of
    _worker: str = attrs.field(factory=lambda: uuid.uuid4().hex, init=False)
    _actor: Any = attrs.field(default=None, init=False)
    _epoch: int | None = attrs.field(default=None, init=False)
    _permits: collections.deque[_Permit] = attrs.field(factory=collections.deque, init=False)
    _waiters: collections.deque[asyncio.Future[_Permit]] = attrs.field(
        factory=collections.deque, init=False
    )
    _in_flight: collections.Counter[int] = attrs.field(factory=collections.Counter, init=False)
    _latencies: list[float | None] = attrs.field(factory=list, init=False)
    _throttles: list[ThrottledError] = attrs.field(factory=list, init=False)
    _failures: int = attrs.field(default=0, init=False)
    _unused: int = attrs.field(default=0, init=False)
    _wake: asyncio.Event | None = attrs.field(default=None, init=False)
    _news: asyncio.Event | None = attrs.field(default=None, init=False)
    _urgent: bool = attrs.field(default=False, init=False)
    _task: asyncio.Task[None] | None = attrs.field(default=None, init=False)
    _reporter: asyncio.Task[None] | None = attrs.field(default=None, init=False)
    _state: LimiterState | None = attrs.field(default=None, init=False)
    _last_call: float = attrs.field(default=float("-inf"), init=False)
    _calls: int = attrs.field(default=0, init=False)
    _unreachable_since: float | None = attrs.field(default=None, init=False)
    _failure: ConfigurationError | None = attrs.field(default=None, init=False)

    def __repr__(self) -> str:
        return (
            f"<QuotaLimiter {self.quota.name!r} epoch={self._epoch} permits={len(self._permits)} "
            f"in_flight={sum(self._in_flight.values())} calls={self._calls}>"
        )

    @property
    def calls(self) -> int:
        """Remote calls made to the quota actor so far."""
        return self._calls

    def state(self) -> LimiterState:
        """The account's state as of the last lease, with this worker's ``in_flight``."""
        base = self._state or LimiterState(
            rate=None,
            stated_rate=None,
            concurrency=self.quota.initial_concurrency,
            max_concurrency=self.quota.max_concurrency,
            in_flight=0,
            throttles=0,
            rate_throttles=0,
            concurrency_throttles=0,
        )
        return attrs.evolve(base, in_flight=sum(self._in_flight.values()))

    async def acquire(self, *, deadline: float | None = None) -> None:
        """Wait for a permit and for its send time; RequestTimeout past ``deadline``."""
        if self._failure is not None:
            raise self._failure
        self._start()
        late = 0
        while True:
            permit = self._take_ready()
            if permit is None:
                permit = await self._wait_for_permit(deadline)
            now = self._monotonic()
            if permit.send_at > now:
                if deadline is not None and permit.send_at >= deadline:
                    self._give_back(permit)
                    raise RequestTimeout("the account's quota has no turn before the deadline")
                try:
                    await asyncio.sleep(permit.send_at - now)
                except BaseException:
                    self._give_back(permit)
                    raise
            if permit.epoch != self._epoch:
                continue  # the account took it back meanwhile (new epoch): not to be spent
            if self._monotonic() - permit.send_at > _LATE and late < _MAX_LATE:
                # This process stalled past the permit's turn: sent now, it would crowd the
                # turns of other workers' permits into one window. It goes back unused.
                late += 1
                self._unused += 1
                self._tell()
                continue
            self._in_flight[permit.epoch] += 1
            return

    def release(self, error: BaseException | None, latency: float | None = None) -> None:
        """Record how an attempt ended, for the next report; never raises."""
        epoch = self._oldest_in_flight()
        if epoch is None:
            return
        self._in_flight[epoch] -= 1
        if not self._in_flight[epoch]:
            del self._in_flight[epoch]
        if epoch != self._epoch:
            return  # held under books the account has reset: nothing to report
        if isinstance(error, ThrottledError):
            self._throttles.append(error)
            # Permits scheduled before the account heard of this throttle would be sent too
            # soon: give them back, and tell the account now.
            self._unused += len(self._permits)
            self._permits.clear()
            self._tell()
            self._kick()
        elif error is None:
            self._latencies.append(latency)
            self._tell(urgent=False)
        else:
            self._failures += 1
            self._tell(urgent=False)

    def _oldest_in_flight(self) -> int | None:
        # Counts, not identities, matter to the account: an attempt of an older epoch is
        # taken as ending first, which frees the current books' slots later, never sooner.
        return min(self._in_flight, default=None)

    def _take_ready(self) -> _Permit | None:
        if self._permits and not self._live_waiters():
            return self._permits.popleft()
        return None

    def _live_waiters(self) -> int:
        waiters = self._waiters
        while waiters and waiters[0].done():
            waiters.popleft()
        return sum(not w.done() for w in waiters)

    async def _wait_for_permit(self, deadline: float | None) -> _Permit:
        remaining = None if deadline is None else deadline - self._monotonic()
        if remaining is not None and remaining <= 0:
            raise RequestTimeout("no permit of the account's quota before the deadline")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[_Permit] = loop.create_future()
        timer = None if remaining is None else loop.call_later(remaining, _expire, waiter)
        self._waiters.append(waiter)
        self._kick()
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_back(waiter.result())
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _give_back(self, permit: _Permit) -> None:
        if permit.epoch == self._epoch:
            self._permits.appendleft(permit)
            self._dispatch()

    def _dispatch(self) -> None:
        while self._permits and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(self._permits.popleft())

    def _kick(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._news = asyncio.Event()
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._lease_forever())
            self._reporter = loop.create_task(self._report_forever())

    def _report(self) -> Report:
        report = Report(
            epoch=self._epoch,
            latencies=tuple(self._latencies),
            throttles=tuple(self._throttles),
            failures=self._failures,
            unused=self._unused,
        )
        self._latencies, self._throttles = [], []
        self._failures = self._unused = 0
        return report

    def _restore(self, report: Report) -> None:
        if report.epoch == self._epoch:
            self._latencies[:0] = report.latencies
            self._throttles[:0] = report.throttles
            self._failures += report.failures
            self._unused += report.unused
            self._tell(urgent=False)

    def _drop_stale(self, now: float) -> None:
        if self._live_waiters():
            return
        dropped = 0
        while self._permits and self._permits[0].send_at < now - _STALE:
            self._permits.popleft()
            dropped += 1
        if dropped:
            self._unused += dropped
            self._tell()

    def _concurrency_bound(self) -> bool:
        state = self._state
        return state is None or state.slow_start or state.in_flight >= 0.8 * state.concurrency

    async def _until_urgent(self) -> None:
        news = self._news
        assert news is not None
        while not self._urgent:
            news.clear()
            await news.wait()

    def _has_news(self) -> bool:
        return bool(self._latencies or self._throttles or self._failures or self._unused)

    def _tell(self, *, urgent: bool = True) -> None:
        self._urgent = self._urgent or urgent
        if self._news is not None:
            self._news.set()

    async def _lease_forever(self) -> None:
        wake = self._wake
        assert wake is not None
        heartbeat = self.quota.lease_ttl / 3
        while True:
            now = self._monotonic()
            self._drop_stale(now)
            want = min(self._live_waiters() - len(self._permits), self.quota.lease_size)
            holding = bool(self._permits or self._in_flight)
            if want <= 0 and not (holding and now - self._last_call >= heartbeat):
                wake.clear()
                timeout = min(heartbeat, _STALE) if holding else None
                with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout)
                continue
            await self._call(max(want, 0))

    async def _report_forever(self) -> None:
        news = self._news
        assert news is not None
        while True:
            await news.wait()
            if not self._urgent:
                # Gather answers into one call: briefly while the account's concurrency is
                # what holds sends back (each freed slot is a send), else for longer (lease
                # requests take the news along meanwhile). A throttle goes at once.
                gather = _GATHER if self._concurrency_bound() else _GATHER_PACED
                with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                    await asyncio.wait_for(self._until_urgent(), gather)
            news.clear()
            self._urgent = False
            if not self._has_news() or self._epoch is None:
                continue
            report = self._report()
            try:
                if self._actor is None:
                    self._actor = self._connect(self.quota)
                self._calls += 1
                self._state = await self._actor.report.remote(self._worker, report)
                self._last_call = self._monotonic()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Kept for the next call (else the account would count those permits as
                # out forever); if the actor is gone, the lease call starts over anyway.
                logger.debug("a report to the account's quota actor failed: %r", error)
                self._restore(report)
                await asyncio.sleep(_UNREACHABLE_BACKOFF)

    async def _call(self, want: int) -> None:
        try:
            if self._actor is None:
                self._actor = self._connect(self.quota)
            self._calls += 1
            asked = self._monotonic()
            grant: Grant = await self._actor.lease.remote(self._worker, self._report(), want)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._unreachable(error)
            return
        self._unreachable_since = None
        self._last_call = now = self._monotonic()
        # The grant's clock started about half the round trip (less its stay) ago.
        self._accept(grant, now - max(0.0, (now - asked - grant.held) / 2))

    async def _unreachable(self, error: Exception) -> None:
        now = self._monotonic()
        since = self._unreachable_since = self._unreachable_since or now
        if not self._transient(error):
            # The actor answered with an error, or the call could not be made: asking again
            # cannot help (a bug, or workers and actor running different versions).
            self._fail(f"the account's quota actor failed: {error!r}")
        elif now - since > _GIVE_UP:
            self._fail(f"the account's quota actor was unreachable for {now - since:.0f} s")
        else:  # it is restarting (Ray restarts it) or was moved: start over with it
            logger.warning("the account's quota actor could not be reached: %r", error)
        self._actor = None
        self._reset_books(None)
        await asyncio.sleep(_UNREACHABLE_BACKOFF)

    @staticmethod
    def _transient(error: Exception) -> bool:
        exceptions = getattr(sys.modules.get("ray"), "exceptions", None)
        kinds = tuple(
            kind
            for name in ("RayActorError", "GetTimeoutError", "ObjectLostError")
            if isinstance(kind := getattr(exceptions, name, None), type)
        )
        return isinstance(error, kinds)

    def _fail(self, message: str) -> None:
        logger.error("%s; the attempts waiting for a permit fail", message)
        self._failure = ConfigurationError(message)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(self._failure)

    def _accept(self, grant: Grant, received: float) -> None:
        if grant.epoch != self._epoch:
            self._reset_books(grant.epoch)
        self._state = grant.state
        for offset in grant.sends:
            self._permits.append(_Permit(send_at=received + offset, epoch=grant.epoch))
        self._dispatch()

    def _reset_books(self, epoch: int | None) -> None:
        # Whatever was held or reported under the old epoch is the account's no longer.
        self._epoch = epoch
        self._permits.clear()
        self._latencies, self._throttles = [], []
        self._failures = self._unused = 0

    async def aclose(self) -> None:
        """Give back unused permits, report what is left, and stop talking to the actor."""
        tasks = [t for t in (self._task, self._reporter) if t is not None]
        self._task = self._reporter = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._unused += len(self._permits)
        self._permits.clear()
        if self._actor is not None and self._has_news() and self._epoch is not None:
            try:
                await self._actor.report.remote(self._worker, self._report())
            except Exception as error:  # best effort: the lease expires anyway
                logger.debug("could not give the permits back: %r", error)
