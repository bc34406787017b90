"""Request and response hooks over loopback: every attempt, sync or async, never a secret."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from aiocloudocr import (
    AkSkCredentials,
    Client,
    PasswordCredentials,
    RequestInfo,
    ResponseInfo,
    TokenCredentials,
)
from aiocloudocr._hooks import MASK, request_headers, response_headers
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, DEFAULT_USER, Fault
from tests.conftest import aksk_client, password_client
from tests.fakes import FakeSleep, make_png

PNG = make_png(40, 30)


class Recorder:
    """Keeps what the hooks were given, in order."""

    def __init__(self) -> None:
        self.seen: list[RequestInfo | ResponseInfo] = []

    def request(self, info: RequestInfo) -> None:
        """A sync on_request."""
        self.seen.append(info)

    def response(self, info: ResponseInfo) -> None:
        """A sync on_response."""
        self.seen.append(info)

    @property
    def requests(self) -> list[RequestInfo]:
        """The requests seen."""
        return [i for i in self.seen if isinstance(i, RequestInfo)]

    @property
    def responses(self) -> list[ResponseInfo]:
        """The responses seen."""
        return [i for i in self.seen if isinstance(i, ResponseInfo)]


async def test_hooks_see_every_attempt(emulator: Any, fake_sleep: FakeSleep) -> None:
    """A retried call: on_request, then on_response, for each attempt, with what it sent and got."""
    emulator.inject("web_image", Fault(status=503, code="ModelArts.4403"))
    hooks = Recorder()
    async with aksk_client(
        emulator.url, sleep=fake_sleep, on_request=hooks.request, on_response=hooks.response
    ) as client:
        result = await client.web_image(PNG)
    assert [type(i).__name__ for i in hooks.seen] == ["RequestInfo", "ResponseInfo"] * 2
    first, second = hooks.requests
    assert (first.operation, first.service, first.method) == ("web_image", "ocr", "POST")
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.url == f"{emulator.url}/v2/{DEFAULT_PROJECT_ID}/ocr/web-image"
    assert first.body_length == second.body_length > len(PNG)
    assert first.headers["authorization"] == MASK  # case-insensitive, masked
    assert first.headers["X-Sdk-Date"] and first.headers["X-Project-Id"] == DEFAULT_PROJECT_ID
    failed, answered = hooks.responses
    assert result.meta is not None
    assert (failed.status, failed.error_code, failed.attempt) == (503, "ModelArts.4403", 1)
    assert (answered.status, answered.error_code, answered.attempt) == (200, None, 2)
    assert answered.request_id == result.meta.request_id == answered.headers["X-Request-Id"]
    assert failed.request is first and answered.request is second
    assert 0 < answered.elapsed < 5
    with pytest.raises(TypeError):
        answered.headers["X-Request-Id"] = "changed"  # type: ignore[index]


async def test_async_hooks_are_awaited(emulator: Any) -> None:
    """Coroutine functions work as hooks: each is awaited before the call goes on."""
    order: list[str] = []

    async def on_request(info: RequestInfo) -> None:
        await asyncio.sleep(0)
        order.append(f"request {info.attempt}")

    async def on_response(info: ResponseInfo) -> None:
        await asyncio.sleep(0)
        order.append(f"response {info.status}")

    async with aksk_client(emulator.url, on_request=on_request, on_response=on_response) as c:
        await c.web_image(PNG)
        order.append("returned")
    assert order == ["request 1", "response 200", "returned"]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_hook_that_raises_does_not_break_the_call(
    emulator: Any, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """Hooks that raise: every call succeeds; one WARNING per client, not one per attempt."""

    def sync_hook(info: object) -> None:
        raise RuntimeError("hook on fire")

    async def async_hook(info: object) -> None:
        raise RuntimeError("hook on fire")

    hook: Any = sync_hook if kind == "sync" else async_hook
    caplog.set_level(logging.DEBUG, logger="aiocloudocr")
    async with aksk_client(emulator.url, on_request=hook, on_response=hook) as client:
        results = [await client.web_image(PNG) for _ in range(3)]
    assert all(result.meta is not None and result.meta.status == 200 for result in results)
    failures = [r for r in caplog.records if "observer" in r.getMessage()]
    assert [r.levelname for r in failures] == ["WARNING"] + ["DEBUG"] * 5
    assert "RuntimeError" in failures[0].getMessage()


async def test_a_password_client_shows_its_iam_login_without_the_password_or_token(
    emulator: Any,
) -> None:
    """The IAM login is seen like any attempt: its body's length only, no X-Subject-Token."""
    hooks = Recorder()
    async with password_client(
        emulator.url, on_request=hooks.request, on_response=hooks.response
    ) as client:
        await client.web_image(PNG)
    login, call = hooks.requests
    assert (login.operation, login.service, login.url) == (
        "iam_token", "iam", f"{emulator.url}/v3/auth/tokens",
    )  # fmt: skip
    assert login.body_length > len(DEFAULT_USER.password)
    assert call.headers["X-Auth-Token"] == MASK
    issued, answered = hooks.responses
    assert issued.status == 201 and "X-Subject-Token" not in issued.headers
    assert answered.status == 200


def credentials_for(kind: str, emulator: Any) -> Any:
    """Credentials of one kind the emulator accepts."""
    if kind == "password":
        return PasswordCredentials(
            username=DEFAULT_USER.name,
            password=DEFAULT_USER.password,
            domain=DEFAULT_USER.domain,
            project_name=DEFAULT_USER.project_name,
        )
    if kind == "token":
        return TokenCredentials(token=emulator.issue_token())
    return AkSkCredentials(
        access_key=DEFAULT_KEY_PAIR.ak,
        secret_key=DEFAULT_KEY_PAIR.sk,
        security_token="SECURITYTOKEN-abcdef-0123456789" if kind == "aksk+token" else None,
    )


def shown(info: RequestInfo | ResponseInfo) -> str:
    """Everything a hook can read from one view."""
    parts = [repr(info), *(f"{k}: {v}" for k, v in info.headers.items())]
    if isinstance(info, ResponseInfo):
        parts.append(shown(info.request))
    return "\n".join(parts)


@pytest.mark.parametrize("kind", ["aksk", "aksk+token", "password", "token"])
async def test_no_secret_reaches_a_hook(emulator: Any, kind: str, fake_sleep: FakeSleep) -> None:
    """No SK, security token, password or IAM token reaches a hook, even in a caller's header."""
    credentials = credentials_for(kind, emulator)
    secret = credentials.secrets[-1]
    hooks = Recorder()
    emulator.inject("web_image", Fault(status=500, code="ModelArts.4505", echo_headers="json"))
    async with Client(
        credentials,
        endpoint=emulator.url,
        project_id=None if kind == "password" else DEFAULT_PROJECT_ID,
        sleep=fake_sleep,
        headers={"X-Trace-Note": f"do-not-show:{secret}"},
        on_request=hooks.request,
        on_response=hooks.response,
    ) as client:
        await client.web_image(PNG)
        if kind == "password":
            emulator.expire_tokens()  # the next call refreshes its token (a second login)
            await client.web_image(PNG)
        secrets = list(credentials.secrets)
        if client.token_cache is not None and client.token_cache.current is not None:
            secrets.append(client.token_cache.current.value)
    logins = [i for i in hooks.requests if i.operation == "iam_token"]
    assert len(logins) == (2 if kind == "password" else 0)
    assert all(r.headers["X-Trace-Note"] == MASK for r in hooks.requests if r.service != "iam")
    text = "\n".join(shown(info) for info in hooks.seen)
    assert secrets and all(s not in text for s in secrets)
    if kind != "password":
        assert len(hooks.requests) == 2


def test_views_mask_credential_headers_and_drop_issued_tokens() -> None:
    """Credential headers and values holding a secret are masked; tokens and cookies dropped."""
    secrets = ("sk-0123456789",)
    sent = request_headers(
        {"Authorization": "SDK-HMAC-SHA256 ...", "x-auth-token": "t", "X-Security-Token": "s",
         "X-Other": "has sk-0123456789 inside", "Content-Type": "application/json"},
        secrets,
    )  # fmt: skip
    assert dict(sent) == {
        "Authorization": MASK, "x-auth-token": MASK, "X-Security-Token": MASK,
        "X-Other": MASK, "Content-Type": "application/json",
    }  # fmt: skip
    got = response_headers(
        {"X-Subject-Token": "MIItoken", "Set-Cookie": "a=b", "X-Echo": "sk-0123456789",
         "X-Request-Id": "abc"},
        secrets,
    )  # fmt: skip
    assert dict(got) == {"X-Echo": MASK, "X-Request-Id": "abc"}
