"""The client against hostile and absurd answers, over real loopback HTTP to the emulator."""

from __future__ import annotations

import asyncio
import math
import pickle
from collections.abc import AsyncIterator

import pytest

from aiocloudocr import (
    AuthenticationError,
    BadRequestError,
    Client,
    InvalidResponseError,
    PasswordCredentials,
    RetryPolicy,
    ServerError,
    ThrottledError,
)
from aiocloudocr.emulator import DEFAULT_PROJECT_ID, RunningEmulator, run_emulator
from aiocloudocr.emulator._config import DEFAULT_USER
from aiocloudocr.emulator._faults import Fault
from aiocloudocr.testing import client_for
from tests.fakes import FakeSleep, make_png

MB = 1024 * 1024
PNG = make_png(32, 32)
THROTTLE_MESSAGE = "The throttling threshold has been reached: policy user over ratelimit,"
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02, deadline=30.0)


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    """A fresh emulator per test."""
    async with run_emulator() as running:
        yield running


def password_client(running: RunningEmulator, **options: object) -> Client:
    """A client logging in with the emulator's demo user."""
    credentials = PasswordCredentials(
        username=DEFAULT_USER.name,
        password=DEFAULT_USER.password,
        domain=DEFAULT_USER.domain,
        project_id=DEFAULT_PROJECT_ID,
    )
    return Client(credentials, endpoint=running.url, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("stated", ["limit:0,time:0 second", "limit:5,time:0 minute"])
async def test_zero_stated_limit_does_not_end_the_run(
    emulator: RunningEmulator, stated: str
) -> None:
    """An APIG.0308 stating a zero limit or window becomes an outcome, not a crash of map."""
    emulator.inject(
        "web_image", Fault(status=429, code="APIG.0308", message=THROTTLE_MESSAGE + stated), 2
    )
    async with client_for(emulator, retry=FAST, sleep=FakeSleep()) as client:
        outcomes = [o async for o in client.map("web_image", [PNG, PNG, PNG], concurrency=1)]
    assert len(outcomes) == 3
    assert all(o.ok for o in outcomes)


async def test_deeply_nested_success_body_is_an_invalid_response(
    emulator: RunningEmulator,
) -> None:
    """100,000 nested '[' in a 200 answer raise InvalidResponseError, not RecursionError."""
    emulator.inject("web_image", Fault(status=200, body=b"[" * 100_000))
    async with client_for(emulator, retry=FAST) as client:
        with pytest.raises(InvalidResponseError):
            await client.web_image(PNG)


async def test_deeply_nested_error_body_is_a_typed_error(emulator: RunningEmulator) -> None:
    """100,000 nested '[' in a 500 answer still give a ServerError with the status."""
    emulator.inject("web_image", Fault(status=500, body=b"[" * 100_000))
    async with client_for(emulator, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(ServerError) as caught:
            await client.web_image(PNG)
    assert caught.value.status == 500
    assert len(str(caught.value)) < 1000


async def test_deep_nesting_in_map_is_a_failed_outcome(emulator: RunningEmulator) -> None:
    """A bomb answer to one input of a map fails that input only."""
    emulator.inject("web_image", Fault(status=200, body=b"[" * 100_000))
    async with client_for(emulator, retry=FAST) as client:
        outcomes = [o async for o in client.map("web_image", [PNG, PNG], concurrency=1)]
    assert sorted(o.ok for o in outcomes) == [False, True]


@pytest.mark.parametrize(
    "retry_after", ["1e9", "inf", "Fri, 31 Dec 9999 23:59:59 GMT", "nan", "-5", "-inf"]
)
async def test_absurd_retry_after_never_parks_the_client(
    emulator: RunningEmulator, retry_after: str
) -> None:
    """Absurd Retry-After values fall back to the backoff; no wait is infinite or huge."""
    emulator.inject("web_image", Fault(status=429, code="APIG.0308", retry_after=retry_after), 2)
    sleep = FakeSleep()
    async with client_for(emulator, retry=FAST, sleep=sleep) as client:
        outcomes = [o async for o in client.map("web_image", [PNG] * 4, concurrency=2)]
    assert all(o.ok for o in outcomes)
    assert sleep.waits, "the throttled calls waited before retrying"
    assert all(math.isfinite(w) and 0 <= w <= 60 for w in sleep.waits), sleep.waits


async def test_retry_after_is_honoured_whole_within_the_deadline(
    emulator: RunningEmulator,
) -> None:
    """A Retry-After of 120 s under a 300 s deadline is waited in full, not cut to 60 s."""
    emulator.inject("web_image", Fault(status=429, code="APIG.0308", retry_after=120.0))
    sleep = FakeSleep()
    policy = RetryPolicy(max_attempts=3, deadline=300.0)
    async with client_for(emulator, retry=policy, sleep=sleep, adaptive=False) as client:
        result = await client.web_image(PNG)
    assert result.meta is not None and result.meta.attempts == 2
    assert sleep.waits == [120.0]


async def test_retry_after_past_the_deadline_gives_up_at_once(
    emulator: RunningEmulator,
) -> None:
    """A Retry-After longer than the time left fails now instead of sleeping past it."""
    emulator.inject("web_image", Fault(status=429, code="APIG.0308", retry_after=400.0))
    sleep = FakeSleep()
    policy = RetryPolicy(max_attempts=3, deadline=300.0)
    async with client_for(emulator, retry=policy, sleep=sleep, adaptive=False) as client:
        with pytest.raises(ThrottledError) as caught:
            await client.web_image(PNG)
    assert caught.value.attempts == 1
    assert caught.value.retry_after == 400.0
    assert sleep.waits == []


@pytest.mark.parametrize("gzip", [True, False])
async def test_oversized_answer_is_refused_without_reading_it_whole(
    emulator: RunningEmulator, gzip: bool
) -> None:
    """A 200 MB answer (gzip bomb or plain stream) is refused at the client's body cap."""
    size = 200 * MB if gzip else 50 * MB
    emulator.inject("web_image", Fault(status=200, filler_size=size, gzip=gzip))
    async with client_for(emulator, retry=FAST, max_response_bytes=4 * MB) as client:
        with pytest.raises(InvalidResponseError, match="larger than the 4,194,304-byte cap"):
            await client.web_image(PNG)


async def test_rotated_token_echoed_later_is_scrubbed(emulator: RunningEmulator) -> None:
    """A token rotated while its request was in flight never shows in the error's text."""
    emulator.inject("web_image", Fault(status=400, code="AIS.0101", echo_headers="json", stall=0.3))
    async with password_client(emulator, retry=RetryPolicy(max_attempts=1)) as client:
        cache = client.token_cache
        assert cache is not None
        first = (await cache.get()).value
        call = asyncio.ensure_future(client.web_image(PNG))
        await asyncio.sleep(0.1)
        cache.invalidate(first)
        second = (await cache.get()).value
        assert second != first
        with pytest.raises(BadRequestError) as caught:
            await call
    error = caught.value
    assert "X-Auth-Token" in error.message  # the echo arrived
    for text in (str(error), repr(error), str(pickle.loads(pickle.dumps(error)))):
        assert first not in text and first[:12] not in text
        assert second not in text


async def test_secret_after_filler_in_text_body_is_scrubbed_before_cutting(
    emulator: RunningEmulator,
) -> None:
    """A token echoed across the 200-character cut of a text body leaves not even a prefix."""
    emulator.inject("web_image", Fault(status=502, echo_headers="text", echo_offset=150))
    async with password_client(emulator, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(ServerError) as caught:
            await client.web_image(PNG)
        cache = client.token_cache
        assert cache is not None and cache.current is not None
        token = cache.current.value
    assert token[:12] not in str(caught.value)
    assert DEFAULT_USER.password not in str(caught.value)


async def test_wrong_password_logs_in_once_for_many_calls(emulator: RunningEmulator) -> None:
    """A refused password is remembered: 25 calls, concurrent then one by one, log in once."""
    credentials = PasswordCredentials(
        username=DEFAULT_USER.name,
        password="not-the-password",
        domain=DEFAULT_USER.domain,
        project_id=DEFAULT_PROJECT_ID,
    )
    async with Client(credentials, endpoint=emulator.url, retry=FAST) as client:
        results = await asyncio.gather(
            *(client.web_image(PNG) for _ in range(20)), return_exceptions=True
        )
        again = [
            await asyncio.gather(client.web_image(PNG), return_exceptions=True) for _ in range(5)
        ]
    assert all(isinstance(r, AuthenticationError) for r in [*results, *(a[0] for a in again)])
    assert emulator.stats.requests["iam"] == 1
    assert emulator.stats.requests["web_image"] == 0
