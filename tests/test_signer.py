"""AK/SK signer against the reference signer's vectors."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from aiocloudocr.auth import signer

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "aksk_signing.json").read_text()
)


def _headers(vector: dict[str, Any]) -> dict[str, str]:
    return {**vector["headers"], "Host": vector["host"]}


def _query(vector: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, value) for key, value in vector["query"]]


def _added_by_reference(vector: dict[str, Any]) -> dict[str, str]:
    """The signed headers the reference added itself, read from the canonical request."""
    present = {name.lower() for name in _headers(vector)}
    lines = vector["canonical_request"].split("\n")
    blank = lines.index("", 3)  # the header block starts on line 3 and ends with a blank line
    signed = lines[blank + 1].split(";")
    values = dict(line.split(":", 1) for line in lines[3:blank])
    return {name: values[name] for name in signed if name not in present}


def _sign_headers(vector: dict[str, Any]) -> dict[str, str]:
    return signer.sign_headers(
        method=vector["method"],
        path=vector["path"],
        query=_query(vector),
        headers=_headers(vector),
        body=base64.b64decode(vector["body_b64"]),
        access_key=vector["ak"],
        secret_key=vector["sk"],
    )


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_sign_headers_matches_reference(vector: dict[str, Any]) -> None:
    """sign_headers adds what the reference adds; its canonical request matches byte for byte."""
    added = _sign_headers(vector)
    assert added["Authorization"] == vector["authorization"]
    extra = {name.lower(): value for name, value in added.items() if name != "Authorization"}
    assert extra == _added_by_reference(vector)
    sent = {**_headers(vector), **added}
    parsed = signer.parse_authorization(added["Authorization"])
    assert parsed is not None
    canonical = signer.canonical_request(
        vector["method"],
        vector["path"],
        _query(vector),
        sent,
        parsed.signed_headers,
        signer.payload_hash(base64.b64decode(vector["body_b64"]), sent),
    )
    assert canonical == vector["canonical_request"]
    assert signer.string_to_sign(canonical, sent["X-Sdk-Date"]) == vector["string_to_sign"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_canonical_request_matches_reference(vector: dict[str, Any]) -> None:
    """Over the headers the reference signed, the canonical request is byte-identical."""
    headers = {**_headers(vector), **_added_by_reference(vector)}
    body = base64.b64decode(vector["body_b64"])
    canonical = signer.canonical_request(
        vector["method"],
        vector["path"],
        _query(vector),
        headers,
        list(headers),
        signer.payload_hash(body, headers),
    )
    assert canonical == vector["canonical_request"]
    date = headers["X-Sdk-Date"]
    assert signer.string_to_sign(canonical, date) == vector["string_to_sign"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_authorization_matches_reference(vector: dict[str, Any]) -> None:
    """sign() over the headers the reference signed gives its Authorization byte for byte."""
    value = signer.sign(
        method=vector["method"],
        path=vector["path"],
        query=_query(vector),
        headers={**_headers(vector), **_added_by_reference(vector)},
        body=base64.b64decode(vector["body_b64"]),
        access_key=vector["ak"],
        secret_key=vector["sk"],
    )
    assert value == vector["authorization"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_query_order_does_not_matter(vector: dict[str, Any]) -> None:
    """The canonical query is the same whatever order the pairs come in."""
    query = _query(vector)
    expected = vector["canonical_request"].split("\n")[2]
    assert signer.canonical_query(query) == expected
    assert signer.canonical_query(reversed(query)) == expected
    assert signer.canonical_query(sorted(query, key=lambda pair: quote(pair[0]))) == expected


def test_parse_authorization_round_trips() -> None:
    """A signed header parses back into its access key, header list and signature."""
    parsed = signer.parse_authorization(VECTORS[1]["authorization"])
    assert parsed is not None
    assert parsed.access_key == "AKTESTEXAMPLE0000000"
    assert "x-security-token" in parsed.signed_headers
    assert len(parsed.signature) == 64


@pytest.mark.parametrize(
    "value", ["", "Bearer x", "SDK-HMAC-SHA256 Access=a", "SDK-HMAC-SHA256 junk"]
)
def test_parse_authorization_rejects_other_schemes(value: str) -> None:
    """Headers that are not complete SDK-HMAC-SHA256 values parse to None."""
    assert signer.parse_authorization(value) is None


def test_unsigned_payload_override() -> None:
    """X-Sdk-Content-Sha256 replaces the body hash, as for multipart uploads."""
    headers = {"X-Sdk-Content-Sha256": signer.UNSIGNED_PAYLOAD}
    assert signer.payload_hash(b"anything", headers) == signer.UNSIGNED_PAYLOAD


def test_empty_body_keeps_the_empty_hash() -> None:
    """With no body the hash is the empty-body hash, even under UNSIGNED-PAYLOAD."""
    headers = {"X-Sdk-Content-Sha256": signer.UNSIGNED_PAYLOAD}
    assert signer.payload_hash(b"", headers) == signer.EMPTY_SHA256
    assert signer.payload_hash(b"", {}) == signer.EMPTY_SHA256


def test_blank_override_falls_back_to_the_body_hash() -> None:
    """An empty X-Sdk-Content-Sha256 value does not replace the body's hash."""
    expected = hashlib.sha256(b"body").hexdigest()
    assert signer.payload_hash(b"body", {"x-sdk-content-sha256": ""}) == expected


@pytest.mark.parametrize(
    ("content_type", "unsigned"),
    [
        (None, False),
        ("", False),
        ("application/json", False),
        ("application/json;charset=utf-8", False),
        ("application/bson", False),
        ("application/jsonx", False),
        ("Application/JSON", True),
        (" application/json", True),
        ("text/plain", True),
        ("application/octet-stream", True),
        ("multipart/form-data; boundary=x", True),
    ],
)
def test_sign_headers_marks_non_json_bodies(content_type: str | None, unsigned: bool) -> None:
    """UNSIGNED-PAYLOAD is added, and signed, exactly when Content-Type fails the prefix test."""
    headers = {"Host": "h", "X-Sdk-Date": "20240101T000000Z"}
    if content_type is not None:
        headers["content-type"] = content_type
    before = dict(headers)
    added = signer.sign_headers(
        method="POST", path="/p", headers=headers, body=b"x", access_key="AK", secret_key="SK"
    )
    assert headers == before
    expected = {"X-Sdk-Content-Sha256": signer.UNSIGNED_PAYLOAD} if unsigned else {}
    assert {k: v for k, v in added.items() if k != "Authorization"} == expected
    parsed = signer.parse_authorization(added["Authorization"])
    assert parsed is not None
    assert ("x-sdk-content-sha256" in parsed.signed_headers) is unsigned


def test_sign_headers_overwrites_the_callers_content_sha_header() -> None:
    """A caller's own X-Sdk-Content-Sha256 is replaced under its own spelling, not duplicated."""
    headers = {
        "Host": "h",
        "X-Sdk-Date": "20240101T000000Z",
        "Content-Type": "text/plain",
        "x-sdk-content-sha256": "abc",
    }
    added = signer.sign_headers(
        method="PUT", path="/p", headers=headers, body=b"x", access_key="AK", secret_key="SK"
    )
    assert added.pop("x-sdk-content-sha256") == signer.UNSIGNED_PAYLOAD
    assert added["Authorization"] == signer.sign(
        method="PUT",
        path="/p",
        headers={**headers, "x-sdk-content-sha256": signer.UNSIGNED_PAYLOAD},
        body=b"other body",
        access_key="AK",
        secret_key="SK",
    )
