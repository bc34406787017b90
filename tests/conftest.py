"""Shared fixtures: an emulator on a free loopback port and clients wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from aiocloudocr import AkSkCredentials, Client, PasswordCredentials
from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    DEFAULT_USER,
    EmulatorConfig,
    run_emulator,
)
from tests.fakes import FakeSleep, make_png


@pytest.fixture
async def emulator() -> AsyncIterator[object]:
    """A fresh emulator with default users and keys."""
    async with run_emulator() as running:
        yield running


@pytest.fixture
async def image_host() -> AsyncIterator[str]:
    """A loopback HTTP server that serves a PNG at any path, for ``url`` inputs."""
    body = make_png(80, 60, seed=7)

    video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64

    async def serve(request: web.Request) -> web.Response:
        if request.path.endswith(".mp4"):
            return web.Response(body=video, content_type="video/mp4")
        return web.Response(body=body, content_type="image/png")

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def emulator_with_urls() -> AsyncIterator[object]:
    """An emulator allowed to fetch ``url`` inputs from loopback hosts."""
    async with run_emulator(EmulatorConfig(url_allow_hosts=("127.0.0.1",))) as running:
        yield running


@pytest.fixture
def png() -> bytes:
    """A small valid PNG image."""
    return make_png(64, 48)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    """A sleep that records the waits instead of waiting."""
    return FakeSleep()


def aksk_client(url: str, **options: object) -> Client:
    """A client signing with the emulator's default key pair."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    return Client(credentials, endpoint=url, project_id=DEFAULT_PROJECT_ID, **options)  # type: ignore[arg-type]


def password_client(url: str, **options: object) -> Client:
    """A client using the emulator's default IAM user (project by name)."""
    credentials = PasswordCredentials(
        username=DEFAULT_USER.name,
        password=DEFAULT_USER.password,
        domain=DEFAULT_USER.domain,
        project_name=DEFAULT_USER.project_name,
    )
    return Client(credentials, endpoint=url, **options)  # type: ignore[arg-type]
