"""The asyncio runners: a hand-written aiohttp loop (the floor) and aiocloudocr, measured alike."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import attrs
from pybase64 import b64encode
from yarl import URL

from aiocloudocr import AkSkCredentials, Client
from aiocloudocr.auth.signer import DATE_FORMAT, DATE_HEADER, sign
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID
from benchmarks import affinity

WARMUP = 8
"""Requests each client sends before it is measured (lazy imports, first-use code paths)."""
WEB_IMAGE_PATH = f"/v2/{DEFAULT_PROJECT_ID}/ocr/web-image"


LATE_AFTER = 2.0
"""Seconds after which a client meeting an unknown quota should be throttled no more."""


@attrs.frozen(kw_only=True)
class RunResult:
    """One client's measured run over ``n`` inputs: outcomes, wall time and process CPU time."""

    client: str
    concurrency: int
    n: int
    ok: int
    failed: int
    wall: float
    cpu: float
    # CPU time spent in the garbage collector during the run, and how many collections.
    gc_cpu: float = 0.0
    gc_collections: int = 0
    # time.perf_counter() at the start of the measured run (CLOCK_MONOTONIC: comparable
    # with the observer process's samples).
    started: float = 0.0
    # Throttled answers the client's limiter saw after its first LATE_AFTER seconds.
    late_throttles: int | None = None
    # The limiter's concurrency when the measured run began (8 under the default slow start).
    limiter_start: int | None = None
    # The CPU masks of every thread of the client process as the run ended.
    pinning: dict[str, Any] | None = None

    @property
    def requests_per_s(self) -> float:
        """Inputs completed per second of wall time."""
        return self.n / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """Client-process CPU milliseconds per input."""
        return 1000 * self.cpu / self.n if self.n else 0.0

    @property
    def gc_share(self) -> float:
        """The fraction of the run's client CPU spent in garbage collection."""
        return self.gc_cpu / self.cpu if self.cpu > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data, derived figures included."""
        data = attrs.asdict(self)
        data["requests_per_s"] = round(self.requests_per_s, 2)
        data["cpu_ms_per_request"] = round(self.cpu_ms_per_request, 4)
        data["gc_share"] = round(self.gc_share, 5)
        return data


class Meter:
    """Wall and process CPU time between ``start`` and ``stop`` (CPU of every thread), and the
    CPU the garbage collector took in between (timed by ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.wall = self.cpu = self.gc_cpu = self.started = 0.0
        self.gc_collections = 0
        self._cpu0 = self._gc0 = 0.0
        self.pinning: dict[str, Any] | None = None

    def start(self) -> None:
        """Collect earlier garbage now, so that this run is not charged for it; start timing."""
        gc.collect()
        self.gc_cpu, self.gc_collections = 0.0, 0
        gc.callbacks.append(self._on_gc)
        self.started, self._cpu0 = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        """Record the elapsed wall and CPU time."""
        self.wall = time.perf_counter() - self.started
        self.cpu = time.process_time() - self._cpu0
        gc.callbacks.remove(self._on_gc)
        # While every thread of the run (a thread pool's too) is still alive.
        self.pinning = affinity.threads_of()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        # A collection starts and stops in one thread, holding the GIL: that thread's CPU
        # clock between the two is the collection's cost, whichever thread ran it.
        if phase == "start":
            self._gc0 = time.thread_time()
        else:
            self.gc_cpu += time.thread_time() - self._gc0
            self.gc_collections += 1

    def result(self, client: str, concurrency: int, n: int, ok: int, **extra: Any) -> RunResult:
        """The measured run as a :class:`RunResult`."""
        return RunResult(
            client=client,
            concurrency=concurrency,
            n=n,
            ok=ok,
            failed=n - ok,
            wall=self.wall,
            cpu=self.cpu,
            gc_cpu=self.gc_cpu,
            gc_collections=self.gc_collections,
            started=self.started,
            pinning=self.pinning,
            **extra,
        )


@attrs.frozen(kw_only=True)
class Options:
    """Client options a run sets; None leaves the library's default (and lets revisions that
    lack an option, in ``--compare``, still run)."""

    rate_limit: tuple[int, float] | None = None
    initial_concurrency: int | None = None
    trust_env: bool | None = None
    # Not a Client option: the measured client makes one call before the clock starts, so
    # its first call's credential probe (sent alone, a round trip) is already behind it.
    one_call_first: bool = False

    def given(self) -> dict[str, Any]:
        """The options that are set, as ``Client`` keyword arguments."""
        options = attrs.asdict(self, recurse=False)
        del options["one_call_first"]
        return {k: v for k, v in options.items() if v is not None}

    def label(self, base: str, concurrency: int) -> str:
        """The row's name: ``base`` and what differs from the defaults."""
        if self.rate_limit is not None:
            base += ", quota known"
        if self.initial_concurrency == concurrency:
            base += ", no slow start"
        if self.trust_env is False:
            base += ", trust_env=False"
        if self.one_call_first:
            base += ", after one call"
        return base


DEFAULTS = Options()


def aiocloudocr_client(url: str, concurrency: int, options: Options = DEFAULTS) -> Client:
    """An aiocloudocr client configured as its README shows, against ``url``."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    return Client(
        credentials,
        endpoint=url,
        project_id=DEFAULT_PROJECT_ID,
        concurrency=concurrency,
        **options.given(),
    )


def raw_request(
    image: bytes, host: str, encode: Callable[[bytes], bytes] = base64.b64encode
) -> tuple[bytes, dict[str, str]]:
    """The body and signed headers the hand-written loop sends for one image."""
    # base64 never needs JSON escaping: splicing it in is what a careful hand-written client
    # does, and keeps json.dumps' scan of ~133 KB out of the floor.
    body = b'{"image":"' + encode(image) + b'"}'
    headers = {
        "Host": host,
        "Content-Type": "application/json;charset=utf-8",
        "X-Project-Id": DEFAULT_PROJECT_ID,
        DATE_HEADER: time.strftime(DATE_FORMAT, time.gmtime()),
    }
    headers["Authorization"] = sign(
        method="POST",
        path=WEB_IMAGE_PATH,
        headers=headers,
        body=body,
        access_key=DEFAULT_KEY_PAIR.ak,
        secret_key=DEFAULT_KEY_PAIR.sk,
    )
    return body, headers


def _target(url: str) -> tuple[URL, str]:
    base = URL(url)
    return base.with_path(WEB_IMAGE_PATH), f"{base.host}:{base.port}"


async def run_raw(
    url: str,
    images: Sequence[bytes],
    *,
    concurrency: int,
    warmup: int = WARMUP,
    fast_base64: bool = False,
) -> RunResult:
    """A minimal correct client: one session, a semaphore, a signed JSON body, no retries.

    ``fast_base64`` encodes with pybase64 (SIMD), as aiocloudocr does, instead of the
    standard library: the loop a user would write against the loop with the same codec.
    """
    target, host = _target(url)
    encode = b64encode if fast_base64 else base64.b64encode
    semaphore = asyncio.Semaphore(concurrency)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one(image: bytes) -> bool:
            async with semaphore:
                body, headers = raw_request(image, host, encode)
                async with session.post(target, data=body, headers=headers) as response:
                    payload = await response.read()
                    if response.status != 200:
                        return False
            json.loads(payload)  # any client has to read the result
            return True

        name = "raw, pybase64" if fast_base64 else "raw"
        return await _measure(name, images, concurrency, warmup, one)


async def run_ceiling(
    url: str, images: Sequence[bytes], *, concurrency: int, warmup: int = WARMUP
) -> RunResult:
    """One body signed once, posted ``len(images)`` times by ``concurrency`` plain aiohttp loops.

    No base64, no signing, no parsing per request: what one core can push through aiohttp
    (and the emulator) at all, the physical reference for every other figure.
    """
    target, host = _target(url)
    body, headers = raw_request(images[0], host)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def post() -> bool:
            async with session.post(target, data=body, headers=headers) as response:
                await response.read()
                return response.status == 200

        for _ in range(warmup):
            await post()
        left = len(images)
        ok = 0

        async def loop() -> None:
            nonlocal left, ok
            while left > 0:
                left -= 1
                answered = await post()  # not "ok += await ...": ok would be read before
                ok += answered

        meter = Meter()
        meter.start()
        await asyncio.gather(*(loop() for _ in range(min(concurrency, len(images)))))
        meter.stop()
    return meter.result("ceiling", concurrency, len(images), ok)


async def _warm_up(url: str, images: Sequence[bytes], concurrency: int, options: Options) -> None:
    # A throwaway client of the same configuration: the measured client then starts as a
    # user's would (its shared limiter is dropped with this one, so the slow start is not
    # already opened by the warm-up), with the first-use code paths warm.
    if not images:
        return
    async with aiocloudocr_client(
        url, concurrency, attrs.evolve(options, rate_limit=None)
    ) as client:
        for image in images:
            await client.web_image(image)
    del client
    gc.collect()  # the throwaway client, and with it its limiter, is gone


def _limiter_state(client: Client) -> Any:
    limiter = getattr(client, "limiter", None)  # absent in early revisions (--compare)
    found = limiter("ocr") if limiter is not None else None
    return found.state() if found is not None else None


class LateThrottles:
    """Throttled answers the client's limiter counts after the first LATE_AFTER seconds."""

    def __init__(self, client: Client) -> None:
        self._client = client
        state = _limiter_state(client)
        self.start = state.concurrency if state is not None else None
        self._counts: list[int] = []
        self._timer: asyncio.TimerHandle | None = None

    def _note(self) -> None:
        state = _limiter_state(self._client)
        self._counts.append(state.throttles if state is not None else 0)

    def begin(self) -> None:
        """Note the count at LATE_AFTER seconds from now."""
        self._timer = asyncio.get_running_loop().call_later(LATE_AFTER, self._note)

    def end(self) -> dict[str, Any]:
        """``late_throttles`` (None without a limiter) and ``limiter_start`` for the result."""
        if self._timer is not None:
            self._timer.cancel()
        self._note()
        # One count only: the run ended within LATE_AFTER seconds, nothing came later.
        late = self._counts[-1] - self._counts[0] if len(self._counts) == 2 else 0
        known = self.start is not None
        return {"late_throttles": late if known else None, "limiter_start": self.start}


async def run_aiocloudocr_gather(
    url: str,
    images: Sequence[bytes],
    *,
    concurrency: int,
    warmup: int = WARMUP,
    options: Options = DEFAULTS,
) -> RunResult:
    """aiocloudocr single calls, all started at once under asyncio.gather."""
    await _warm_up(url, images[:warmup], concurrency, options)
    async with aiocloudocr_client(url, concurrency, options) as client:
        if options.one_call_first:
            await client.web_image(images[0])

        async def one(image: bytes) -> bool:
            await client.web_image(image)
            return True

        name = options.label("aiocloudocr gather", concurrency)
        return await _measure(name, images, concurrency, 0, one, LateThrottles(client))


async def run_aiocloudocr_map(
    url: str,
    images: Sequence[bytes],
    *,
    concurrency: int,
    warmup: int = WARMUP,
    options: Options = DEFAULTS,
) -> RunResult:
    """aiocloudocr's bulk ``client.map`` over the inputs."""
    await _warm_up(url, images[:warmup], concurrency, options)
    async with aiocloudocr_client(url, concurrency, options) as client:
        if options.one_call_first:
            await client.web_image(images[0])
        late = LateThrottles(client)
        meter = Meter()
        meter.start()
        late.begin()
        ok = 0
        async for outcome in client.map("web_image", images, concurrency=concurrency):
            ok += outcome.ok
        meter.stop()
        extra = late.end()
    name = options.label("aiocloudocr map", concurrency)
    return meter.result(name, concurrency, len(images), ok, **extra)


async def _measure(
    name: str,
    images: Sequence[bytes],
    concurrency: int,
    warmup: int,
    one: Callable[[bytes], Awaitable[bool]],
    late: LateThrottles | None = None,
) -> RunResult:
    for image in images[:warmup]:
        await one(image)
    meter = Meter()
    meter.start()
    if late is not None:
        late.begin()
    outcomes = await asyncio.gather(*(one(image) for image in images), return_exceptions=True)
    meter.stop()
    ok = sum(outcome is True for outcome in outcomes)
    extra = late.end() if late is not None else {}
    return meter.result(name, concurrency, len(images), ok, **extra)
