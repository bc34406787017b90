"""``python -m benchmarks.overhead [--large] [--profile]``: aiocloudocr's own CPU per call.

The network is taken out (an injected session answers a canned Web Image result at once),
so what is left is the client's own work per call, set against the work the raw loop does
per request (base64, body, signature, JSON parse). ``--profile`` adds a pyinstrument
report of the aiocloudocr calls, to find where that time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from aiocloudocr import AkSkCredentials, Client
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID
from benchmarks.inputs import image_list
from benchmarks.runners import raw_request

WORDS = [
    {"words": f"line {i}", "confidence": 0.9, "location": [[1, 0], [27, 0], [27, 15], [1, 15]]}
    for i in range(3)
]
ANSWER = json.dumps({"result": {"words_block_count": 3, "words_block_list": WORDS}}).encode()


class CannedBody:
    """The body stream of a canned response: one chunk."""

    async def iter_chunked(self, size: int) -> AsyncIterator[bytes]:
        """Yield the canned body."""
        yield ANSWER


class CannedResponse:
    """What aiohttp's response looks like to the client, answered at once."""

    status = 200
    reason = "OK"
    headers = CIMultiDictProxy(CIMultiDict({"X-Request-Id": "0" * 32}))
    content_length = len(ANSWER)
    content = CannedBody()

    async def read(self) -> bytes:
        """The canned body (as read by clients before the streamed, capped read)."""
        return ANSWER

    async def __aenter__(self) -> CannedResponse:
        return self

    async def __aexit__(
        self, *exc: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        return None


class CannedSession:
    """An aiohttp.ClientSession stand-in, injected through ``Client(session=...)``."""

    closed = False

    def request(self, method: str, url: Any, **options: Any) -> CannedResponse:
        """Answer every request with the canned response."""
        return CannedResponse()

    async def close(self) -> None:
        """Nothing to close."""


def raw_work(image: bytes) -> None:
    """What the raw loop does per request besides the I/O."""
    raw_request(image, "127.0.0.1:8800")
    json.loads(ANSWER)


async def per_call(images: Sequence[bytes], *, use_map: bool) -> float:
    """Client CPU microseconds per call of web_image (or per item of client.map)."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    client = Client(
        credentials,
        endpoint="http://127.0.0.1:8800",
        project_id=DEFAULT_PROJECT_ID,
        session=CannedSession(),
    )
    async with client:
        for image in images[:10]:
            await client.web_image(image)
        started = time.process_time()
        if use_map:
            async for _ in client.map("web_image", images):
                pass
        else:
            for image in images:
                await client.web_image(image)
        return (time.process_time() - started) / len(images) * 1e6


def main(argv: Sequence[str] | None = None) -> None:
    """Print the per-call figures (and a profile with ``--profile``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__)
    parser.add_argument("--large", action="store_true", help="~100 KB images (default: small)")
    parser.add_argument("-n", type=int, default=1000, help="calls per measurement")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args(argv)
    images = image_list(args.n, large=args.large)
    started = time.process_time()
    for image in images:
        raw_work(image)
    raw = (time.process_time() - started) / len(images) * 1e6
    single = asyncio.run(per_call(images, use_map=False))
    mapped = asyncio.run(per_call(images, use_map=True))
    print(f"{'large' if args.large else 'small'} images, CPU per call without network:")
    print(f"  raw loop's own work      {raw:8.0f} us")
    print(f"  aiocloudocr web_image    {single:8.0f} us  ({single - raw:+.0f} us)")
    print(f"  aiocloudocr client.map   {mapped:8.0f} us  ({mapped - raw:+.0f} us)")
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        asyncio.run(per_call(images, use_map=False))
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
