"""AK/SK signer against the reference signer's vectors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr.auth import signer

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "aksk_signing.json").read_text()
)


def _headers(vector: dict[str, Any]) -> dict[str, str]:
    return {**vector["headers"], "Host": vector["host"]}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_canonical_request_matches_reference(vector: dict[str, Any]) -> None:
    """The canonical request is byte-identical to the reference signer's."""
    headers = _headers(vector)
    body = base64.b64decode(vector["body_b64"])
    canonical = signer.canonical_request(
        vector["method"],
        vector["path"],
        [tuple(pair) for pair in vector["query"]],
        headers,
        list(headers),
        signer.payload_hash(body, headers),
    )
    assert canonical == vector["canonical_request"]
    date = headers["X-Sdk-Date"]
    assert signer.string_to_sign(canonical, date) == vector["string_to_sign"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_authorization_matches_reference(vector: dict[str, Any]) -> None:
    """The Authorization header is byte-identical to the reference signer's."""
    value = signer.sign(
        method=vector["method"],
        path=vector["path"],
        query=[tuple(pair) for pair in vector["query"]],
        headers=_headers(vector),
        body=base64.b64decode(vector["body_b64"]),
        access_key=vector["ak"],
        secret_key=vector["sk"],
    )
    assert value == vector["authorization"]


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
