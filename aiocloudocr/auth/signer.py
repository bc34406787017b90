"""SDK-HMAC-SHA256 request signing: pure functions, no I/O and no clock reads.

The algorithm follows the service's published reference signer byte for byte (see the
vectors in ``tests/vectors/aksk_signing.json``). The emulator's verifier uses the same
canonicalisation, so both sides are pinned by those vectors rather than by each other.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

import attrs

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _escape(value: str) -> str:
    # The reference escapes everything except RFC 3986 unreserved characters.
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    """Return the path as the signer sees it: each segment re-encoded, ending in ``/``."""
    segments = unquote(path).split("/")
    uri = "/".join(_escape(segment) for segment in segments)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query: Iterable[tuple[str, str]]) -> str:
    """Return the query pairs escaped, sorted by key then value, joined by ``&``."""
    pairs = sorted((_escape(key), _escape(value)) for key, value in query)
    return "&".join(f"{key}={value}" for key, value in pairs)


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    """Return the hex SHA-256 of the body, or the ``X-Sdk-Content-Sha256`` override."""
    for name, value in headers.items():
        if name.lower() == CONTENT_SHA256_HEADER.lower():
            return value
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed: Iterable[str],
    body_hash: str,
) -> str:
    """Return the canonical request over the headers named in ``signed``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    names = sorted(name.lower() for name in signed)
    header_block = "".join(f"{name}:{lowered.get(name, '').strip()}\n" for name in names)
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            header_block,
            ";".join(names),
            body_hash,
        )
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    """Return the string to sign for a canonical request made at ``sdk_date``."""
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    """Return the hex HMAC-SHA256 of ``to_sign`` keyed by the secret key."""
    return hmac.new(secret_key.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(access_key: str, signed: Iterable[str], sig: str) -> str:
    """Return the ``Authorization`` header value."""
    names = ";".join(sorted(name.lower() for name in signed))
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={names}, Signature={sig}"


def sign(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]] = (),
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
) -> str:
    """Sign every header in ``headers`` (which must hold Host and X-Sdk-Date).

    Returns the ``Authorization`` value. The caller sends exactly ``headers`` plus it.
    """
    signed = list(headers)
    canonical = canonical_request(method, path, query, headers, signed, payload_hash(body, headers))
    to_sign = string_to_sign(canonical, headers_get(headers, DATE_HEADER))
    return authorization(access_key, signed, signature(secret_key, to_sign))


def headers_get(headers: Mapping[str, str], name: str) -> str:
    """Return a header's value by case-insensitive name, or ``""``."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


@attrs.frozen(kw_only=True)
class ParsedAuthorization:
    """The three parts of an ``SDK-HMAC-SHA256`` Authorization header."""

    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Parse an Authorization header; ``None`` if it is not an SDK-HMAC-SHA256 one."""
    prefix = ALGORITHM + " "
    if not value.startswith(prefix):
        return None
    parts: dict[str, str] = {}
    for item in value[len(prefix) :].split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = val
    try:
        return ParsedAuthorization(
            access_key=parts["Access"],
            signed_headers=tuple(h for h in parts["SignedHeaders"].split(";") if h),
            signature=parts["Signature"],
        )
    except KeyError:
        return None
