"""The emulator as a whole: public API, routing, request ids and where it may listen."""

from __future__ import annotations

import re

import aiohttp
import pytest

import aiocloudocr.emulator as emulator_module
from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    DEFAULT_USER,
    Emulator,
    EmulatorConfig,
    KeyPair,
    RunningEmulator,
    User,
)
from tests.emulator.emulator_testkit import iam_body, op_path, post

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
NOT_FOUND = {
    "error_code": "APIG.0101",
    "error_msg": "The API does not exist or has not been published in the environment.",
}


def test_public_api_is_sorted_and_complete() -> None:
    """__all__ is sorted and every name in it exists."""
    assert emulator_module.__all__ == sorted(emulator_module.__all__)
    for name in emulator_module.__all__:
        assert hasattr(emulator_module, name)


def test_defaults() -> None:
    """The documented default account, key pair and project."""
    assert re.fullmatch(r"[0-9a-f]{32}", DEFAULT_PROJECT_ID)
    assert DEFAULT_USER.project_id == DEFAULT_PROJECT_ID
    config = EmulatorConfig()
    assert config.users == (DEFAULT_USER,)
    assert config.key_pairs == (DEFAULT_KEY_PAIR,)
    assert config.accepted_project_ids == {DEFAULT_PROJECT_ID}


def test_reprs_hide_secrets() -> None:
    """Passwords and secret keys never show in a repr."""
    assert "demo-password" not in repr(DEFAULT_USER)
    assert DEFAULT_KEY_PAIR.sk not in repr(DEFAULT_KEY_PAIR)
    assert "s3cret" not in repr(EmulatorConfig(key_pairs=(KeyPair(ak="a", sk="s3cret"),)))
    assert "demo-password" not in repr(Emulator())


NON_LOOPBACK = ["0.0.0.0", "192.168.1.10", "localhost", "example.com", "::"]  # noqa: S104 (refused)


@pytest.mark.parametrize("host", NON_LOOPBACK)
def test_refuses_non_loopback_hosts(host: str) -> None:
    """Only loopback IP addresses may be configured."""
    with pytest.raises(ValueError, match="loopback"):
        EmulatorConfig(host=host)


def test_accepts_loopback_hosts() -> None:
    """127.0.0.0/8 and ::1 are fine."""
    assert EmulatorConfig(host="127.0.0.2").host == "127.0.0.2"
    assert EmulatorConfig(host="::1").host == "::1"


def test_user_project_ids_are_accepted() -> None:
    """Paths may carry a configured project id or any user's own."""
    user = User(name="u", password="p", domain="d", project_name="n", project_id="b" * 32)
    config = EmulatorConfig(users=(DEFAULT_USER, user), project_ids=("c" * 32,))
    assert config.accepted_project_ids == {DEFAULT_PROJECT_ID, "b" * 32, "c" * 32}


async def test_url_is_loopback(running: RunningEmulator) -> None:
    """The running emulator's URL is http on 127.0.0.1 with the bound port."""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.url)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nowhere"),
        ("POST", "/v2/" + DEFAULT_PROJECT_ID + "/ocr/no-such-op"),
        ("GET", op_path("web_image")),
        ("PUT", "/v3/auth/tokens"),
    ],
)
async def test_unknown_route_is_apig_0101(
    running: RunningEmulator, session: aiohttp.ClientSession, method: str, path: str
) -> None:
    """Unknown paths and wrong methods get 404 APIG.0101 with a request id."""
    async with session.request(method, running.url + path) as response:
        assert response.status == 404
        assert await response.json() == NOT_FOUND
        assert REQUEST_ID.match(response.headers["X-Request-Id"])


async def test_request_id_everywhere(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """IAM, success and error answers all carry a fresh X-Request-Id."""
    url = running.url + op_path("web_image")
    responses = [
        (await post(session, running.url + "/v3/auth/tokens", iam_body()))[2],
        (await post(session, url, {"url": "http://127.0.0.1/x"}, {"X-Auth-Token": token}))[2],
        (await post(session, url, {}, {}))[2],
    ]
    ids = [response.headers["X-Request-Id"] for response in responses]
    assert all(REQUEST_ID.match(value) for value in ids)
    assert len(set(ids)) == len(ids)
