"""SDK-HMAC-SHA256 request signing: pure functions, no I/O and no clock reads.

The algorithm follows the service's published reference signer byte for byte (see the
vectors in ``tests/vectors/aksk_signing.json``). The emulator's verifier uses the same
canonicalisation, so both sides are pinned by those vectors rather than by each other.
"""

from __future__ import annotations

import functools
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
HASHED_CONTENT_TYPES = ("application/json", "application/bson")
"""Content-Type prefixes whose bodies the reference signer hashes; others go UNSIGNED-PAYLOAD."""
_CONTENT_SHA256_KEY = CONTENT_SHA256_HEADER.lower()
_DATE_KEY = DATE_HEADER.lower()


def _escape(value: str) -> str:
    # The reference escapes everything except RFC 3986 unreserved characters.
    return quote(value, safe="~")


@functools.lru_cache(maxsize=512)
def canonical_uri(path: str) -> str:
    """Return the path as the signer sees it: each segment re-encoded, ending in ``/``."""
    # Cached: a bulk run signs thousands of requests to the same one or two paths.
    segments = unquote(path).split("/")
    uri = "/".join(_escape(segment) for segment in segments)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query: Iterable[tuple[str, str]]) -> str:
    """Return the query pairs sorted by raw key then value, escaped, joined by ``&``."""
    # The reference sorts before escaping: "%z" < "Z" < "a" < "{" raw, not once escaped.
    return "&".join(f"{_escape(key)}={_escape(value)}" for key, value in sorted(query))


def payload_hash(body: bytes, headers: Mapping[str, str], *, lowered: bool = False) -> str:
    """Return the body hash: empty-body hash, else the X-Sdk-Content-Sha256 value, else SHA-256.

    ``lowered`` says the headers are keyed by lower-cased name already (one look-up).
    """
    if not body:
        # The reference ignores X-Sdk-Content-Sha256 for an empty body (vector 12).
        return EMPTY_SHA256
    given = (
        headers.get(_CONTENT_SHA256_KEY, "")
        if lowered
        else headers_get(headers, CONTENT_SHA256_HEADER)
    )
    return given or hashlib.sha256(body).hexdigest()


def unsigned_payload(headers: Mapping[str, str]) -> bool:
    """Return whether the reference signs this request's body as ``UNSIGNED-PAYLOAD``."""
    # A missing or empty Content-Type keeps the body hashed, as the reference's truth test does.
    content_type = headers_get(headers, "Content-Type")
    return bool(content_type) and not content_type.startswith(HASHED_CONTENT_TYPES)


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
    return _canonical(method, path, query, lowered, names, body_hash)


def _canonical(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    lowered: Mapping[str, str],
    names: list[str],
    body_hash: str,
) -> str:
    # ``lowered``: the headers by lower-cased name; ``names``: the signed ones, sorted.
    header_block = "".join([f"{name}:{lowered.get(name, '').strip()}\n" for name in names])
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query(query) if query else "",
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
    return hmac.digest(secret_key.encode(), to_sign.encode(), "sha256").hex()


def authorization(access_key: str, signed: Iterable[str], sig: str) -> str:
    """Return the ``Authorization`` header value."""
    return _authorization(access_key, sorted(name.lower() for name in signed), sig)


def _authorization(access_key: str, names: list[str], sig: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={sig}"


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

    Returns the ``Authorization`` value. The caller sends exactly ``headers`` plus it; unlike
    :func:`sign_headers` this adds no ``X-Sdk-Content-Sha256`` for non-JSON bodies.
    """
    # On the hot path of every request: one lower-cased copy of the headers serves every
    # lookup, and the names are lower-cased and sorted once.
    lowered = {name.lower(): value for name, value in headers.items()}
    if len(lowered) == len(headers):
        body_hash = payload_hash(body, lowered, lowered=True)
        date = lowered.get(_DATE_KEY, "")
    else:
        # Names that differ only in case: the reference reads the first spelling for the
        # body hash and the date (and lists every spelling).
        body_hash = payload_hash(body, headers)
        date = headers_get(headers, DATE_HEADER)
    names = sorted(name.lower() for name in headers)
    canonical = _canonical(method, path, query, lowered, names, body_hash)
    return _authorization(access_key, names, signature(secret_key, string_to_sign(canonical, date)))


def sign_headers(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]] = (),
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
) -> dict[str, str]:
    """Return the headers to add to ``headers`` (holding Host and X-Sdk-Date) to sign a request.

    That is ``Authorization``, preceded by ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` (signed
    too) when the Content-Type is not JSON or BSON. ``headers`` itself is left unchanged.
    """
    added: dict[str, str] = {}
    if unsigned_payload(headers):
        # Reuse the caller's spelling of the name so that adding overwrites, never duplicates.
        name = _header_name(headers, CONTENT_SHA256_HEADER) or CONTENT_SHA256_HEADER
        added[name] = UNSIGNED_PAYLOAD
    added["Authorization"] = sign(
        method=method,
        path=path,
        query=query,
        headers={**headers, **added} if added else headers,
        body=body,
        access_key=access_key,
        secret_key=secret_key,
    )
    return added


def _header_name(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((key for key in headers if key.lower() == wanted), None)


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
