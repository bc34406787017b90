"""What the client puts on the wire: signed headers, fresh signatures per attempt.

These run against a recording loopback server rather than aioresponses, which cannot build
responses on aiohttp >= 3.14 (pnuckowski/aioresponses#289) and would not show the headers
aiohttp really sends.
"""

from __future__ import annotations

import json
from typing import Any

from aiocloudocr import AkSkCredentials, Client
from aiocloudocr.auth import signer
from tests.fakes import FakeSleep, RecordedRequest, RecordingServer

OK = (200, {"result": {"words_block_count": 0, "words_block_list": []}}, {"X-Request-Id": "r1"})
SK = "SKsecretvalue1234567890"


class SteppingClock:
    """A wall clock that moves forward a minute each time it is read."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 60
        return self.now


def _verify(request: RecordedRequest) -> tuple[str, ...]:
    """Recompute the signature over the request as received; return the signed names."""
    parsed = signer.parse_authorization(request.headers["Authorization"])
    assert parsed is not None
    canonical = signer.canonical_request(
        request.method,
        request.path,
        (),
        request.headers,
        parsed.signed_headers,
        signer.payload_hash(request.body, {}),
    )
    date = request.headers["X-Sdk-Date"]
    assert parsed.signature == signer.signature(SK, signer.string_to_sign(canonical, date))
    return parsed.signed_headers


async def test_signed_headers_cover_project_and_enterprise_headers() -> None:
    """AK/SK requests sign Host, Content-Type, X-Sdk-Date, X-Project-Id, Enterprise-Project-Id."""
    credentials = AkSkCredentials(access_key="AK1", secret_key=SK, security_token="STStoken123")
    async with RecordingServer([OK]) as server:
        client = Client(credentials, endpoint=server.url, project_id="p1",
                        enterprise_project_id="0")  # fmt: skip
        async with client:
            await client.web_image(url="https://example.com/a.jpg")
    (request,) = server.requests
    assert request.path == "/v2/p1/ocr/web-image"
    assert _verify(request) == (
        "content-type", "enterprise-project-id", "host", "x-project-id", "x-sdk-date",
        "x-security-token",
    )  # fmt: skip
    assert request.headers["Host"] == server.url.removeprefix("http://")
    assert request.headers["X-Security-Token"] == "STStoken123"
    assert json.loads(request.body) == {"url": "https://example.com/a.jpg"}


async def test_every_retry_is_signed_afresh() -> None:
    """Each attempt carries a new X-Sdk-Date and a signature valid for it."""
    busy: tuple[int, Any, dict[str, str]] = (
        503,
        {"error_code": "ModelArts.4403", "error_msg": "Backend service unavailable error."},
        {},
    )
    async with RecordingServer([busy, OK]) as server:
        client = Client(
            AkSkCredentials(access_key="AK1", secret_key=SK),
            endpoint=server.url,
            project_id="p1",
            clock=SteppingClock(),
            sleep=FakeSleep(),
        )
        async with client:
            result = await client.web_image(url="https://example.com/a.jpg")
    assert result.meta is not None
    assert result.meta.attempts == 2
    first, second = server.requests
    assert first.headers["X-Sdk-Date"] != second.headers["X-Sdk-Date"]
    assert first.headers["Authorization"] != second.headers["Authorization"]
    _verify(first)
    _verify(second)


async def test_non_ascii_url_is_percent_encoded() -> None:
    """A URL with non-ASCII characters is sent percent-encoded, as the service requires."""
    async with RecordingServer([OK]) as server:
        client = Client(
            AkSkCredentials(access_key="AK1", secret_key=SK), endpoint=server.url, project_id="p1"
        )
        async with client:
            await client.web_image(url="https://example.com/中.jpg")
    (request,) = server.requests
    assert json.loads(request.body) == {"url": "https://example.com/%E4%B8%AD.jpg"}


async def test_project_id_is_escaped_in_the_path() -> None:
    """A project id with reserved characters cannot change the path it is put in."""
    async with RecordingServer([OK]) as server:
        client = Client(
            AkSkCredentials(access_key="AK1", secret_key=SK),
            endpoint=server.url,
            project_id="a/b c",
        )
        async with client:
            await client.web_image(url="https://example.com/a.jpg")
    (request,) = server.requests
    assert request.path == "/v2/a%2Fb%20c/ocr/web-image"
    _verify(request)
