"""How the emulator authenticates API calls: tokens and SDK-HMAC-SHA256 signatures."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from yarl import URL

from aiocloudocr.auth import signer
from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    EmulatorConfig,
    RunningEmulator,
    run_emulator,
)
from tests.emulator.emulator_testkit import (
    FakeClock,
    b64,
    iam_body,
    op_path,
    png,
    post,
    post_web_image,
    sdk_date,
    signed_headers,
)

PREFIX = "Incorrect IAM authentication information: "
BODY = json.dumps({"image": b64(png())}).encode()


async def test_issued_token_is_accepted(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """A token from the IAM endpoint authenticates an API call."""
    _, _, response = await post(session, running.url + "/v3/auth/tokens", iam_body())
    token = response.headers["X-Subject-Token"]
    status, answer = await post_web_image(running, session, {"X-Auth-Token": token})
    assert status == 200
    assert "result" in answer


async def test_unknown_token_is_rejected(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """A token the emulator never issued fails with APIG.0301 decrypt token fail."""
    status, answer = await post_web_image(running, session, {"X-Auth-Token": "MIIforged"})
    assert status == 401
    assert answer == {"error_code": "APIG.0301", "error_msg": PREFIX + "decrypt token fail"}


async def test_token_expires_by_clock(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str, clock: FakeClock
) -> None:
    """A token is valid until token_ttl has passed on the emulator's clock."""
    clock.advance(86400.0 - 1)
    status, _ = await post_web_image(running, session, {"X-Auth-Token": token})
    assert status == 200
    clock.advance(1)
    status, answer = await post_web_image(running, session, {"X-Auth-Token": token})
    assert status == 401
    assert answer == {"error_code": "APIG.0301", "error_msg": PREFIX + "token expires"}


async def test_expire_tokens(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """expire_tokens() makes every issued token expired at once."""
    running.expire_tokens()
    status, answer = await post_web_image(running, session, {"X-Auth-Token": token})
    assert (status, answer["error_msg"]) == (401, PREFIX + "token expires")
    fresh = running.issue_token()
    status, _ = await post_web_image(running, session, {"X-Auth-Token": fresh})
    assert status == 200


async def test_no_credentials(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """A call with neither token nor signature gets ModelArts.4101."""
    status, answer = await post_web_image(running, session, {})
    assert status == 401
    assert answer == {"error_code": "ModelArts.4101", "error_msg": "Token header cannot be empty."}


async def test_token_for_another_project_is_403(
    clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """A token used on a project other than its own gets ModelArts.4203."""
    other = "f" * 32
    config = EmulatorConfig(clock=clock, project_ids=(other,))
    async with run_emulator(config) as running:
        token = running.issue_token()
        path = op_path("web_image", other)
        status, answer = await post_web_image(running, session, {"X-Auth-Token": token}, path=path)
        assert status == 403
        assert answer == {
            "error_code": "ModelArts.4203",
            "error_msg": "Access denied! You do not have permission.",
        }
        # A key pair is not bound to a project: any accepted project id works.
        headers = signed_headers(running.url, path, BODY, date=sdk_date(clock()))
        status, _ = await post_web_image(running, session, headers, path=path)
        assert status == 200


async def test_unknown_project_is_403_for_signed_calls(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A signed call to a project id the emulator does not know gets ModelArts.4203."""
    path = op_path("web_image", "a" * 32)
    headers = signed_headers(running.url, path, BODY, date=sdk_date(clock()))
    status, answer = await post_web_image(running, session, headers, path=path)
    assert (status, answer["error_code"]) == (403, "ModelArts.4203")


async def test_signed_request_is_accepted(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A request signed over exactly the headers it sends (Host with port) is accepted."""
    path = op_path("web_image")
    headers = signed_headers(running.url, path, BODY, date=sdk_date(clock()))
    status, answer = await post_web_image(running, session, headers)
    assert status == 200
    assert answer["result"]["words_block_count"] >= 1


async def test_signed_request_with_query_is_accepted(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """The query string is verified from the raw request, escapes included."""
    path = op_path("web_image")
    query = [("b", "2"), ("a", "x/y z"), ("b", "1")]
    headers = signed_headers(running.url, path, BODY, date=sdk_date(clock()), query=query)
    url = running.url + path + "?" + urlencode(query, quote_via=quote)
    async with session.post(URL(url, encoded=True), data=BODY, headers=headers) as r:
        assert r.status == 200


async def test_tampered_body_is_rejected(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A body changed after signing fails the signature check."""
    path = op_path("web_image")
    headers = signed_headers(running.url, path, BODY, date=sdk_date(clock()))
    tampered = BODY.replace(b'"image"', b'"image" ')
    status, answer = await post_web_image(running, session, headers, body=tampered)
    assert status == 401
    assert answer == {
        "error_code": "APIG.0301",
        "error_msg": PREFIX + "verify aksk signature fail",
    }


async def test_unknown_access_key_is_rejected(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A key pair the emulator was not configured with is refused."""
    path = op_path("web_image")
    headers = signed_headers(
        running.url, path, BODY, date=sdk_date(clock()), ak="AKUNKNOWN", sk="whatever"
    )
    status, answer = await post_web_image(running, session, headers)
    assert (status, answer["error_msg"]) == (401, PREFIX + "verify aksk signature fail")


@pytest.mark.parametrize("offset", [901.0, -901.0])
async def test_skewed_date_is_rejected(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock, offset: float
) -> None:
    """An X-Sdk-Date more than max_clock_skew away from the clock is refused."""
    path = op_path("web_image")
    headers = signed_headers(running.url, path, BODY, date=sdk_date(clock() + offset))
    status, answer = await post_web_image(running, session, headers)
    assert (status, answer["error_code"]) == (401, "APIG.0301")
    assert "X-Sdk-Date" in answer["error_msg"]
    within = signed_headers(running.url, path, BODY, date=sdk_date(clock() + offset * 0.99))
    status, _ = await post_web_image(running, session, within)
    assert status == 200


@pytest.mark.parametrize("date", ["", "2024-01-01T00:00:00Z", "20241301T000000Z"])
async def test_malformed_date_is_rejected(
    running: RunningEmulator, session: aiohttp.ClientSession, date: str
) -> None:
    """A missing or malformed X-Sdk-Date is refused with APIG.0301."""
    path = op_path("web_image")
    headers = signed_headers(running.url, path, BODY, date=date)
    if not date:
        del headers["X-Sdk-Date"]
    status, answer = await post_web_image(running, session, headers)
    assert (status, answer["error_code"]) == (401, "APIG.0301")
    assert "X-Sdk-Date" in answer["error_msg"]


async def test_unsigned_host_is_rejected(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A signature that does not cover Host is refused even if it is otherwise right."""
    path = op_path("web_image")
    headers = {"Content-Type": "application/json", "X-Sdk-Date": sdk_date(clock())}
    headers["Authorization"] = signer.sign(
        method="POST",
        path=path,
        headers=headers,
        body=BODY,
        access_key=DEFAULT_KEY_PAIR.ak,
        secret_key=DEFAULT_KEY_PAIR.sk,
    )
    status, answer = await post_web_image(running, session, headers)
    assert (status, answer["error_code"]) == (401, "APIG.0301")
    assert "Host" in answer["error_msg"]
