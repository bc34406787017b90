"""Proxies through a real forward-proxy process: the environment's, an explicit one, NO_PROXY."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest

from aiocloudocr import AkSkCredentials, Client
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, RunningEmulator, run_emulator
from tests.fakes import make_png

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = "proxyuser:proxy-secret-pw"


@attrs.define
class Proxy:
    """A running forward proxy and the lines it printed."""

    process: asyncio.subprocess.Process
    port: int
    lines: list[str] = attrs.field(factory=list)

    async def proxied(self) -> list[str]:
        """The PROXIED lines printed so far."""
        assert self.process.stdout is not None
        while True:
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), 0.2)
            except asyncio.TimeoutError:
                break
            if not line:
                break
            self.lines.append(line.decode().strip())
        return [line for line in self.lines if line.startswith("PROXIED")]


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    """A forward proxy process requiring Basic credentials."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.forward_proxy", CREDENTIALS,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    first = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().split()
    yield Proxy(process, int(first[1]))
    process.kill()
    await process.wait()


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    """A fresh emulator per test."""
    async with run_emulator() as running:
        yield running


def client_for(emulator: RunningEmulator, **options: object) -> Client:
    """A client for the emulator."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    return Client(credentials, endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID, **options)  # type: ignore[arg-type]


async def test_proxy_from_the_environment_with_credentials(
    proxy: Proxy, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY (with user:password) is used by default, and the proxy sees the call."""
    monkeypatch.setenv("HTTP_PROXY", f"http://{CREDENTIALS}@127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with client_for(emulator) as client:
        result = await client.web_image(make_png(32, 32))
        assert "proxy-secret-pw" not in repr(client) + repr(client.config)
    assert result.meta is not None and result.meta.status == 200
    lines = await proxy.proxied()
    assert lines == [f"PROXIED POST {emulator.url}/v2/{DEFAULT_PROJECT_ID}/ocr/web-image auth=ok"]
    assert emulator.stats.requests["web_image"] == 1


async def test_no_proxy_bypasses_it(
    proxy: Proxy, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host in NO_PROXY goes direct; trust_env=False ignores the environment altogether."""
    monkeypatch.setenv("HTTP_PROXY", f"http://{CREDENTIALS}@127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with client_for(emulator) as client:
        await client.web_image(make_png(32, 32))
    monkeypatch.delenv("NO_PROXY")
    async with client_for(emulator, trust_env=False) as client:
        await client.web_image(make_png(32, 32))
    assert await proxy.proxied() == []
    assert emulator.stats.requests["web_image"] == 2


async def test_explicit_proxy_option(proxy: Proxy, emulator: RunningEmulator) -> None:
    """proxy= routes every request through that proxy, its password kept out of the repr."""
    url = f"http://{CREDENTIALS}@127.0.0.1:{proxy.port}"
    async with client_for(emulator, proxy=url, trust_env=False) as client:
        await client.web_image(make_png(32, 32))
        assert "proxy-secret-pw" not in repr(client.config)
    assert len(await proxy.proxied()) == 1
