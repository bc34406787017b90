"""Fixtures for the emulator's own tests: a fake clock, an emulator, a loopback file host."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from aiocloudocr.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.emulator.emulator_testkit import FakeClock, mp4, png

FILES: dict[str, tuple[bytes, str]] = {
    "/ok.png": (png(), "image/png"),
    # A real PNG header followed by padding: identifiable, but over the 10 MB limit.
    "/big.png": (png() + b"\0" * (10 * 1024 * 1024), "image/png"),
    "/clip.mp4": (mp4(b"clip"), "video/mp4"),
    "/other.mp4": (mp4(b"other"), "video/mp4"),
    "/notes.txt": (b"not a video at all", "text/plain"),
}


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand."""
    return FakeClock()


@pytest.fixture
def config(clock: FakeClock) -> EmulatorConfig:
    """The default configuration on the fake clock."""
    return EmulatorConfig(clock=clock)


@pytest.fixture
async def running(config: EmulatorConfig) -> AsyncIterator[RunningEmulator]:
    """An emulator serving ``config`` on a free loopback port."""
    async with run_emulator(config) as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def token(running: RunningEmulator) -> str:
    """A valid token for the default user's project."""
    return running.issue_token()


@pytest.fixture
async def file_host() -> AsyncIterator[str]:
    """A loopback web server with the FILES (and a 404 elsewhere); yields its base URL."""

    async def serve(request: web.Request) -> web.Response:
        if request.path not in FILES:
            raise web.HTTPNotFound()
        body, content_type = FILES[request.path]
        return web.Response(body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def fetching(clock: FakeClock) -> AsyncIterator[RunningEmulator]:
    """An emulator allowed to fetch URLs from 127.0.0.1 (the file host)."""
    async with run_emulator(EmulatorConfig(clock=clock, url_allow_hosts=("127.0.0.1",))) as em:
        yield em
