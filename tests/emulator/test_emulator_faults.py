"""Scripted faults and the emulator's statistics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from aiocloudocr.emulator import EmulatorConfig, Fault, RunningEmulator, run_emulator
from tests.emulator.emulator_testkit import FakeClock, b64, iam_body, op_path, png, post

BODY = {"image": b64(png())}


async def _web_image(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> tuple[int, Any, aiohttp.ClientResponse]:
    url = running.url + op_path("web_image")
    return await post(session, url, BODY, {"X-Auth-Token": token})


def test_fault_defaults() -> None:
    """Fault() is a 500; a stall alone answers normally; a code or drop keeps the 500."""
    assert Fault().status == 500
    assert Fault(stall=1.0).status is None
    assert not Fault(stall=1.0).is_error
    assert Fault(stall=1.0, code="ModelArts.4402").status == 500
    assert Fault(stall=1.0, status=503).status == 503
    assert Fault(drop=True).is_error
    with pytest.raises(ValueError, match="stall"):
        Fault(stall=-1)


async def test_error_fault_with_retry_after(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """An error fault answers its status, code, documented message and Retry-After once."""
    running.inject("web_image", Fault(status=429, code="APIG.0308", retry_after=2))
    status, answer, response = await _web_image(running, session, token)
    assert status == 429
    assert answer["error_code"] == "APIG.0308"
    assert answer["error_msg"].startswith("The throttling threshold has been reached")
    assert response.headers["Retry-After"] == "2"
    assert response.headers["X-Request-Id"]
    status, _, response = await _web_image(running, session, token)
    assert status == 200
    assert "Retry-After" not in response.headers
    assert running.stats.outcomes[("web_image", 429, "APIG.0308")] == 1


async def test_faults_are_fifo_and_counted(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """Queued faults are consumed in order, ``times`` requests each."""
    running.inject("web_image", Fault(status=503, code="ModelArts.4403"), times=2)
    running.inject("web_image", Fault(message="custom words", retry_after=0.25))
    seen = [await _web_image(running, session, token) for _ in range(4)]
    assert [status for status, _, _ in seen] == [503, 503, 500, 200]
    assert seen[0][1] == {
        "error_code": "ModelArts.4403",
        "error_msg": "Backend service unavailable error.",
    }
    assert seen[2][1] == {"error_code": None, "error_msg": "custom words"}
    assert seen[2][2].headers["Retry-After"] == "0.25"


async def test_fault_skipped_by_failed_auth(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A request that fails authentication does not consume the queued fault."""
    running.inject("web_image", Fault(status=500))
    status, _, _ = await _web_image(running, session, "MIIforged")
    assert status == 401
    status, _, _ = await _web_image(running, session, token)
    assert status == 500


async def test_drop_fault(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A drop closes the connection without an HTTP response."""
    running.inject("web_image", Fault(drop=True))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await _web_image(running, session, token)
    status, _, _ = await _web_image(running, session, token)
    assert status == 200
    assert running.stats.outcomes[("web_image", 0, None)] == 1


async def test_stall_fault(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A stall alone delays a normal answer; with a status it delays the error."""
    running.inject("web_image", Fault(stall=0.03))
    running.inject("web_image", Fault(stall=0.03, status=504, code="APIG.0201"))
    started = time.monotonic()
    status, answer, _ = await _web_image(running, session, token)
    assert status == 200
    assert "result" in answer
    status, answer, _ = await _web_image(running, session, token)
    assert time.monotonic() - started >= 0.06
    assert (status, answer["error_msg"]) == (504, "Backend timeout.")


async def test_iam_fault(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """Faults injected for "iam" hit the token endpoint."""
    running.inject("iam", Fault(status=503))
    status, answer, _ = await post(session, running.url + "/v3/auth/tokens", iam_body())
    assert status == 503
    assert answer == {"error_code": None, "error_msg": "Service Unavailable."}
    status, _, _ = await post(session, running.url + "/v3/auth/tokens", iam_body())
    assert status == 201
    assert running.stats.requests["iam"] == 2
    assert running.stats.outcomes[("iam", 503, None)] == 1


def test_inject_rejects_unknown_operation(running: RunningEmulator) -> None:
    """inject() names operations from the table (or "iam") and at least one request."""
    with pytest.raises(ValueError, match="unknown operation"):
        running.inject("no_such_op", Fault())
    with pytest.raises(ValueError, match="times"):
        running.inject("web_image", Fault(), times=0)


async def test_max_in_flight_and_latency(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """Concurrent requests are counted in flight for the whole handler, latency included."""
    async with run_emulator(EmulatorConfig(clock=clock, latency=0.05)) as running:
        token = running.issue_token()
        results = await asyncio.gather(*(_web_image(running, session, token) for _ in range(6)))
        assert [status for status, _, _ in results] == [200] * 6
        stats = running.stats
        assert stats.max_in_flight == 6
        assert stats.in_flight == 0
        assert stats.requests["web_image"] == 6
        assert stats.outcomes[("web_image", 200, None)] == 6
        assert stats.tokens_issued == 1


async def test_stats_endpoint(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """GET /_emulator/stats serves as_dict() without authentication."""
    await _web_image(running, session, token)
    await _web_image(running, session, "MIIforged")
    async with session.get(running.url + "/_emulator/stats") as response:
        assert response.status == 200
        served = await response.json()
    assert served == running.stats.as_dict()
    assert served["requests"] == {"web_image": 2}
    assert {"operation": "web_image", "status": 401, "error_code": "APIG.0301", "count": 1} in (
        served["outcomes"]
    )


async def test_stats_are_per_emulator(session: aiohttp.ClientSession) -> None:
    """Two emulators keep separate counters."""
    async with run_emulator() as first, run_emulator() as second:
        await _web_image(first, session, first.issue_token())
        assert first.stats.requests["web_image"] == 1
        assert second.stats.requests["web_image"] == 0
        assert second.stats.tokens_issued == 0
