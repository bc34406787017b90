"""Escape hatches over real loopback HTTP: raw calls, per-call headers and body, answer headers."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from aiocloudocr import (
    AkSkCredentials,
    Client,
    ConfigurationError,
    RetryPolicy,
    ThrottledError,
    WebImageRequest,
)
from aiocloudocr.auth import signer
from tests.fakes import FakeSleep, RecordedRequest, RecordingServer, make_png

SK = "SKsecretvalue1234567890"
AKSK = AkSkCredentials(access_key="AK1", secret_key=SK)
Answer = tuple[int, Any, dict[str, str]]
OK: Answer = (
    200,
    {"result": {"words_block_count": 0, "words_block_list": []}},
    {"X-Request-Id": "r1"},
)


def verify(request: RecordedRequest) -> None:
    """The signature checks out over the request as received (query and body rules included)."""
    parsed = signer.parse_authorization(request.headers["Authorization"])
    assert parsed is not None
    url = urlsplit(request.path)
    query = parse_qsl(url.query, keep_blank_values=True)
    canonical = signer.canonical_request(
        request.method,
        url.path,
        query,
        request.headers,
        parsed.signed_headers,
        signer.payload_hash(request.body, request.headers),
    )
    expected = signer.signature(SK, signer.string_to_sign(canonical, request.headers["X-Sdk-Date"]))
    assert parsed.signature == expected


def client_for(server: RecordingServer, **options: Any) -> Client:
    """An AK/SK client for the recording server."""
    return Client(AKSK, endpoint=server.url, project_id="p1", **options)


async def test_answer_headers_reach_meta_without_secrets() -> None:
    """result.meta.headers has the answer's headers, minus cookies, tokens and echoed secrets."""
    headers = {"X-Request-Id": "r1", "X-Custom": "v", "Set-Cookie": "s=1", "X-Echo": f"k={SK}"}
    answer = (200, OK[1], headers)
    async with RecordingServer([answer]) as server, client_for(server) as client:
        result = await client.web_image(make_png(32, 32))
    assert result.meta is not None
    shown = result.meta.headers
    assert shown["x-custom"] == "v" and shown["X-Request-Id"] == "r1"
    assert "Set-Cookie" not in shown
    assert all(SK not in value for value in shown.values())


async def test_per_call_headers_are_sent_and_signed() -> None:
    """headers= on a typed call go on the wire and are covered by the signature."""
    async with RecordingServer([OK]) as server, client_for(server) as client:
        await client.web_image(url="https://example.com/a.jpg", headers={"X-Trace-Id": "t-1"})
    (request,) = server.requests
    assert request.headers["X-Trace-Id"] == "t-1"
    parsed = signer.parse_authorization(request.headers["Authorization"])
    assert parsed is not None and "x-trace-id" in parsed.signed_headers
    verify(request)


@pytest.mark.parametrize("name", ["Authorization", "X-Sdk-Date", "host", "X-Auth-Token"])
async def test_headers_the_client_sets_are_refused(name: str) -> None:
    """A per-call header the client must set itself is refused, and nothing is sent."""
    async with RecordingServer([OK]) as server, client_for(server) as client:
        with pytest.raises(ConfigurationError, match="client sets them"):
            await client.web_image(url="https://example.com/a.jpg", headers={name: "x"})
    assert server.requests == []


async def test_extra_body_is_merged_into_the_json_body() -> None:
    """extra_body adds members the typed request does not know, on typed calls and call()."""
    async with RecordingServer([OK]) as server, client_for(server) as client:
        await client.web_image(make_png(32, 32), extra_body={"new_switch": True})
        await client.call(
            "web-image",
            WebImageRequest(url="https://example.com/a.jpg"),
            extra_body={"detect_font": True, "beta": [1, 2]},
        )
        with pytest.raises(ConfigurationError, match="extra_body cannot set image"):
            await client.web_image(make_png(32, 32), extra_body={"image": "AAAA"})
    first, second = (json.loads(r.body) for r in server.requests)
    assert first["new_switch"] is True and first["image"]
    assert second == {"url": "https://example.com/a.jpg", "detect_font": True, "beta": [1, 2]}


async def test_raw_request_signs_any_path_and_query() -> None:
    """client.request reaches a path outside the table, its query signed as the reference does."""
    answer = (200, {"items": [1, 2]}, {"X-Request-Id": "r9"})
    async with RecordingServer([answer]) as server, client_for(server) as client:
        response = await client.request(
            "ocr", "get", "/v1.0/some path/{project_id}", query={"b": "2", "a": "x/y z", "%z": ""}
        )
    assert response.status == 200 and response.json() == {"items": [1, 2]}
    (request,) = server.requests
    assert request.method == "GET"
    assert urlsplit(request.path).path == "/v1.0/some%20path/p1"
    assert dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True)) == {
        "b": "2", "a": "x/y z", "%z": "",
    }  # fmt: skip
    verify(request)


async def test_raw_request_with_bytes_is_signed_unsigned_payload() -> None:
    """A non-JSON body is signed with X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD."""
    async with RecordingServer([OK]) as server, client_for(server) as client:
        await client.request("image", "POST", "/v1.0/upload", content=b"\x00\x01binary")
    (request,) = server.requests
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.headers["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    verify(request)


async def test_raw_request_is_retried_and_mapped_like_an_operation() -> None:
    """A throttled raw call is retried; one that stays throttled raises ThrottledError."""
    throttled: Answer = (429, {"error_code": "APIG.0308", "error_msg": "too fast"}, {})
    policy = RetryPolicy(max_attempts=2, initial_backoff=0.001, max_backoff=0.001)
    sleep = FakeSleep()
    async with (
        RecordingServer([throttled, OK]) as server,
        client_for(server, retry=policy, sleep=sleep) as client,
    ):
        response = await client.request("ocr", "POST", "/v2/{project_id}/ocr/x", json={"x": 1})
    assert response.status == 200 and len(server.requests) == 2
    async with (
        RecordingServer([throttled]) as server,
        client_for(server, retry=policy, sleep=sleep) as client,
    ):
        with pytest.raises(ThrottledError) as caught:
            await client.request("ocr", "POST", "/v2/p1/ocr/new-thing", json={"x": 1})
    assert caught.value.attempts == 2
    assert caught.value.operation == "POST /v2/p1/ocr/new-thing"


async def test_raw_request_reaches_iam() -> None:
    """The iam service is reachable too (signed, no project header)."""
    answer: Answer = (200, {"projects": [{"id": "p1"}]}, {})
    async with RecordingServer([answer]) as server, client_for(server) as client:
        response = await client.request("iam", "GET", "/v3/projects", query=[("name", "r1")])
    assert response.json()["projects"][0]["id"] == "p1"
    (request,) = server.requests
    assert "X-Project-Id" not in request.headers
    verify(request)


async def test_answer_headers_pickle_without_the_secrets_they_mask() -> None:
    """A pickled result's headers hold the visible values only, never the masking secrets."""
    import pickle

    headers = {"X-Request-Id": "r1", "X-Echo": f"k={SK}"}
    async with RecordingServer([(200, OK[1], headers)]) as server, client_for(server) as client:
        result = await client.web_image(make_png(32, 32))
    assert result.meta is not None
    data = pickle.dumps(result.meta.headers)
    assert SK.encode() not in data
    assert pickle.loads(data)["x-echo"] == "k=***"
