"""The account-wide quota: one Ray actor holds the token bucket and the AIMD concurrency that
:class:`~aiocloudocr.AdaptiveLimiter` keeps in one process, fed by every worker's answers, and
hands out the right to send in small leases.

A **permit** is the right to send one attempt at a given moment; it counts as in flight (for
the account's concurrency) from the moment it is granted until the worker reports how the
attempt ended, or returns it unused. A **lease** is the few permits one call grants, each with
its send time as an offset from now (so that sends from every worker are evenly spaced under
the stated rate), none further ahead than ``horizon`` seconds. Workers report how their
attempts ended in batches, beside their lease requests, so there is no remote call per
request.

A worker that stops calling (it died) loses what it held ``lease_ttl`` seconds after its last
call: its permits are returned to the account. Each worker's books carry an **epoch**; a
report for another epoch (the actor restarted, or reclaimed the worker's permits) is ignored,
and the worker starts over with what the new grant says.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import attrs

from aiocloudocr._limiter import AdaptiveLimiter, LimiterState
from aiocloudocr.errors import ConfigurationError, RequestTimeout, ThrottledError
from aiocloudocr.ray._import import import_ray

# How often a lease request that got nothing looks again, while it waits in the actor.
_POLL = 0.02


class PermitReturned(Exception):
    """How a permit that ended without an answer to learn from is released in the limiter."""


_RETURNED = PermitReturned()


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ConfigurationError(f"AccountQuota.{attribute.name} must be positive, got {value!r}")


def _rate_limit(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[int, float] | None
) -> None:
    if value is not None and not (value[0] >= 1 and value[1] > 0):
        raise ConfigurationError(
            f"AccountQuota.rate_limit must be (requests >= 1, seconds > 0), got {value!r}"
        )


def _share(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 < value <= 1:
        raise ConfigurationError(f"AccountQuota.{attribute.name} must be in (0, 1], got {value!r}")


@attrs.frozen(kw_only=True)
class AccountQuota:
    """Where the account-wide quota lives (a named, detached Ray actor) and how it behaves.

    Picklable: pass it to every worker. ``rate_limit`` (requests, seconds) is the quota when
    you know it (else it is learnt from the first APIG.0308); sends are paced at
    ``headroom`` times it (lower than one process's 0.97: sends from many machines arrive
    with more jitter), and a throttle while pacing cuts the pace by ``decrease`` (gentler
    than one process's 0.7: the quota is this actor's alone). ``max_concurrency`` bounds the
    requests in flight across the cluster (halved on ModelArts.4401, grown back by AIMD);
    while the quota is unknown it starts at ``initial_concurrency`` and ramps up as
    :class:`~aiocloudocr.AdaptiveLimiter`'s slow start does. A lease holds at most
    ``lease_size`` permits, none due later than ``horizon`` s from the grant; a worker
    silent for ``lease_ttl`` s loses its permits. An actor of this name that is already
    running keeps its own settings and what it has learnt; :meth:`reset` stops it.
    """

    name: str = "aiocloudocr-quota"
    namespace: str = "aiocloudocr"
    rate_limit: tuple[int, float] | None = attrs.field(default=None, validator=_rate_limit)
    headroom: float = attrs.field(default=0.95, validator=_share)
    decrease: float = attrs.field(default=0.9, validator=_share)
    max_concurrency: int = attrs.field(default=64, validator=_positive)
    initial_concurrency: int = attrs.field(default=8, validator=_positive)
    lease_size: int = attrs.field(default=16, validator=_positive)
    horizon: float = attrs.field(default=0.25, validator=_positive)
    lease_ttl: float = attrs.field(default=10.0, validator=_positive)
    wait: float = attrs.field(default=0.5, validator=_positive)

    def actor(self) -> Any:
        """The quota actor's handle: the running one of this name, else a new one.

        It is detached (it outlives the job that made it, so every job of the account shares
        it) and takes no CPU; Ray restarts it if it dies (it then learns the quota again).
        """
        ray = import_ray()
        remote = ray.remote(QuotaActor).options(
            name=self.name,
            namespace=self.namespace,
            lifetime="detached",
            get_if_exists=True,
            num_cpus=0,
            max_restarts=-1,
            max_concurrency=1000,
        )
        return remote.remote(self)

    def state(self) -> LimiterState:
        """The account's current rate, concurrency, permits out and throttle counts."""
        ray = import_ray()
        state: LimiterState = ray.get(self.actor().state.remote())
        return state

    def counts(self) -> dict[str, int]:
        """Lease requests and reports the quota actor received, and permits it took back
        from workers that went silent."""
        ray = import_ray()
        counts: dict[str, int] = ray.get(self.actor().counts.remote())
        return counts

    def reset(self) -> None:
        """Stop the quota actor (it forgets what it learnt); the next use starts a new one."""
        ray = import_ray()
        with contextlib.suppress(ValueError):  # none is running
            ray.kill(ray.get_actor(self.name, namespace=self.namespace), no_restart=True)


@attrs.frozen(kw_only=True)
class Report:
    """How the permits a worker used since its last call ended: successes with their answer
    latencies, throttles (the service's stated limit and Retry-After are in the error), other
    failures, and permits given back unused."""

    epoch: int | None = None
    latencies: tuple[float | None, ...] = ()
    throttles: tuple[ThrottledError, ...] = ()
    failures: int = 0
    unused: int = 0

    @property
    def count(self) -> int:
        """How many permits this report gives back."""
        return len(self.latencies) + len(self.throttles) + self.failures + self.unused


@attrs.frozen(kw_only=True)
class Grant:
    """A lease: the worker's epoch, the send times of its permits (seconds from the grant),
    how long it may stay silent before losing them, the account's state, and how long the
    request was held in the actor (the worker subtracts half the rest of the round trip
    from the send times: the time the grant took to reach it)."""

    epoch: int
    sends: tuple[float, ...]
    lease_ttl: float
    state: LimiterState
    held: float = 0.0


@attrs.define
class _Holder:
    epoch: int
    seen: float
    outstanding: int = 0


@attrs.define
class QuotaBooks:
    """The quota actor's logic, free of Ray: an :class:`AdaptiveLimiter` whose waits are
    handed out as send times instead of slept, and who holds how many permits."""

    quota: AccountQuota
    _monotonic: Callable[[], float] = time.monotonic
    _limiter: AdaptiveLimiter = attrs.field(init=False)
    _delay: float = attrs.field(default=0.0, init=False)
    _holders: dict[str, _Holder] = attrs.field(factory=dict, init=False)
    _epochs: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1), init=False)
    _freed: asyncio.Event = attrs.field(factory=asyncio.Event, init=False)
    _reclaimed: int = attrs.field(default=0, init=False)
    _leases: int = attrs.field(default=0, init=False)
    _reports: int = attrs.field(default=0, init=False)

    def __attrs_post_init__(self) -> None:
        quota = self.quota
        self._limiter = AdaptiveLimiter(
            max_concurrency=quota.max_concurrency,
            monotonic=self._monotonic,
            sleep=self._schedule,
            initial_concurrency=quota.initial_concurrency,
            headroom=quota.headroom,
            decrease=quota.decrease,
        )
        if quota.rate_limit is not None:
            self._limiter.assume_rate(*quota.rate_limit)

    async def _schedule(self, delay: float) -> None:
        # The limiter "sleeps" until a permit's turn: here that wait is the permit's send
        # time, which the worker waits out. Never suspends, so a grant is atomic.
        self._delay = delay

    def __repr__(self) -> str:
        return f"<QuotaBooks {self._limiter!r} workers={len(self._holders)}>"

    def state(self) -> LimiterState:
        """The account's limiter state (``in_flight``: permits out, used or not)."""
        return self._limiter.state()

    @property
    def reclaimed(self) -> int:
        """Permits taken back from workers that went silent."""
        return self._reclaimed

    def counts(self) -> dict[str, int]:
        """Lease requests and reports received so far, and permits reclaimed from silent
        workers."""
        return {"leases": self._leases, "reports": self._reports, "reclaimed": self._reclaimed}

    async def lease(self, worker: str, report: Report, want: int) -> Grant:
        """Apply ``report``, then grant ``worker`` up to ``want`` permits, waiting up to
        ``quota.wait`` seconds for at least one when none is free."""
        self._leases += 1
        holder = self._holders.get(worker)
        if holder is None or holder.epoch != report.epoch:
            # New worker, or one whose books were reset: what it held is no longer counted.
            if holder is not None:
                self._reclaim(holder)
            holder = self._holders[worker] = _Holder(epoch=next(self._epochs), seen=0.0)
        else:
            self._apply(holder, report)
        holder.seen = arrived = self._monotonic()
        turns, paced = await self._grant(holder, want)
        # The wait is in the event loop's time (the limiter's clock may be a test's fake).
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.quota.wait
        batch = max(1, min(want, self.quota.lease_size // 2))
        while want > len(turns):
            remaining = give_up - loop.time()
            if remaining <= 0 or self._holders.get(worker) is not holder:
                break
            rate = self._limiter.state().rate
            if paced and rate:
                # Held back by the rate: one call should bring a batch of permits, so wait
                # until more turns are within reach, as long as the first one can wait.
                step = batch / rate
                if len(turns) >= batch or (turns and turns[0] - self._monotonic() < 2 * step):
                    break
                await asyncio.sleep(min(remaining, step))
            elif turns:
                break
            else:
                freed = self._freed
                with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                    await asyncio.wait_for(freed.wait(), min(remaining, _POLL))
            holder.seen = self._monotonic()
            more, paced = await self._grant(holder, want - len(turns))
            turns += more
        now = self._monotonic()
        return Grant(
            epoch=holder.epoch,
            sends=tuple(max(0.0, turn - now) for turn in turns),
            lease_ttl=self.quota.lease_ttl,
            state=self.state(),
            held=now - arrived,
        )

    def report(self, worker: str, report: Report) -> LimiterState:
        """Apply ``report`` (ignored unless it is for the worker's current epoch)."""
        self._reports += 1
        holder = self._holders.get(worker)
        if holder is not None and holder.epoch == report.epoch:
            self._apply(holder, report)
            holder.seen = self._monotonic()
        return self.state()

    async def _grant(self, holder: _Holder, want: int) -> tuple[list[float], bool]:
        """Up to ``want`` permits (their turns, on the limiter's clock), and whether the rate
        (rather than the concurrency or the want) stopped the grant."""
        turns: list[float] = []
        limiter = self._limiter
        while len(turns) < want:
            state = limiter.state()
            if state.in_flight >= state.concurrency:
                break  # never queue in the limiter: a lease waits here, not there
            self._delay = 0.0
            now = self._monotonic()
            try:
                await limiter.acquire(deadline=now + self.quota.horizon)
            except RequestTimeout:
                return turns, True  # the next turn is further ahead than a lease reaches
            turns.append(now + self._delay)
            holder.outstanding += 1
        return turns, False

    def _apply(self, holder: _Holder, report: Report) -> None:
        limiter = self._limiter
        budget = holder.outstanding
        # Throttles first: if a report claims more than the worker holds, the news matters most.
        for error in report.throttles[:budget]:
            limiter.release(error)
        budget -= min(len(report.throttles), budget)
        for latency in report.latencies[:budget]:
            limiter.release(None, latency)
        budget -= min(len(report.latencies), budget)
        plain = min(report.failures + report.unused, budget)
        for _ in range(plain):
            limiter.release(_RETURNED)
        returned = holder.outstanding - (budget - plain)
        holder.outstanding -= returned
        if returned:
            self._signal()

    def _reclaim(self, holder: _Holder) -> None:
        for _ in range(holder.outstanding):
            self._limiter.release(_RETURNED)
        self._reclaimed += holder.outstanding
        if holder.outstanding:
            holder.outstanding = 0
            self._signal()

    def reap(self) -> int:
        """Take back the permits of workers silent for longer than ``lease_ttl``; return
        how many were taken back."""
        now = self._monotonic()
        before = self._reclaimed
        for worker, holder in list(self._holders.items()):
            if now - holder.seen > self.quota.lease_ttl:
                self._reclaim(holder)
                del self._holders[worker]
        return self._reclaimed - before

    def _signal(self) -> None:
        # Wake every lease request waiting for a free permit; later ones wait on a new event.
        self._freed.set()
        self._freed = asyncio.Event()


class QuotaActor:
    """The Ray actor around :class:`QuotaBooks` (async: lease requests wait concurrently)."""

    def __init__(self, quota: AccountQuota) -> None:
        self._books = QuotaBooks(quota)
        self._reaper: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<QuotaActor {self._books!r}>"

    async def lease(self, worker: str, report: Report, want: int) -> Grant:
        """See :meth:`QuotaBooks.lease`."""
        self._start_reaper()
        return await self._books.lease(worker, report, want)

    async def report(self, worker: str, report: Report) -> LimiterState:
        """See :meth:`QuotaBooks.report`."""
        return self._books.report(worker, report)

    async def state(self) -> LimiterState:
        """See :meth:`QuotaBooks.state`."""
        return self._books.state()

    async def counts(self) -> dict[str, int]:
        """See :meth:`QuotaBooks.counts`."""
        return self._books.counts()

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self._books.quota.lease_ttl / 4)
            self._books.reap()
