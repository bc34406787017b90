"""IAM password tokens: the request body and the response parsing, as pure functions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from aiocloudocr.auth.credentials import PasswordCredentials
from aiocloudocr.errors import AuthenticationError

TOKEN_PATH = "/v3/auth/tokens"  # noqa: S105 (a URL path)
PROJECTS_PATH = "/v3/projects"
SUBJECT_TOKEN_HEADER = "X-Subject-Token"  # noqa: S105 (a header name)


@attrs.frozen(kw_only=True)
class IssuedToken:
    """A token and when it expires on the local clock (seconds since the epoch)."""

    value: str = attrs.field(repr=False)
    expires_at: float
    lifetime: float
    project_id: str | None = None


def token_request_body(credentials: PasswordCredentials) -> bytes:
    """The JSON body of ``POST /v3/auth/tokens`` with the password method, project scope."""
    project = (
        {"id": credentials.project_id}
        if credentials.project_id
        else {"name": credentials.project_name}
    )
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": credentials.username,
                        "password": credentials.password,
                        "domain": {"name": credentials.domain},
                    }
                },
            },
            "scope": {"project": project},
        }
    }
    return json.dumps(body, separators=(",", ":")).encode()


def parse_timestamp(value: str) -> float:
    """Parse an IAM ISO 8601 UTC timestamp (``2024-01-02T03:04:05.000000Z``) to epoch seconds."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def parse_token_response(
    headers: Mapping[str, str], body: bytes, *, received_at: float, request_id: str | None
) -> IssuedToken:
    """Read the token from ``X-Subject-Token`` and its expiry from ``token.expires_at``.

    The lifetime is taken from the server's own ``issued_at``/``expires_at`` when both are
    present, so a client clock that is off does not shorten or stretch the cache.
    """

    def bad(reason: str) -> AuthenticationError:
        return AuthenticationError(
            f"IAM answered without a usable token: {reason}",
            status=201,
            operation="iam_token",
            request_id=request_id,
        )

    value = headers.get(SUBJECT_TOKEN_HEADER, "").strip()
    if not value:
        raise bad(f"no {SUBJECT_TOKEN_HEADER} header")
    try:
        payload: Any = json.loads(body)
        token = payload["token"]
        expires = parse_timestamp(token["expires_at"])
        issued_text = token.get("issued_at")
        issued = parse_timestamp(issued_text) if issued_text else received_at
        project_id = (token.get("project") or {}).get("id")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad("token.expires_at missing or malformed") from None
    lifetime = max(expires - issued, 0.0)
    return IssuedToken(
        value=value,
        expires_at=received_at + lifetime,
        lifetime=lifetime,
        project_id=project_id if isinstance(project_id, str) else None,
    )
