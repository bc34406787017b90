"""Authentication of API calls as the gateway does it: IAM tokens or SDK-HMAC-SHA256 signatures."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import parse_qsl

import attrs
from multidict import MultiMapping

from aiocloudocr.auth import signer
from aiocloudocr.emulator._config import EmulatorConfig
from aiocloudocr.emulator._errors import IAM_PREFIX, ApiError
from aiocloudocr.emulator._state import EmulatorState

TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 (a header name)
PROJECT_HEADER = "X-Project-Id"
SIGNATURE_FAIL = "verify aksk signature fail"
# Tokens are base64 text (IAM's PKI tokens) or URL-safe base64 (the emulator's own).
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9+/=_-]+")


@attrs.frozen(kw_only=True)
class Principal:
    """Who a request authenticated as; a token is bound to its project, a key pair is not."""

    via: Literal["token", "aksk"]
    name: str
    project_id: str | None = None

    @property
    def key(self) -> str:
        """The identity the rate limit and the concurrency cap count per."""
        return f"{self.via}:{self.name}"


def _rejected(detail: str) -> ApiError:
    return ApiError(401, "APIG.0301", IAM_PREFIX + detail)


def parse_sdk_date(value: str) -> float | None:
    """The epoch seconds of an ``X-Sdk-Date`` value, or ``None`` if it is malformed."""
    try:
        parsed = datetime.strptime(value, signer.DATE_FORMAT)
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc).timestamp()


def received_query(raw_query: str) -> list[tuple[str, str]]:
    """The decoded ``(key, value)`` pairs of a raw query string, in the order sent."""
    # Blank values count ("a=&b"): the signer signed them as "a=" and "b=". A "+" decodes to
    # a space, as yarl (and so aiohttp) sends one; the reference itself sends "%20" and "%2B".
    return parse_qsl(raw_query, keep_blank_values=True)


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
    maps an access key to its secret (``None`` when unknown). The canonical request is
    rebuilt by the reference rules: the decoded query pairs in any order, the headers the
    Authorization names, and the body hash (``X-Sdk-Content-Sha256`` when sent, the
    empty-body hash for no body).
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
        received_query(query),
        headers,
        signed,
        signer.payload_hash(body, headers),
    )
    expected = signer.signature(secret, signer.string_to_sign(canonical, date))
    if not hmac.compare_digest(expected, parsed.signature):
        raise _rejected(SIGNATURE_FAIL)
    return parsed.access_key


def _token_principal(headers: Mapping[str, str], state: EmulatorState) -> Principal | None:
    values = headers.getall(TOKEN_HEADER, []) if isinstance(headers, MultiMapping) else []
    if len(values) > 1:
        # Two tokens are ambiguous: the gateway cannot tell which one is meant.
        raise ApiError(401, "ModelArts.4103")
    token = signer.headers_get(headers, TOKEN_HEADER).strip()
    if not token:
        return None
    if not _TOKEN_TEXT.fullmatch(token):
        # e.g. "Bearer MII...": not something a token can be parsed from.
        raise ApiError(401, "ModelArts.4102")
    record = state.lookup_token(token)
    if record is None:
        raise _rejected("decrypt token fail")
    if record.revoked:
        raise ApiError(401, "ModelArts.0203")
    if state.now() >= record.expires_at:
        raise _rejected("token expires")
    return Principal(via="token", name=record.user.name, project_id=record.user.project_id)


def authenticate(
    *,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    config: EmulatorConfig,
    state: EmulatorState,
) -> Principal:
    """Authenticate by X-Auth-Token, else by SDK-HMAC-SHA256; raise ApiError on failure.

    No credentials: ModelArts.4101. A token that cannot be parsed: ModelArts.4102; two
    token headers: ModelArts.4103; a revoked token: ModelArts.0203; an unknown or expired
    token or a failed signature: APIG.0301 with the gateway's reason.
    """
    principal = _token_principal(headers, state)
    if principal is not None:
        return principal
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


def check_project(
    path_project: str | None,
    principal: Principal,
    accepted: Collection[str],
    headers: Mapping[str, str],
) -> str | None:
    """The project the call is for; refuse (403 ModelArts.4203) one the caller may not use.

    That is the path's project id, else (paths without one) the X-Project-Id header,
    else the token's project. A token only works for its own project.
    """
    project_id = path_project or signer.headers_get(headers, PROJECT_HEADER).strip() or None
    if project_id is None:
        return principal.project_id
    if project_id not in accepted or principal.project_id not in (None, project_id):
        raise ApiError(403, "ModelArts.4203")
    return project_id
