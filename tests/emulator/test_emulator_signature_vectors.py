"""The emulator's signature check against the reference signer's vectors, and over the wire."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import aiohttp
import pytest
from yarl import URL

from aiocloudocr.auth import signer
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, RunningEmulator
from aiocloudocr.emulator._auth import parse_sdk_date, received_query, verify_signature
from aiocloudocr.emulator._errors import ApiError
from tests.emulator.emulator_testkit import (
    FakeClock,
    b64,
    multipart,
    op_path,
    png,
    post_raw,
    sdk_date,
)

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "vectors" / "aksk_signing.json").read_text()
)
IDS = [vector["name"] for vector in VECTORS]


def _canonical_lines(vector: dict[str, Any]) -> list[str]:
    return str(vector["canonical_request"]).split("\n")


def _added_by_reference(vector: dict[str, Any]) -> dict[str, str]:
    """Signed headers the reference added itself (X-Sdk-Content-Sha256), from the canonical."""
    lines = _canonical_lines(vector)
    blank = lines.index("", 3)  # the header block starts on line 3 and ends with a blank line
    values = dict(line.split(":", 1) for line in lines[3:blank])
    present = {name.lower() for name in vector["headers"]} | {"host"}
    return {name: values[name] for name in lines[blank + 1].split(";") if name not in present}


def _signed_names(vector: dict[str, Any]) -> tuple[str, ...]:
    parsed = signer.parse_authorization(vector["authorization"])
    assert parsed is not None
    return parsed.signed_headers


def _request(
    vector: dict[str, Any],
    *,
    quote_via: Callable[..., str] = quote,
    reverse: bool = False,
) -> dict[str, Any]:
    """The request the reference sent for ``vector``, as the verifier receives it."""
    raw_path = quote(vector["path"])
    pairs = [(key, value) for key, value in vector["query"]]
    if pairs:
        raw_path += "?" + urlencode(pairs[::-1] if reverse else pairs, quote_via=quote_via)
    headers = {
        **vector["headers"],
        "Host": vector["host"],
        **_added_by_reference(vector),
        "Authorization": vector["authorization"],
    }
    return {
        "method": vector["method"],
        "raw_path": raw_path,
        "headers": headers,
        "body": base64.b64decode(vector["body_b64"]),
    }


def _verify(vector: dict[str, Any], request: dict[str, Any]) -> str:
    now = parse_sdk_date(vector["headers"]["X-Sdk-Date"])
    assert now is not None
    keys = {vector["ak"]: vector["sk"]}
    return verify_signature(**request, secret_key=keys.get, now=now, max_skew=900.0)


def _assert_rejected(vector: dict[str, Any], request: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as caught:
        _verify(vector, request)
    assert caught.value.code == "APIG.0301"


def _flip(value: str) -> str:
    """``value`` with one character changed (the second-to-last, so a date stays valid)."""
    index = max(len(value) - 2, 0)
    return value[:index] + chr(ord(value[index]) ^ 1) + value[index + 1 :]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_query_decodes_to_its_pairs(vector: dict[str, Any]) -> None:
    """The received query string decodes back to the vector's raw pairs, in order."""
    _, _, query = _request(vector)["raw_path"].partition("?")
    assert received_query(query) == [(key, value) for key, value in vector["query"]]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_verifies(vector: dict[str, Any]) -> None:
    """Each reference vector verifies as the reference sent it."""
    assert _verify(vector, _request(vector)) == vector["ak"]


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["query"]], ids=lambda v: v["name"])
def test_vector_verifies_whatever_the_query_order_and_encoding(vector: dict[str, Any]) -> None:
    """Query pairs count as decoded, in any order and with ``+`` or ``%20`` for a space."""
    assert _verify(vector, _request(vector, reverse=True)) == vector["ak"]
    assert _verify(vector, _request(vector, quote_via=quote_plus, reverse=True)) == vector["ak"]


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["query"]], ids=lambda v: v["name"])
def test_changed_query_fails(vector: dict[str, Any]) -> None:
    """A query value changed after signing fails the check."""
    request = _request(vector)
    request["raw_path"] += "&extra=1"
    _assert_rejected(vector, request)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_unsigned_extra_headers_do_not_matter(vector: dict[str, Any]) -> None:
    """Headers the client library adds after signing are not part of the check."""
    request = _request(vector)
    request["headers"] |= {"User-Agent": "aiohttp", "Accept-Encoding": "gzip", "Accept": "*/*"}
    assert _verify(vector, request) == vector["ak"]


@pytest.mark.parametrize(
    ("vector", "name"),
    [(vector, name) for vector in VECTORS for name in _signed_names(vector)],
    ids=[f"{vector['name']}-{name}" for vector in VECTORS for name in _signed_names(vector)],
)
def test_flipped_signed_header_fails(vector: dict[str, Any], name: str) -> None:
    """Changing one byte of any signed header's value fails the check."""
    request = _request(vector)
    headers = request["headers"]
    (key,) = [key for key in headers if key.lower() == name]
    headers[key] = _flip(headers[key])
    _assert_rejected(vector, request)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_flipped_signature_fails(vector: dict[str, Any]) -> None:
    """Changing one hex digit of the signature fails the check."""
    request = _request(vector)
    request["headers"]["Authorization"] = _flip(vector["authorization"])
    _assert_rejected(vector, request)


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["body_b64"]], ids=lambda v: v["name"])
def test_flipped_body(vector: dict[str, Any]) -> None:
    """A changed body fails when its hash was signed, and passes under UNSIGNED-PAYLOAD."""
    request = _request(vector)
    body = bytearray(request["body"])
    body[0] ^= 1
    request["body"] = bytes(body)
    if _canonical_lines(vector)[-1] == signer.UNSIGNED_PAYLOAD:
        assert _verify(vector, request) == vector["ak"]
    else:
        _assert_rejected(vector, request)


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if not v["body_b64"]], ids=lambda v: v["name"]
)
def test_body_added_to_an_empty_request_fails(vector: dict[str, Any]) -> None:
    """A body added to a request signed without one fails, UNSIGNED-PAYLOAD or not."""
    request = _request(vector)
    request["body"] = b"x"
    _assert_rejected(vector, request)


async def test_multipart_signed_by_sign_headers_is_accepted(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A multipart upload signed with sign_headers verifies; dropping its added header fails."""
    body, content_type = multipart({"gamma": "1.5"}, png())
    path = op_path("defog")
    headers = {
        "Content-Type": content_type,
        "Host": URL(running.url).raw_authority,
        "X-Sdk-Date": sdk_date(clock()),
    }
    added = signer.sign_headers(
        method="POST",
        path=path,
        headers=headers,
        body=body,
        access_key=DEFAULT_KEY_PAIR.ak,
        secret_key=DEFAULT_KEY_PAIR.sk,
    )
    assert added[signer.CONTENT_SHA256_HEADER] == signer.UNSIGNED_PAYLOAD
    status, data, _ = await post_raw(session, running.url + path, body, headers | added)
    assert status == 200, data
    del added[signer.CONTENT_SHA256_HEADER]
    status, data, _ = await post_raw(session, running.url + path, body, headers | added)
    assert status == 401
    assert b"APIG.0301" in data


async def test_query_signed_by_sign_headers_is_accepted_in_any_order(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A query whose raw and escaped orders differ verifies when sent in another order."""
    query = [("a", "1"), ("{", "2"), ("%z", "3"), ("Z", "")]
    path = op_path("web_image")
    body = json.dumps({"image": b64(png())}).encode()
    headers = {
        "Content-Type": "application/json",
        "Host": URL(running.url).raw_authority,
        "X-Sdk-Date": sdk_date(clock()),
    }
    added = signer.sign_headers(
        method="POST",
        path=path,
        query=query,
        headers=headers,
        body=body,
        access_key=DEFAULT_KEY_PAIR.ak,
        secret_key=DEFAULT_KEY_PAIR.sk,
    )
    assert list(added) == ["Authorization"]
    url = running.url + path + "?" + urlencode(query[::-1], quote_via=quote)
    async with session.post(URL(url, encoded=True), data=body, headers=headers | added) as r:
        assert r.status == 200, await r.text()
