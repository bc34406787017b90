"""Test your own code against the local emulator instead of the cloud.

With pytest (and pytest-asyncio), enable the fixtures in your ``conftest.py``::

    pytest_plugins = ["aiocloudocr.testing"]

    async def test_reads_text(aiocloudocr_client):
        result = await aiocloudocr_client.web_image(png_bytes)

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
from collections.abc import AsyncIterator
from typing import Any

from aiocloudocr.auth.credentials import AkSkCredentials
from aiocloudocr.client import Client
from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    EmulatorConfig,
    RunningEmulator,
    run_emulator,
)

__all__ = ["client_for", "emulated_client"]


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
