"""No secret anywhere users can see; the client's lifecycle."""

from __future__ import annotations

import gc
import logging
import pickle
import warnings
from typing import Any

import aiohttp
import pytest

from aiocloudocr import (
    AkSkCredentials,
    Client,
    CloudOcrError,
    PasswordCredentials,
    TokenCredentials,
)
from aiocloudocr.emulator import (
    DEFAULT_PROJECT_ID,
    DEFAULT_USER,
    EmulatorConfig,
    Fault,
    KeyPair,
    User,
    run_emulator,
)
from tests.conftest import aksk_client
from tests.fakes import FakeSleep

SK = "SKverysecret-0123456789abcdef0123456789"
PASSWORD = "P@ssw0rd-very-secret-123"
SECURITY_TOKEN = "STS-security-token-0123456789"


async def test_no_secret_in_logs_reprs_errors_or_pickles(
    caplog: pytest.LogCaptureFixture, png: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    """With DEBUG logging on everywhere, no SK, password or token shows up anywhere."""
    caplog.set_level(logging.DEBUG)
    config = EmulatorConfig(
        users=(User(name="u", password=PASSWORD, domain="d", project_name="ap-southeast-1",
                    project_id=DEFAULT_PROJECT_ID),),
        key_pairs=(KeyPair(ak="AKSECRETTEST", sk=SK),),
    )  # fmt: skip
    shown: list[str] = []
    iam_tokens: list[str] = []
    async with run_emulator(config) as emulator:
        issued = emulator.issue_token(config.users[0])
        clients = [
            (Client(AkSkCredentials(access_key="AKSECRETTEST", secret_key=SK,
                                    security_token=SECURITY_TOKEN),
                    endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID, sleep=FakeSleep()),
             [SK, SECURITY_TOKEN]),
            (Client(PasswordCredentials(username="u", password=PASSWORD, domain="d",
                                        project_name="ap-southeast-1"),
                    endpoint=emulator.url, sleep=FakeSleep()),
             [PASSWORD]),
            (Client(TokenCredentials(token=issued), endpoint=emulator.url,
                    project_id=DEFAULT_PROJECT_ID, sleep=FakeSleep()),
             [issued]),
        ]  # fmt: skip
        for client, own_secrets in clients:
            async with client:
                shown += [repr(client), repr(client.credentials), str(client.credentials)]
                result = await client.web_image(png)
                shown.append(repr(result))
                iam_tokens.append(_current(client))
                # A service message that echoes the client's secrets must come out scrubbed.
                echo = " ".join(["echo", *own_secrets, _current(client)])
                emulator.inject("web_image", Fault(status=400, code="AIS.0103", message=echo))
                with pytest.raises(CloudOcrError) as info:
                    await client.web_image(png)
                error: Any = info.value
                shown += [str(error), repr(error), repr(error.__dict__)]
                shown.append(pickle.dumps(error).decode("latin-1"))
                emulator.inject("web_image", Fault(status=401, code="APIG.0301"), times=2)
                with pytest.raises(CloudOcrError) as info:
                    await client.web_image(png)
                shown += [str(info.value), repr(info.value.__dict__)]
            if client.token_cache is not None:
                shown.append(repr(client.token_cache))
    captured = capsys.readouterr()
    text = "\n".join([*shown, caplog.text, captured.out, captured.err])
    assert "status=200" in caplog.text  # the per-attempt DEBUG lines were captured
    secrets = [SK, PASSWORD, SECURITY_TOKEN, issued, *filter(None, iam_tokens)]
    assert len(secrets) == 5
    for secret in secrets:
        assert secret not in text


def _current(client: Client) -> str:
    cache = client.token_cache
    return cache.current.value if cache is not None and cache.current is not None else ""


async def test_unclosed_client_warns(emulator: Any, png: bytes) -> None:
    """A client garbage-collected with its session open emits a ResourceWarning."""
    client = aksk_client(emulator.url)
    await client.web_image(png)
    session = client._shared.transport._session  # type: ignore[attr-defined]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    assert session is not None
    await session.close()


async def test_closed_client_does_not_warn(emulator: Any, png: bytes) -> None:
    """aclose() closes the session and silences the warning."""
    client = aksk_client(emulator.url)
    await client.web_image(png)
    await client.aclose()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


async def test_injected_session_is_used_and_left_open(emulator: Any, png: bytes) -> None:
    """A caller's session carries the requests and is not closed by the client."""
    async with aiohttp.ClientSession() as session:
        client = aksk_client(emulator.url, session=session)
        async with client:
            await client.web_image(png)
        assert not session.closed
    assert emulator.stats.requests["web_image"] == 1


async def test_password_project_name_resolves_project_id(emulator: Any, png: bytes) -> None:
    """With a project name only, the project id for paths comes from the token."""
    client = Client(
        PasswordCredentials(
            username=DEFAULT_USER.name,
            password=DEFAULT_USER.password,
            domain=DEFAULT_USER.domain,
            project_name=DEFAULT_USER.project_name,
        ),
        endpoint=emulator.url,
    )
    async with client:
        assert await client.project_id() == DEFAULT_USER.project_id


async def test_wrong_password_is_an_authentication_error(emulator: Any, png: bytes) -> None:
    """IAM's 401 for a wrong password surfaces once, without the password in it."""
    from aiocloudocr import AuthenticationError

    client = Client(
        PasswordCredentials(username=DEFAULT_USER.name, password="wrong-password-123",
                            domain=DEFAULT_USER.domain, project_name=DEFAULT_USER.project_name),
        endpoint=emulator.url,
    )  # fmt: skip
    async with client:
        with pytest.raises(AuthenticationError) as info:
            await client.web_image(png)
    assert info.value.status == 401
    assert info.value.operation == "iam_token"
    assert "wrong-password-123" not in str(info.value)
    assert emulator.stats.requests["web_image"] == 0
