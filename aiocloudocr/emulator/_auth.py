"""Authentication of API calls as the gateway does it: IAM tokens or SDK-HMAC-SHA256 signatures."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import parse_qsl

import attrs

from aiocloudocr.auth import signer
from aiocloudocr.emulator._config import EmulatorConfig
from aiocloudocr.emulator._errors import IAM_PREFIX, ApiError
from aiocloudocr.emulator._state import EmulatorState

TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 (a header name)
SIGNATURE_FAIL = "verify aksk signature fail"


@attrs.frozen(kw_only=True)
class Principal:
    """Who a request authenticated as; a token is bound to its project, a key pair is not."""

    via: Literal["token", "aksk"]
    name: str
    project_id: str | None = None


def _rejected(detail: str) -> ApiError:
    return ApiError(401, "APIG.0301", IAM_PREFIX + detail)


def parse_sdk_date(value: str) -> float | None:
    """The epoch seconds of an ``X-Sdk-Date`` value, or ``None`` if it is malformed."""
    try:
        parsed = datetime.strptime(value, signer.DATE_FORMAT)
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc).timestamp()


def verify_signature(
    *,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_key: Callable[[str], str | None],
    now: float,
    max_skew: float,
) -> str:
    """Check a signed request exactly as received; return its access key or raise ApiError.

    ``raw_path`` is the path as sent on the wire, query string included; ``secret_key``
    maps an access key to its secret (``None`` when unknown).
    """
    parsed = signer.parse_authorization(signer.headers_get(headers, "Authorization"))
    if parsed is None:
        raise _rejected(SIGNATURE_FAIL)
    secret = secret_key(parsed.access_key)
    if secret is None:
        raise _rejected(SIGNATURE_FAIL)
    date = signer.headers_get(headers, signer.DATE_HEADER)
    stamp = parse_sdk_date(date)
    if stamp is None:
        raise _rejected(
            f"{SIGNATURE_FAIL}: the {signer.DATE_HEADER} header is missing or not in the form "
            "YYYYMMDDTHHMMSSZ"
        )
    if abs(now - stamp) > max_skew:
        raise _rejected(
            f"{SIGNATURE_FAIL}: {signer.DATE_HEADER} {date} is more than {max_skew:g} s "
            "away from the server time"
        )
    signed = [name.lower() for name in parsed.signed_headers]
    if "host" not in signed:
        raise _rejected(f"{SIGNATURE_FAIL}: the Host header must be signed")
    path, _, query = raw_path.partition("?")
    canonical = signer.canonical_request(
        method,
        path,
        parse_qsl(query, keep_blank_values=True),
        headers,
        signed,
        signer.payload_hash(body, headers),
    )
    expected = signer.signature(secret, signer.string_to_sign(canonical, date))
    if not hmac.compare_digest(expected, parsed.signature):
        raise _rejected(SIGNATURE_FAIL)
    return parsed.access_key


def authenticate(
    *,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    config: EmulatorConfig,
    state: EmulatorState,
) -> Principal:
    """Authenticate by X-Auth-Token, else by SDK-HMAC-SHA256; raise ApiError on failure."""
    token = signer.headers_get(headers, TOKEN_HEADER)
    if token:
        record = state.lookup_token(token)
        if record is None:
            raise _rejected("decrypt token fail")
        if state.now() >= record.expires_at:
            raise _rejected("token expires")
        return Principal(via="token", name=record.user.name, project_id=record.user.project_id)
    if signer.headers_get(headers, "Authorization").startswith(signer.ALGORITHM):
        access_key = verify_signature(
            method=method,
            raw_path=raw_path,
            headers=headers,
            body=body,
            secret_key=config.secret_key,
            now=state.now(),
            max_skew=config.max_clock_skew,
        )
        return Principal(via="aksk", name=access_key)
    raise ApiError(401, "ModelArts.4101")


def check_project(project_id: str | None, principal: Principal, accepted: Collection[str]) -> None:
    """Refuse (403 ModelArts.4203) a path project the caller may not use."""
    if project_id is None:
        return
    if project_id not in accepted or principal.project_id not in (None, project_id):
        raise ApiError(403, "ModelArts.4203")
