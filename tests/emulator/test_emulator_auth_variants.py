"""Token header errors, and requests from other correct SDK-HMAC-SHA256 signers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from multidict import CIMultiDict
from yarl import URL

from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, RunningEmulator
from aiocloudocr.emulator._auth import SIGNATURE_FAIL
from tests.emulator.emulator_testkit import (
    FakeClock,
    b64,
    op_path,
    other_sign,
    png,
    post_web_image,
    sdk_date,
)

PREFIX = "Incorrect IAM authentication information: "
BODY = ('{"image": "' + b64(png()) + '"}').encode()


@pytest.mark.parametrize(
    ("headers", "code", "message"),
    [
        ({"X-Auth-Token": ""}, "ModelArts.4101", "Token header cannot be empty."),
        ({"X-Auth-Token": "Bearer MIIabc"}, "ModelArts.4102", "Parse Token error."),
        ({"X-Auth-Token": "MII abc"}, "ModelArts.4102", "Parse Token error."),
    ],
)
async def test_malformed_token_headers(
    running: RunningEmulator,
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    code: str,
    message: str,
) -> None:
    """An empty token is missing (4101); one that cannot be a token does not parse (4102)."""
    status, answer = await post_web_image(running, session, headers)
    assert (status, answer) == (401, {"error_code": code, "error_msg": message})


async def test_two_token_headers(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """Two X-Auth-Token headers are an invalid token header (ModelArts.4103)."""
    headers = CIMultiDict([("X-Auth-Token", token), ("X-Auth-Token", token)])
    url = running.url + op_path("web_image")
    async with session.post(url, data=BODY, headers=headers) as response:
        assert response.status == 401
        assert await response.json() == {
            "error_code": "ModelArts.4103",
            "error_msg": "Invalid Token header.",
        }


async def test_revoked_token(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """A revoked token is an invalid token (ModelArts.0203); new ones work."""
    running.revoke_tokens()
    status, answer = await post_web_image(running, session, {"X-Auth-Token": token})
    assert (status, answer) == (
        401,
        {"error_code": "ModelArts.0203", "error_msg": "Invalid token."},
    )
    status, _ = await post_web_image(running, session, {"X-Auth-Token": running.issue_token()})
    assert status == 200


def _base(running: RunningEmulator, clock: FakeClock) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Host": URL(running.url).raw_authority,
        "X-Sdk-Date": sdk_date(clock()),
    }


SIGNER_VARIANTS: dict[str, Any] = {
    "lower-case header names": lambda h: {k.lower(): v for k, v in h.items()},
    "json with charset": lambda h: {**h, "Content-Type": "application/json;charset=utf-8"},
    "project id and security token": lambda h: {
        **h,
        "X-Project-Id": DEFAULT_PROJECT_ID,
        "X-Security-Token": "temporary-token-text",
    },
    "content length and user agent": lambda h: {
        **h,
        "Content-Length": str(len(BODY)),
        "User-Agent": "other-sdk/1.0",
    },
    "padded header values": lambda h: {**h, "X-Custom": "  spaced value  "},
}


@pytest.mark.parametrize("variant", list(SIGNER_VARIANTS))
async def test_other_signers_are_accepted(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock, variant: str
) -> None:
    """Requests signed by an independent signer over other header sets are accepted."""
    headers = SIGNER_VARIANTS[variant](_base(running, clock))
    path = op_path("web_image")
    headers["Authorization"] = other_sign(method="POST", path=path, headers=headers, body=BODY)
    status, answer = await post_web_image(running, session, headers)
    assert status == 200, answer


async def test_signing_a_subset_of_the_headers(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Only the listed headers are covered: unsigned extras may change, signed ones may not."""
    headers = {**_base(running, clock), "X-Extra": "one"}
    path = op_path("web_image")
    signed = ["host", "x-sdk-date", "content-type"]
    headers["Authorization"] = other_sign(
        method="POST", path=path, headers=headers, body=BODY, signed=signed
    )
    status, _ = await post_web_image(running, session, {**headers, "X-Extra": "two"})
    assert status == 200
    status, answer = await post_web_image(
        running, session, {**headers, "Content-Type": "text/plain"}
    )
    assert (status, answer["error_code"]) == (401, "APIG.0301")


async def test_other_signer_query_and_escapes(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A query with repeated keys and escapes verifies as sent."""
    query = [("z", "last"), ("a", "x y/z"), ("a", "1"), ("k~", "~v")]
    headers = _base(running, clock)
    path = op_path("web_image")
    headers["Authorization"] = other_sign(
        method="POST", path=path, headers=headers, body=BODY, query=query
    )
    url = running.url + path + "?" + urlencode(query, quote_via=quote)
    async with session.post(URL(url, encoded=True), data=BODY, headers=headers) as response:
        assert response.status == 200, await response.text()


async def test_unsigned_payload(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """With X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD the body is not part of the signature."""
    headers = {**_base(running, clock), "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}
    path = op_path("web_image")
    headers["Authorization"] = other_sign(method="POST", path=path, headers=headers, body=b"")
    status, _ = await post_web_image(running, session, headers)
    assert status == 200


@pytest.mark.parametrize(
    "change",
    ["body", "path", "date", "secret"],
)
async def test_other_signer_tampering_fails(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock, change: str
) -> None:
    """Changing the body, path or date after signing, or the wrong secret, fails (APIG.0301)."""
    headers = _base(running, clock)
    path = op_path("web_image")
    secret = "not-the-secret" if change == "secret" else DEFAULT_KEY_PAIR.sk
    signed_path = op_path("passport") if change == "path" else path
    headers["Authorization"] = other_sign(
        method="POST", path=signed_path, headers=headers, body=BODY, sk=secret
    )
    if change == "date":
        headers["X-Sdk-Date"] = sdk_date(clock() + 1)
    body = BODY + b" " if change == "body" else BODY
    status, answer = await post_web_image(running, session, headers, body=body)
    assert (status, answer["error_msg"]) == (401, PREFIX + SIGNATURE_FAIL)


async def test_project_header_on_v1_paths(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Paths without a project take X-Project-Id; an unknown one is ModelArts.4203."""
    path = op_path("image_tagging_v1")
    for project, expected in [(DEFAULT_PROJECT_ID, 200), ("e" * 32, 403)]:
        headers = {**_base(running, clock), "X-Project-Id": project}
        headers["Authorization"] = other_sign(method="POST", path=path, headers=headers, body=BODY)
        status, _ = await post_web_image(running, session, headers, path=path)
        assert status == expected
