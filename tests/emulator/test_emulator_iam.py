"""The emulator's IAM token endpoint."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from aiocloudocr.emulator import DEFAULT_PROJECT_ID, DEFAULT_USER, RunningEmulator
from tests.emulator.emulator_testkit import iam_body, post

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


async def test_token_for_project_name(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """A password identity scoped by project name gets a 201, a token and its metadata."""
    status, body, response = await post(session, running.url + "/v3/auth/tokens", iam_body())
    assert status == 201
    token = response.headers["X-Subject-Token"]
    assert token.startswith("MII")
    assert len(token) > 500
    assert response.headers["X-Request-Id"]
    record = body["token"]
    assert ISO.match(record["expires_at"])
    assert record["issued_at"] == "2023-11-14T22:13:20.000000Z"
    assert record["expires_at"] == "2023-11-15T22:13:20.000000Z"
    assert record["methods"] == ["password"]
    assert record["project"] == {
        "id": DEFAULT_PROJECT_ID,
        "name": DEFAULT_USER.project_name,
        "domain": {"name": DEFAULT_USER.domain},
    }
    assert record["user"] == {"name": "demo", "domain": {"name": "demo-domain"}}
    assert running.stats.tokens_issued == 1
    assert running.stats.outcomes[("iam", 201, None)] == 1


async def test_token_for_project_id(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """A scope naming the project by id works too."""
    scope = {"project": {"id": DEFAULT_PROJECT_ID}}
    status, body, _ = await post(session, running.url + "/v3/auth/tokens", iam_body(scope=scope))
    assert status == 201
    assert body["token"]["project"]["id"] == DEFAULT_PROJECT_ID


@pytest.mark.parametrize(
    "change",
    [
        {"password": "wrong"},
        {"name": "nobody"},
        {"domain": {"name": "other-domain"}},
    ],
    ids=["password", "user", "domain"],
)
async def test_wrong_credentials_are_401(
    running: RunningEmulator, session: aiohttp.ClientSession, change: dict[str, Any]
) -> None:
    """A wrong user name, password or domain gets IAM's 401 body."""
    body = iam_body()
    body["auth"]["identity"]["password"]["user"].update(change)
    status, answer, response = await post(session, running.url + "/v3/auth/tokens", body)
    assert status == 401
    assert answer == {
        "error": {
            "code": 401,
            "message": "The username or password is wrong.",
            "title": "Unauthorized",
        }
    }
    assert "X-Subject-Token" not in response.headers
    assert running.stats.tokens_issued == 0


@pytest.mark.parametrize(
    "scope", [{"project": {"name": "eu-west-0"}}, {"project": {"id": "f" * 32}}]
)
async def test_foreign_project_scope_is_401(
    running: RunningEmulator, session: aiohttp.ClientSession, scope: dict[str, Any]
) -> None:
    """A project the user does not belong to is refused with 401."""
    status, answer, _ = await post(session, running.url + "/v3/auth/tokens", iam_body(scope=scope))
    assert status == 401
    assert answer["error"]["code"] == 401


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        {"auth": {}},
        iam_body(scope={"domain": {"name": "demo-domain"}}),
        iam_body(scope={"project": {}}),
        {"auth": {"identity": {"methods": ["token"]}, "scope": {}}},
    ],
    ids=["not-json", "no-identity", "domain-scope", "empty-project", "token-method"],
)
async def test_malformed_request_is_400(
    running: RunningEmulator, session: aiohttp.ClientSession, body: Any
) -> None:
    """A malformed body or a scope that is not a project gets an IAM-style 400."""
    status, answer, response = await post(session, running.url + "/v3/auth/tokens", body)
    assert status == 400
    assert answer["error"]["code"] == 400
    assert answer["error"]["title"] == "Bad Request"
    assert response.headers["X-Request-Id"]
