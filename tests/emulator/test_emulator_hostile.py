"""Hostile fault answers over real HTTP: odd Retry-After, raw bodies, bombs, header echoes."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aiocloudocr._images import MB
from aiocloudocr.emulator import EmulatorConfig, Fault, RunningEmulator, run_emulator
from aiocloudocr.emulator._hostile import (
    FILLER_HEAD,
    GZIP_WBITS,
    echo_text,
    filler_chunks,
    gzip_filler,
)
from tests.emulator.emulator_testkit import FakeClock, b64, iam_body, op_path, png, post

BODY = {"image": b64(png())}
THROTTLED = "The throttling threshold has been reached: policy user over ratelimit,"
SECURITY_TOKEN = "gQpjbi1ub3J0aC00hm9I-security-token-secret-" + "s" * 200
AUTHORIZATION = (
    "SDK-HMAC-SHA256 Access=EMULATORAK0000000000, SignedHeaders=host;x-sdk-date, "
    "Signature=" + "ab" * 32
)


@pytest.fixture
async def raw_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A session that leaves Content-Encoding alone, so a test sees the bytes on the wire."""
    async with aiohttp.ClientSession(auto_decompress=False) as client:
        yield client


async def _raw_call(
    running: RunningEmulator,
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    path: str | None = None,
) -> tuple[int, bytes, aiohttp.ClientResponse]:
    url = running.url + (path or op_path("web_image"))
    body = BODY if path is None else iam_body()
    async with session.post(url, json=body, headers=headers) as response:
        return response.status, await response.read(), response


async def _count_gunzipped(response: aiohttp.ClientResponse) -> tuple[int, bytes]:
    # At most 4 MB decompressed at a time: the test never holds the whole bomb.
    inflater = zlib.decompressobj(GZIP_WBITS)
    total, head = 0, b""
    async for piece in response.content.iter_chunked(64 * 1024):
        while piece:
            out = inflater.decompress(piece, 4 * MB)
            head = head or out[:64]
            total += len(out)
            piece = inflater.unconsumed_tail
    total += len(inflater.flush())
    assert inflater.eof
    return total, head


def test_fault_validation() -> None:
    """Hostile fields need a status, exclude each other and refuse header injection."""
    assert Fault(body=b"x").status == 500
    assert Fault(stall=1.0, filler_size=10).status == 500
    assert Fault(stall=1.0).status is None
    with pytest.raises(ValueError, match="at most one"):
        Fault(body=b"x", filler_size=10)
    with pytest.raises(ValueError, match="at most one"):
        Fault(body=b"x", echo_headers="text")
    for needs_status in (
        {"body": b"x", "status": None},
        {"gzip": True, "drop": True},
        {"echo_headers": "json", "drop": True},
        {"content_type": "text/plain", "stall": 1.0, "status": None},
    ):
        with pytest.raises(ValueError, match="need a status"):
            Fault(**needs_status)
    with pytest.raises(ValueError, match="CR or LF"):
        Fault(retry_after="1\r\nSet-Cookie: x=y")
    with pytest.raises(ValueError, match="CR or LF"):
        Fault(content_type="text/plain\n")
    with pytest.raises(ValueError, match="negative"):
        Fault(filler_size=-1)
    with pytest.raises(ValueError, match="negative"):
        Fault(echo_headers="text", echo_offset=-1)
    with pytest.raises(ValueError, match="echo_headers"):
        Fault(echo_headers="xml")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="body"):
        Fault(body="not bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["nan", "inf", "-5", "1e9", "Fri, 31 Dec 9999 23:59:59 GMT", "0", "soon", ""]
)
async def test_retry_after_text_is_verbatim(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str, value: str
) -> None:
    """A text retry_after is sent as the Retry-After header exactly as given."""
    running.inject("web_image", Fault(status=429, code="APIG.0308", retry_after=value))
    status, answer, response = await _raw_call(running, session, {"X-Auth-Token": token})
    assert status == 429
    assert response.headers.getall("Retry-After") == [value]
    assert json.loads(answer)["error_code"] == "APIG.0308"


async def test_retry_after_odd_floats(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """Float retry_after values still go out as ``{:g}``, odd ones included."""
    for seconds, text in [
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (-5.0, "-5"),
        (1e9, "1e+09"),
    ]:
        running.inject("web_image", Fault(status=503, retry_after=seconds))
        _, _, response = await _raw_call(running, session, {"X-Auth-Token": token})
        assert response.headers["Retry-After"] == text


async def test_stated_limits_of_any_value(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """An APIG.0308 fault states any limit verbatim; the rate limiter still states its own."""
    stated = [f"{THROTTLED}limit:0,time:0 second", f"{THROTTLED}limit:5,time:0 minute"]
    async with run_emulator(EmulatorConfig(clock=clock, rate_limit=3)) as running:
        headers = {"X-Auth-Token": running.issue_token()}
        for message in stated:
            running.inject("web_image", Fault(status=429, code="APIG.0308", message=message))
        answers = [await post(session, running.url + op_path("web_image"), BODY, headers)]
        answers.append(await post(session, running.url + op_path("web_image"), BODY, headers))
        assert [(status, body) for status, body, _ in answers] == [
            (429, {"error_code": "APIG.0308", "error_msg": message}) for message in stated
        ]
        status, _, _ = await post(session, running.url + op_path("web_image"), BODY, headers)
        assert status == 200
        status, body, response = await post(
            session, running.url + op_path("web_image"), BODY, headers
        )
        assert status == 429
        assert body == {"error_code": "APIG.0308", "error_msg": f"{THROTTLED}limit:3,time:1 minute"}
        assert response.headers["Retry-After"] == "60"


async def test_raw_nested_body_as_success(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A 200 application/json answer can be 100,000 nested brackets, byte for byte."""
    nested = b"[" * 100_000
    running.inject("web_image", Fault(status=200, body=nested, content_type="application/json"))
    status, answer, response = await _raw_call(running, session, {"X-Auth-Token": token})
    assert status == 200
    assert answer == nested
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == "100000"
    assert response.headers["X-Request-Id"]
    assert running.stats.outcomes[("web_image", 200, None)] == 1


async def test_raw_text_error_body(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """An error can be a non-JSON body of any type; the stats record the fault's code."""
    text = b"upstream connect error or disconnect/reset before headers"
    running.inject(
        "web_image", Fault(status=502, code="APIG.0201", body=text, content_type="text/plain")
    )
    running.inject("web_image", Fault(status=500, body=b"\xff\xfe{not json"))
    status, answer, response = await _raw_call(running, session, {"X-Auth-Token": token})
    assert (status, answer, response.headers["Content-Type"]) == (502, text, "text/plain")
    status, answer, response = await _raw_call(running, session, {"X-Auth-Token": token})
    assert (status, answer, response.headers["Content-Type"]) == (
        500,
        b"\xff\xfe{not json",
        "application/json",
    )
    assert running.stats.outcomes[("web_image", 502, "APIG.0201")] == 1


async def test_gzip_bomb(
    running: RunningEmulator, raw_session: aiohttp.ClientSession, token: str
) -> None:
    """A gzip filler is small on the wire, inflates to exactly its size and is cached."""
    size = 200 * MB
    running.inject("web_image", Fault(status=200, filler_size=size, gzip=True), times=2)
    hits = gzip_filler.cache_info().hits
    for _ in range(2):
        url = running.url + op_path("web_image")
        async with raw_session.post(url, json=BODY, headers={"X-Auth-Token": token}) as response:
            assert response.status == 200
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Content-Type"] == "application/json"
            assert int(response.headers["Content-Length"]) < MB
            total, head = await _count_gunzipped(response)
        assert total == size
        assert head.startswith(FILLER_HEAD + b'{"words":')
    assert gzip_filler.cache_info().hits >= hits + 1


async def test_declared_large_body(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """An uncompressed filler declares its full Content-Length and streams exactly that."""
    size = 50 * MB + 3
    running.inject("web_image", Fault(status=200, filler_size=size))
    url = running.url + op_path("web_image")
    async with session.post(url, json=BODY, headers={"X-Auth-Token": token}) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(size)
        assert "Content-Encoding" not in response.headers
        total, head = 0, b""
        async for piece in response.content.iter_chunked(MB):
            head = head or piece
            total += len(piece)
    assert total == size
    assert head.startswith(FILLER_HEAD)


async def test_client_hanging_up_on_a_large_body(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A client that stops reading part-way leaves the emulator serving."""
    running.inject("web_image", Fault(status=200, filler_size=50 * MB))
    url = running.url + op_path("web_image")
    async with session.post(url, json=BODY, headers={"X-Auth-Token": token}) as response:
        assert await response.content.read(1000)
        response.close()
    status, _, _ = await _raw_call(running, session, {"X-Auth-Token": token})
    assert status == 200


async def test_gzip_error_and_content_type(
    running: RunningEmulator, raw_session: aiohttp.ClientSession, token: str
) -> None:
    """gzip and content_type also apply to the plain error JSON."""
    running.inject("web_image", Fault(status=503, code="ModelArts.4403", gzip=True))
    running.inject("web_image", Fault(status=500, content_type="text/html"))
    status, answer, response = await _raw_call(running, raw_session, {"X-Auth-Token": token})
    assert (status, response.headers["Content-Encoding"]) == (503, "gzip")
    assert json.loads(gzip.decompress(answer)) == {
        "error_code": "ModelArts.4403",
        "error_msg": "Backend service unavailable error.",
    }
    status, answer, response = await _raw_call(running, raw_session, {"X-Auth-Token": token})
    assert (status, response.headers["Content-Type"]) == (500, "text/html")
    assert json.loads(answer) == {"error_code": None, "error_msg": "Internal Server Error."}


def _secrets(token: str) -> dict[str, str]:
    return {
        "Authorization": AUTHORIZATION,
        "X-Security-Token": SECURITY_TOKEN,
        "X-Auth-Token": token,
    }


async def test_echo_headers_in_json(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A JSON echo puts every request header, whole, in error_msg after the lead-in."""
    running.inject("iam", Fault(status=400, code="APIG.0301", echo_headers="json"))
    status, answer, _ = await _raw_call(running, session, _secrets(token), "/v3/auth/tokens")
    assert status == 400
    error = json.loads(answer)
    assert error["error_code"] == "APIG.0301"
    message: str = error["error_msg"]
    assert message[:180] == "Incorrect IAM authentication information. ".ljust(180, ".")
    lines = message[180:].splitlines()
    assert lines[:3] == [
        f"X-Auth-Token: {token}",
        f"Authorization: {AUTHORIZATION}",
        f"X-Security-Token: {SECURITY_TOKEN}",
    ]
    assert any(line.startswith("Host: 127.0.0.1:") for line in lines)
    assert running.stats.outcomes[("iam", 400, "APIG.0301")] == 1


async def test_echo_headers_on_an_operation_without_lead_in(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """An echo offset of 0 starts error_msg with the token line of an authenticated call."""
    running.inject("web_image", Fault(status=500, echo_headers="json", echo_offset=0))
    status, answer, _ = await _raw_call(running, session, {"X-Auth-Token": token})
    assert status == 500
    assert json.loads(answer)["error_msg"].startswith(f"X-Auth-Token: {token}\n")


async def test_echo_headers_in_text_after_filler(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A text echo leaves a secret straddling character 200, so truncating first leaks a prefix."""
    running.inject(
        "iam", Fault(status=502, message="Bad gateway", echo_headers="text", retry_after="1")
    )
    status, answer, response = await _raw_call(running, session, _secrets(token), "/v3/auth/tokens")
    assert status == 502
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Retry-After"] == "1"
    text = answer.decode()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert text[:180] == "Bad gateway ".ljust(180, ".")
    assert text[180:].startswith(f"X-Auth-Token: {token}\nAuthorization: {AUTHORIZATION}\n")
    assert f"X-Security-Token: {SECURITY_TOKEN}\n" in text
    truncated = text[:200]
    assert token[:6] in truncated
    assert token not in truncated


def test_echo_text_layout() -> None:
    """Credentials come first in a fixed order, the rest as sent; the lead-in is exact."""
    headers: list[tuple[str, Any]] = [
        ("Host", "h"),
        ("x-security-token", "s"),
        ("Accept", "*/*"),
        ("AUTHORIZATION", "a"),
        ("X-Auth-Token", "t"),
    ]
    text = echo_text("A message that is longer than ten", headers, 10)
    assert text == (
        "A message X-Auth-Token: t\nAUTHORIZATION: a\nx-security-token: s\nHost: h\nAccept: */*\n"
    )
    assert echo_text("Hi", [], 6) == "Hi ..."


@pytest.mark.parametrize("size", [0, 5, len(FILLER_HEAD) + 1, MB, MB + 7, 3 * MB - 1])
def test_filler_chunks_are_exact(size: int) -> None:
    """Filler comes to exactly the asked size, in chunks of about a megabyte, starting as JSON."""
    chunks = list(filler_chunks(size))
    assert sum(map(len, chunks)) == size
    assert all(len(chunk) <= MB + len(FILLER_HEAD) for chunk in chunks)
    assert b"".join(chunks)[:8] == FILLER_HEAD[: min(size, 8)]
    assert gzip.decompress(gzip_filler(size)) == b"".join(chunks)
