"""The IAM token cache: single flight, refresh ahead of expiry, bridging failed refreshes."""

from __future__ import annotations

import asyncio

import pytest

from aiocloudocr import AuthenticationError
from aiocloudocr.auth.iam import IssuedToken, parse_timestamp, parse_token_response
from aiocloudocr.auth.token_cache import TokenCache


class FakeClock:
    """A settable wall clock."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeIam:
    """Issues numbered tokens that live ``ttl`` seconds; can be told to fail."""

    def __init__(self, clock: FakeClock, ttl: float = 86400.0) -> None:
        self.clock, self.ttl, self.calls, self.fail = clock, ttl, 0, False

    async def fetch(self) -> IssuedToken:
        self.calls += 1
        await asyncio.sleep(0)  # let every waiter pile up on the one fetch
        if self.fail:
            raise AuthenticationError("IAM down", status=503)
        return IssuedToken(
            value=f"token-{self.calls}", expires_at=self.clock() + self.ttl, lifetime=self.ttl
        )


async def test_thousand_cold_callers_share_one_fetch() -> None:
    """1,000 concurrent first calls cause exactly one IAM request."""
    clock = FakeClock()
    iam = FakeIam(clock)
    cache = TokenCache(iam.fetch, clock)
    tokens = await asyncio.gather(*(cache.get() for _ in range(1000)))
    assert iam.calls == 1
    assert {t.value for t in tokens} == {"token-1"}


async def test_token_is_cached_for_its_life_and_refreshed_ahead() -> None:
    """The token is reused until shortly before expiry, then refreshed once."""
    clock = FakeClock()
    iam = FakeIam(clock)
    cache = TokenCache(iam.fetch, clock, refresh_ahead=600.0)
    assert (await cache.get()).value == "token-1"
    clock.now += 86400 - 601
    assert (await cache.get()).value == "token-1"
    clock.now += 2  # inside the refresh window, still before expiry
    assert (await cache.get()).value == "token-2"
    assert iam.calls == 2


async def test_failed_refresh_keeps_a_still_valid_token() -> None:
    """When a refresh fails before expiry, callers keep the old token."""
    clock = FakeClock()
    iam = FakeIam(clock)
    cache = TokenCache(iam.fetch, clock, refresh_ahead=600.0)
    await cache.get()
    clock.now += 86400 - 100
    iam.fail = True
    assert (await cache.get()).value == "token-1"
    clock.now += 200  # now really expired
    with pytest.raises(AuthenticationError):
        await cache.get()


async def test_invalidate_drops_only_the_refused_token() -> None:
    """Invalidating a stale value keeps a newer token; the current value is dropped."""
    clock = FakeClock()
    iam = FakeIam(clock)
    cache = TokenCache(iam.fetch, clock)
    await cache.get()
    cache.invalidate("token-0")
    assert cache.current is not None
    cache.invalidate("token-1")
    assert cache.current is None
    assert (await cache.get()).value == "token-2"


async def test_cancelled_waiter_does_not_cancel_the_fetch() -> None:
    """A caller cancelled mid-fetch leaves the shared fetch running for the others."""
    clock = FakeClock()
    iam = FakeIam(clock)
    cache = TokenCache(iam.fetch, clock)
    first = asyncio.ensure_future(cache.get())
    second = asyncio.ensure_future(cache.get())
    await asyncio.sleep(0)
    first.cancel()
    assert (await second).value == "token-1"
    assert iam.calls == 1


def test_token_response_uses_server_lifetime() -> None:
    """Expiry is the server's lifetime added to the local receive time (clock-skew proof)."""
    body = (
        b'{"token": {"issued_at": "2024-01-01T00:00:00.000000Z",'
        b' "expires_at": "2024-01-02T00:00:00.000000Z", "project": {"id": "p9"}}}'
    )
    token = parse_token_response(
        {"X-Subject-Token": "MIIabc"}, body, received_at=5000.0, request_id="r1"
    )
    assert token.lifetime == 86400.0
    assert token.expires_at == 5000.0 + 86400.0
    assert token.project_id == "p9"


@pytest.mark.parametrize(
    ("headers", "body"),
    [({}, b'{"token": {"expires_at": "2024-01-02T00:00:00Z"}}'), ({"X-Subject-Token": "t"}, b"{}")],
)
def test_token_response_without_token_or_expiry(headers: dict[str, str], body: bytes) -> None:
    """A 201 without the header or the expiry is an authentication error, not a crash."""
    with pytest.raises(AuthenticationError, match="without a usable token"):
        parse_token_response(headers, body, received_at=0.0, request_id=None)


def test_parse_timestamp_variants() -> None:
    """IAM timestamps parse with or without fractions and zone."""
    assert parse_timestamp("1970-01-01T00:00:10Z") == 10.0
    assert parse_timestamp("1970-01-01T00:00:10.500000Z") == 10.5
    assert parse_timestamp("1970-01-01T00:00:10") == 10.0
