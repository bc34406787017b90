"""Test doubles and generated inputs shared by the tests."""

from __future__ import annotations

import asyncio
import io
import random
from typing import Any

from aiohttp import web
from PIL import Image


class FakeSleep:
    """Records requested waits and yields to the loop without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def make_png(width: int, height: int, seed: int = 0) -> bytes:
    """A PNG of the given size whose pixels depend on ``seed``."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randrange(256), 128, 64))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class RecordedRequest:
    """What a RecordingServer saw of one request."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body


class RecordingServer:
    """A loopback HTTP server that records requests and plays scripted answers in order.

    For checking exactly what the client puts on the wire; answers are
    ``(status, json_body, headers)`` tuples, the last one repeating.
    """

    def __init__(self, answers: list[tuple[int, Any, dict[str, str]]]) -> None:
        self.answers = answers
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            RecordedRequest(
                request.method, request.raw_path, dict(request.headers), await request.read()
            )
        )
        index = min(len(self.requests), len(self.answers)) - 1
        status, body, headers = self.answers[index]
        return web.json_response(body, status=status, headers=headers)

    async def __aenter__(self) -> RecordingServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
