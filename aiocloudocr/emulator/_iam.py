"""The IAM token endpoint: ``POST /v3/auth/tokens`` with a password identity and project scope."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any

from aiohttp import web

from aiocloudocr.emulator._config import EmulatorConfig, User
from aiocloudocr.emulator._errors import json_response
from aiocloudocr.emulator._state import IssuedToken

TOKENS_PATH = "/v3/auth/tokens"
SUBJECT_TOKEN_HEADER = "X-Subject-Token"  # noqa: S105 (a header name)
WRONG_CREDENTIALS = "The username or password is wrong."


class IamError(Exception):
    """Raised to answer with IAM's own error shape: ``{"error": {code, message, title}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> web.Response:
        """The error as IAM sends it."""
        title = HTTPStatus(self.status).phrase
        body = {"error": {"code": self.status, "message": self.message, "title": title}}
        return json_response(body, status=self.status)


def iso8601(timestamp: float) -> str:
    """A UTC timestamp as IAM writes it, e.g. ``2024-01-02T03:04:05.000000Z``."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _member(container: Any, key: str) -> Any:
    if not isinstance(container, Mapping) or key not in container:
        raise IamError(400, f"The request body is malformed: {key!r} is missing.")
    return container[key]


def _text(container: Any, key: str) -> str:
    value = _member(container, key)
    if not isinstance(value, str) or not value:
        raise IamError(400, f"The request body is malformed: {key!r} must be a string.")
    return value


def parse_request(raw: bytes) -> tuple[str, str, str, dict[str, str]]:
    """Return (user name, password, domain name, project scope) from a token request body."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise IamError(400, "The request body is not valid JSON.") from None
    auth = _member(body, "auth")
    identity = _member(auth, "identity")
    methods = _member(identity, "methods")
    if not isinstance(methods, list) or "password" not in methods:
        raise IamError(400, "The request body is malformed: only the password method is served.")
    user = _member(_member(identity, "password"), "user")
    name, password = _text(user, "name"), _text(user, "password")
    domain = _text(_member(user, "domain"), "name")
    scope = _member(auth, "scope")
    project = scope.get("project") if isinstance(scope, Mapping) else None
    if not isinstance(project, Mapping):
        raise IamError(400, "The scope must be a project: auth.scope.project.{name|id}.")
    wanted = {key: project[key] for key in ("id", "name") if isinstance(project.get(key), str)}
    if not wanted:
        raise IamError(400, "The scope must be a project: auth.scope.project.{name|id}.")
    return name, password, domain, wanted


def find_user(config: EmulatorConfig, name: str, password: str, domain: str) -> User:
    """The configured user with these credentials; 401 if there is none."""
    for user in config.users:
        if user.name == name and user.domain == domain:
            if hmac.compare_digest(user.password.encode(), password.encode()):
                return user
            break
    raise IamError(401, WRONG_CREDENTIALS)


def check_scope(user: User, wanted: Mapping[str, str]) -> None:
    """Refuse (401) a project scope the user does not belong to."""
    own = {"id": user.project_id, "name": user.project_name}
    if any(own[key] != value for key, value in wanted.items()):
        raise IamError(401, "The user has no access to the requested project.")


def token_response(token: str, record: IssuedToken) -> web.Response:
    """The 201 answer carrying the token in ``X-Subject-Token``."""
    user = record.user
    body = {
        "token": {
            "expires_at": iso8601(record.expires_at),
            "issued_at": iso8601(record.issued_at),
            "methods": ["password"],
            "project": {
                "id": user.project_id,
                "name": user.project_name,
                "domain": {"name": user.domain},
            },
            "user": {"name": user.name, "domain": {"name": user.domain}},
        }
    }
    response = json_response(body, status=201)
    response.headers[SUBJECT_TOKEN_HEADER] = token
    return response
