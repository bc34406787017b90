"""Test your own code against the local emulator instead of the cloud.

With pytest (and pytest-asyncio), enable the fixtures in your ``conftest.py``::

    pytest_plugins = ["aiocloudocr.testing"]

    async def test_reads_text(aiocloudocr_client):
        result = await aiocloudocr_client.web_image(png_bytes)

For unit tests that need no server at all, :class:`MockTransport` answers every request
from a function of yours (as ``httpx.MockTransport`` does)::

    def handler(request: HttpRequest) -> HttpResponse:
        return json_response({"result": {"words_block_count": 0, "words_block_list": []}})

    async with Client(credentials, region="ap-southeast-1", project_id="p",
                      transport=MockTransport(handler)) as client:
        ...

``aiocloudocr_emulator`` is a running emulator per test (``.url``, ``.stats``,
``.inject(...)``), ``aiocloudocr_client`` a :class:`~aiocloudocr.Client` signing with the
emulator's default key pair and project, closed after the test. Override the
``aiocloudocr_emulator_config`` fixture to configure the emulator. Without pytest, use
:func:`emulated_client`::

    async with emulated_client() as client:
        ...
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from yarl import URL

from aiocloudocr._client import Client
from aiocloudocr._http import HttpRequest, HttpResponse
from aiocloudocr.auth.credentials import AkSkCredentials
from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    EmulatorConfig,
    RunningEmulator,
    run_emulator,
)

__all__ = [
    "AioresponsesResponse",
    "MockTransport",
    "client_for",
    "emulated_client",
    "json_response",
]

Handler = Callable[[HttpRequest], "HttpResponse | Awaitable[HttpResponse]"]


class MockTransport:
    """A transport that answers each request with ``handler(request)`` (sync or async).

    The handler sees the request exactly as it would go on the wire (signed headers
    included) and may raise :class:`aiocloudocr.ConnectError` or
    :class:`aiocloudocr.RequestTimeout` to play a network failure. Every request is kept in
    :attr:`requests`, in order.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[HttpRequest] = []

    def __repr__(self) -> str:
        return f"<MockTransport requests={len(self.requests)}>"

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Record the request and return the handler's answer."""
        self.requests.append(request)
        answer = self._handler(request)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer

    async def aclose(self) -> None:
        """Nothing to release."""


class _SentWriter:
    output_size = 0


class AioresponsesResponse(aiohttp.ClientResponse):
    """An ``aiohttp.ClientResponse`` that aioresponses can build on aiohttp >= 3.14.

    aioresponses (0.7.9 and earlier) does not pass the ``stream_writer`` argument aiohttp
    3.14 requires (pnuckowski/aioresponses#289); pass this class as ``response_class`` of
    each mocked answer, or as ``aioresponses_mock.add(..., response_class=...)``.
    """

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _SentWriter())
        super().__init__(method, url, **kwargs)


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """An answer with a JSON body (for a :class:`MockTransport` handler)."""
    return HttpResponse(
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
        body=json.dumps(payload).encode(),
    )


def client_for(running: RunningEmulator, **client_options: Any) -> Client:
    """A client for ``running`` with its first key pair and project (unless overridden)."""
    config = running.emulator.config
    pair = config.key_pairs[0] if config.key_pairs else DEFAULT_KEY_PAIR
    project = config.project_ids[0] if config.project_ids else DEFAULT_PROJECT_ID
    client_options.setdefault("project_id", project)
    credentials = client_options.pop(
        "credentials", AkSkCredentials(access_key=pair.ak, secret_key=pair.sk)
    )
    return Client(credentials, endpoint=running.url, **client_options)


@contextlib.asynccontextmanager
async def emulated_client(
    config: EmulatorConfig | None = None, **client_options: Any
) -> AsyncIterator[Client]:
    """A client wired to a fresh emulator; both are closed on exit."""
    async with run_emulator(config) as running, client_for(running, **client_options) as client:
        yield client


# The fixtures need pytest and pytest-asyncio; without them the module still imports.
if importlib.util.find_spec("pytest") and importlib.util.find_spec("pytest_asyncio"):
    import pytest
    import pytest_asyncio

    @pytest.fixture
    def aiocloudocr_emulator_config() -> EmulatorConfig:
        """The configuration of ``aiocloudocr_emulator``; override it to change it."""
        return EmulatorConfig()

    @pytest_asyncio.fixture
    async def aiocloudocr_emulator(
        aiocloudocr_emulator_config: EmulatorConfig,
    ) -> AsyncIterator[RunningEmulator]:
        """An emulator serving on a free loopback port for the duration of one test."""
        async with run_emulator(aiocloudocr_emulator_config) as running:
            yield running

    @pytest_asyncio.fixture
    async def aiocloudocr_client(aiocloudocr_emulator: RunningEmulator) -> AsyncIterator[Client]:
        """A client signing with the emulator's default key pair and project; closed after."""
        async with client_for(aiocloudocr_emulator) as client:
            yield client
