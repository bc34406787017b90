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
from yarl import URL

from aiocloudocr import AkSkCredentials, Client
from aiocloudocr.auth.signer import DATE_FORMAT, DATE_HEADER, sign
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID

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
    # Throttled answers the client's limiter saw after its first LATE_AFTER seconds.
    late_throttles: int | None = None

    @property
    def requests_per_s(self) -> float:
        """Inputs completed per second of wall time."""
        return self.n / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """Client-process CPU milliseconds per input."""
        return 1000 * self.cpu / self.n if self.n else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data, derived figures included."""
        data = attrs.asdict(self)
        data["requests_per_s"] = round(self.requests_per_s, 2)
        data["cpu_ms_per_request"] = round(self.cpu_ms_per_request, 4)
        return data


class Meter:
    """Wall and process CPU time between ``start`` and ``stop`` (CPU of every thread)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self._wall0 = self._cpu0 = 0.0

    def start(self) -> None:
        """Collect earlier runs' garbage now, so that this run is not charged for it."""
        gc.collect()
        self._wall0, self._cpu0 = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        """Record the elapsed wall and CPU time."""
        self.wall = time.perf_counter() - self._wall0
        self.cpu = time.process_time() - self._cpu0


def aiocloudocr_client(
    url: str, concurrency: int, rate_limit: tuple[int, float] | None = None
) -> Client:
    """An aiocloudocr client configured as its README shows, against ``url``."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    return Client(
        credentials,
        endpoint=url,
        project_id=DEFAULT_PROJECT_ID,
        concurrency=concurrency,
        rate_limit=rate_limit,
    )


def raw_request(image: bytes, host: str) -> tuple[bytes, dict[str, str]]:
    """The body and signed headers the hand-written loop sends for one image."""
    # base64 never needs JSON escaping: splicing it in is what a careful hand-written client
    # does, and keeps json.dumps' scan of ~133 KB out of the floor.
    body = b'{"image":"' + base64.b64encode(image) + b'"}'
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


async def run_raw(
    url: str, images: Sequence[bytes], *, concurrency: int, warmup: int = WARMUP
) -> RunResult:
    """A minimal correct client: one session, a semaphore, a signed JSON body, no retries."""
    base = URL(url)
    host = f"{base.host}:{base.port}"
    target = base.with_path(WEB_IMAGE_PATH)
    semaphore = asyncio.Semaphore(concurrency)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one(image: bytes) -> bool:
            async with semaphore:
                body, headers = raw_request(image, host)
                async with session.post(target, data=body, headers=headers) as response:
                    payload = await response.read()
                    if response.status != 200:
                        return False
            json.loads(payload)  # any client has to read the result
            return True

        return await _measure("raw", images, concurrency, warmup, one)


async def run_aiocloudocr_gather(
    url: str, images: Sequence[bytes], *, concurrency: int, warmup: int = WARMUP
) -> RunResult:
    """aiocloudocr single calls, all started at once under asyncio.gather."""
    async with aiocloudocr_client(url, concurrency) as client:

        async def one(image: bytes) -> bool:
            await client.web_image(image)
            return True

        return await _measure("aiocloudocr gather", images, concurrency, warmup, one)


async def run_aiocloudocr_map(
    url: str,
    images: Sequence[bytes],
    *,
    concurrency: int,
    warmup: int = WARMUP,
    rate_limit: tuple[int, float] | None = None,
) -> RunResult:
    """aiocloudocr's bulk ``client.map`` over the inputs (told the quota, if ``rate_limit``)."""
    async with aiocloudocr_client(url, concurrency, rate_limit) as client:
        for image in images[:warmup]:
            await client.web_image(image)
        limiter = client.limiter("ocr")
        early: list[int] = []

        def note() -> None:
            early.append(limiter.state().throttles if limiter is not None else 0)

        meter = Meter()
        meter.start()
        timer = asyncio.get_running_loop().call_later(LATE_AFTER, note)
        ok = failed = 0
        async for outcome in client.map("web_image", images, concurrency=concurrency):
            ok += outcome.ok
            failed += not outcome.ok
        meter.stop()
        timer.cancel()
        note()
        late = early[-1] - early[0]
    return RunResult(
        client="aiocloudocr map" if rate_limit is None else "aiocloudocr map, quota known",
        concurrency=concurrency,
        n=len(images),
        ok=ok,
        failed=failed,
        wall=meter.wall,
        cpu=meter.cpu,
        late_throttles=late,
    )


async def _measure(
    name: str,
    images: Sequence[bytes],
    concurrency: int,
    warmup: int,
    one: Callable[[bytes], Awaitable[bool]],
) -> RunResult:
    for image in images[:warmup]:
        await one(image)
    meter = Meter()
    meter.start()
    outcomes = await asyncio.gather(*(one(image) for image in images), return_exceptions=True)
    meter.stop()
    ok = sum(outcome is True for outcome in outcomes)
    return RunResult(
        client=name,
        concurrency=concurrency,
        n=len(images),
        ok=ok,
        failed=len(images) - ok,
        wall=meter.wall,
        cpu=meter.cpu,
    )
