"""Behaviour under load: rate limit, concurrency cap, latency, faults by probability, counters."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import aiohttp
import pytest

from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    EmulatorConfig,
    Fault,
    KeyPair,
    RunningEmulator,
    run_emulator,
)
from aiocloudocr.emulator._load import LoadControl, throttle_message, window_text
from aiocloudocr.errors import ThrottledError
from tests.emulator.emulator_testkit import (
    FakeClock,
    b64,
    op_path,
    png,
    post,
    sdk_date,
    signed_headers,
)

BODY = {"image": b64(png())}
SECOND_PAIR = KeyPair(ak="SECONDAK000000000000", sk="second-secret-key")


async def _call(
    running: RunningEmulator, session: aiohttp.ClientSession, headers: dict[str, str]
) -> tuple[int, Any, aiohttp.ClientResponse]:
    return await post(session, running.url + op_path("web_image"), BODY, headers)


def _signed(
    running: RunningEmulator, clock: FakeClock, pair: KeyPair = DEFAULT_KEY_PAIR
) -> dict[str, str]:
    body = json.dumps(BODY).encode()
    return signed_headers(
        running.url, op_path("web_image"), body, date=sdk_date(clock()), ak=pair.ak, sk=pair.sk
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(60, "1 minute"), (120, "2 minute"), (90, "90 second"), (2, "2 second"), (0.5, "0.5 second"),
     (3600, "1 hour"), (86400, "1 day")],
)  # fmt: skip
def test_window_text(seconds: float, text: str) -> None:
    """The window is stated in the gateway's words, in the largest whole unit."""
    assert window_text(seconds) == text


def test_throttle_message_parses_as_documented() -> None:
    """The message keeps the documented form; the client reads the limit back from it."""
    assert throttle_message(100, 60) == (
        "The throttling threshold has been reached: policy user over ratelimit,limit:100,"
        "time:1 minute"
    )
    error = ThrottledError(throttle_message(3, 2), status=429, code="APIG.0308")
    assert error.rate_limit == (3, 2.0)


async def test_rate_limit_per_user(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """The N+1st call in a window is APIG.0308 (429) with Retry-After; other users are not."""
    config = EmulatorConfig(
        clock=clock, rate_limit=3, rate_window=2, key_pairs=(DEFAULT_KEY_PAIR, SECOND_PAIR)
    )
    async with run_emulator(config) as running:
        token = {"X-Auth-Token": running.issue_token()}
        assert [(await _call(running, session, token))[0] for _ in range(3)] == [200] * 3
        status, answer, response = await _call(running, session, token)
        assert (status, answer) == (
            429,
            {
                "error_code": "APIG.0308",
                "error_msg": "The throttling threshold has been reached: policy user over "
                "ratelimit,limit:3,time:2 second",
            },
        )
        assert response.headers["Retry-After"] == "2"
        # Each access key, and the token user, has a window of its own.
        for pair in (DEFAULT_KEY_PAIR, SECOND_PAIR):
            assert (await _call(running, session, _signed(running, clock, pair)))[0] == 200
        clock.advance(1.5)
        status, _, response = await _call(running, session, token)
        assert (status, response.headers["Retry-After"]) == (429, "1")
        clock.advance(0.5)  # the first three calls leave the sliding window
        assert (await _call(running, session, token))[0] == 200
        stats = running.stats
        assert stats.throttled == 2
        assert stats.outcomes[("web_image", 429, "APIG.0308")] == 2


async def test_rate_limit_counts_only_admitted_calls(
    clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """Refused calls do not extend the window, and failed authentications do not count."""
    async with run_emulator(EmulatorConfig(clock=clock, rate_limit=1, rate_window=60)) as running:
        token = {"X-Auth-Token": running.issue_token()}
        assert (await _call(running, session, {"X-Auth-Token": "MIIforged"}))[0] == 401
        assert (await _call(running, session, token))[0] == 200
        for _ in range(3):
            clock.advance(10)
            status, answer, _ = await _call(running, session, token)
            assert status == 429
            assert answer["error_msg"].endswith("limit:1,time:1 minute")
        clock.advance(30)
        assert (await _call(running, session, token))[0] == 200


async def test_concurrency_cap(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """Beyond max_concurrency calls in flight per user, ModelArts.4401 (429)."""
    config = EmulatorConfig(clock=clock, max_concurrency=2, latency=0.05)
    async with run_emulator(config) as running:
        token = {"X-Auth-Token": running.issue_token()}
        other_user = _signed(running, clock)
        calls = [_call(running, session, token) for _ in range(3)]
        results = await asyncio.gather(*calls, _call(running, session, other_user))
        statuses = sorted(status for status, _, _ in results[:3])
        assert statuses == [200, 200, 429]
        refused = next(answer for status, answer, _ in results if status == 429)
        assert refused == {"error_code": "ModelArts.4401", "error_msg": "Max concurrency error."}
        assert results[3][0] == 200
        assert running.stats.concurrency_rejected == 1
        # The slots are free again once the calls are done.
        assert (await _call(running, session, token))[0] == 200


async def test_fixed_latency(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """A fixed latency delays every call by at least that long."""
    async with run_emulator(EmulatorConfig(clock=clock, latency=0.04)) as running:
        token = {"X-Auth-Token": running.issue_token()}
        started = time.monotonic()
        assert (await _call(running, session, token))[0] == 200
        assert time.monotonic() - started >= 0.04


def test_latency_range_is_seeded() -> None:
    """A (low, high) latency draws uniformly in the range, the same way for the same seed."""
    config = EmulatorConfig(latency=(0.1, 0.3), seed=7)
    first, second = LoadControl(config), LoadControl(config)
    a = [first.latency() for _ in range(200)]
    assert a == [second.latency() for _ in range(200)]
    assert all(0.1 <= value <= 0.3 for value in a)
    assert min(a) < 0.12 and max(a) > 0.28
    other = LoadControl(EmulatorConfig(latency=(0.1, 0.3), seed=8))
    assert [other.latency() for _ in range(200)] != a


@pytest.mark.parametrize("latency", [-1.0, (0.3, 0.1), (-0.1, 0.2), float("nan")])
def test_bad_latency_is_refused(latency: Any) -> None:
    """Negative or reversed latencies are configuration errors."""
    with pytest.raises(ValueError, match="latency"):
        EmulatorConfig(latency=latency)


def test_fault_dice_follow_the_rates() -> None:
    """Over many calls each kind occurs at about its configured rate; seeded, repeatable."""
    config = EmulatorConfig(fault_rate=0.2, fault_rates={"drop": 0.1, "stall": 0.05}, seed=3)
    rolls = 20000

    def tally(control: LoadControl) -> Counter[str | None]:
        return Counter(
            None if (hit := control.roll_fault()) is None else hit[0] for _ in range(rolls)
        )

    counts = tally(LoadControl(config))
    assert counts == tally(LoadControl(config))
    expected = {"5xx": 0.05, "ModelArts.4402": 0.05, "ModelArts.4403": 0.05,
                "ModelArts.4502": 0.05, "drop": 0.1, "stall": 0.05, None: 0.65}  # fmt: skip
    for kind, rate in expected.items():
        assert abs(counts[kind] / rolls - rate) < 0.015, kind


@pytest.mark.parametrize(
    ("rates", "message"),
    [({"bogus": 0.1}, "unknown fault kind"), ({"drop": 1.5}, "in \\[0, 1\\]"),
     ({"drop": 0.6, "5xx": 0.5}, "more than 1")],
)  # fmt: skip
def test_bad_fault_rates_are_refused(rates: dict[str, float], message: str) -> None:
    """Unknown kinds, rates outside [0, 1] and totals above 1 are configuration errors."""
    with pytest.raises(ValueError, match=message):
        EmulatorConfig(fault_rates=rates)


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("5xx", 500, "ModelArts.4505"), ("ModelArts.4402", 504, "ModelArts.4402"),
     ("ModelArts.4403", 503, "ModelArts.4403"), ("ModelArts.4502", 502, "ModelArts.4502"),
     ("ModelArts.4503", 500, "ModelArts.4503")],
)  # fmt: skip
async def test_error_fault_at_probability_one(
    clock: FakeClock, session: aiohttp.ClientSession, kind: str, status: int, code: str
) -> None:
    """At probability 1 every call gets the kind's status and documented code."""
    async with run_emulator(EmulatorConfig(clock=clock, fault_rates={kind: 1.0})) as running:
        token = {"X-Auth-Token": running.issue_token()}
        for _ in range(3):
            got, answer, _ = await _call(running, session, token)
            assert (got, answer["error_code"]) == (status, code)
            assert answer["error_msg"]
        assert running.stats.faults[kind] == 3


async def test_drop_at_probability_one(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """A dropped call gets no HTTP answer at all."""
    async with run_emulator(EmulatorConfig(clock=clock, fault_rates={"drop": 1.0})) as running:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await _call(running, session, {"X-Auth-Token": running.issue_token()})
        assert running.stats.faults["drop"] == 1


async def test_stall_outlasts_a_client_timeout(
    clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """A stall holds the call for ``stall`` seconds: a client with a shorter timeout gives up."""
    config = EmulatorConfig(clock=clock, fault_rates={"stall": 1.0}, stall=5.0)
    async with run_emulator(config) as running:
        token = {"X-Auth-Token": running.issue_token()}
        url = running.url + op_path("web_image")
        timeout = aiohttp.ClientTimeout(total=0.05)
        with pytest.raises(asyncio.TimeoutError):
            await session.post(url, json=BODY, headers=token, timeout=timeout)
    short = EmulatorConfig(clock=clock, fault_rates={"stall": 1.0}, stall=0.03)
    async with run_emulator(short) as running:
        started = time.monotonic()
        status, _, _ = await _call(running, session, {"X-Auth-Token": running.issue_token()})
        assert status == 200 and time.monotonic() - started >= 0.03


async def test_no_faults_at_probability_zero(
    clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """At probability 0 nothing fails."""
    config = EmulatorConfig(clock=clock, fault_rate=0.0, fault_rates={"drop": 0.0})
    async with run_emulator(config) as running:
        token = {"X-Auth-Token": running.issue_token()}
        statuses = [(await _call(running, session, token))[0] for _ in range(20)]
        assert statuses == [200] * 20
        assert not running.stats.faults


async def test_fault_rate_over_many_calls(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """With fault_rate 0.3 about 30 % of 150 calls fail, the same ones for the same seed."""
    outcomes = []
    for _ in range(2):
        async with run_emulator(EmulatorConfig(clock=clock, fault_rate=0.3, seed=11)) as running:
            token = {"X-Auth-Token": running.issue_token()}
            outcomes.append([(await _call(running, session, token))[0] for _ in range(150)])
    assert outcomes[0] == outcomes[1]
    failed = sum(status != 200 for status in outcomes[0])
    assert 0.2 * 150 <= failed <= 0.4 * 150
    assert set(outcomes[0]) <= {200, 500, 502, 503, 504}


async def test_scripted_faults_come_before_the_dice(
    clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """An injected fault is served first and counted as "scripted"."""
    async with run_emulator(EmulatorConfig(clock=clock, fault_rates={"5xx": 1.0})) as running:
        running.inject("web_image", Fault(status=503, code="ModelArts.4403"))
        token = {"X-Auth-Token": running.issue_token()}
        assert (await _call(running, session, token))[0] == 503
        assert (await _call(running, session, token))[0] == 500
        assert running.stats.faults == {"scripted": 1, "5xx": 1}


async def test_stats_and_reset(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """The counters are served over HTTP and reset in-process or by POST."""
    await _call(running, session, {"X-Auth-Token": token})
    served = running.stats.as_dict()
    assert served["requests"] == {"web_image": 1}
    assert {"throttled", "concurrency_rejected", "faults", "tokens_issued"} <= set(served)
    running.reset_stats()
    assert running.stats.requests == {} and running.stats.tokens_issued == 0
    await _call(running, session, {"X-Auth-Token": token})
    async with session.post(running.url + "/_emulator/stats/reset") as response:
        assert response.status == 200
        assert (await response.json())["requests"] == {}
    assert running.stats.outcomes == {}
    assert (await _call(running, session, {"X-Auth-Token": token}))[0] == 200


async def test_zero_length_stall_answers_normally(
    clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """A stall of 0 seconds is no error at all."""
    config = EmulatorConfig(clock=clock, fault_rates={"stall": 1.0}, stall=0)
    async with run_emulator(config) as running:
        status, _, _ = await _call(running, session, {"X-Auth-Token": running.issue_token()})
        assert status == 200
        assert running.stats.faults["stall"] == 1
