"""An aiohttp web app that shares one aiocloudocr Client: ``POST /ocr`` an image, get its words.

Run it against your account (credentials, region or endpoint and project id from the
environment, as ``Client.from_env`` reads them)::

    python examples/aiohttp_app.py --port 8080

or against a local emulator started in the same process (which reads the text with a
local OCR model if ``aiocloudocr[ocr]`` is installed, else answers synthetic phrases)::

    python examples/aiohttp_app.py --emulator
    curl --data-binary @picture.png http://127.0.0.1:8080/ocr
    curl -F image=@picture.png http://127.0.0.1:8080/ocr
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import BodyPartReader, web

from aiocloudocr import (
    AkSkCredentials,
    APIError,
    Client,
    ThrottledError,
    TransportError,
    ValidationError,
)

ClientFactory = Callable[[web.Application], Client]

CLIENT = web.AppKey("client", Client)
EMULATOR_URL = web.AppKey("emulator_url", str)
EMULATOR_ENGINE = web.AppKey("emulator_engine", str)
# Above the service's 10 MB image limit, so that the client's own check, not aiohttp's 1 MB
# default, decides what is too large.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024


def create_app(
    client_factory: ClientFactory | None = None, *, emulator: bool = False, engine: str = "auto"
) -> web.Application:
    """The web app; ``client_factory`` builds its one Client at startup (default: from env).

    With ``emulator`` a local emulator runs for the app's lifetime and the default client
    points at it; ``engine`` is the emulator's text engine (auto, rapidocr or synthetic).
    """
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    if emulator:
        app[EMULATOR_ENGINE] = engine
        app.cleanup_ctx.append(_emulator)
    factory = client_factory or (_emulator_client if emulator else lambda app: Client.from_env())

    async def client_context(app: web.Application) -> AsyncIterator[None]:
        # One client for the app's lifetime: one connection pool, one concurrency bound and
        # one adaptive limiter shared by every request handler.
        app[CLIENT] = factory(app)
        try:
            yield
        finally:
            await app[CLIENT].aclose()

    app.cleanup_ctx.append(client_context)
    app.router.add_post("/ocr", handle_ocr)
    return app


async def handle_ocr(request: web.Request) -> web.Response:
    """Recognise the text of the uploaded image (multipart field or the raw body)."""
    image = await read_image(request)
    if not image:
        return _error(400, "send an image: the raw request body or a multipart file field")
    try:
        result = await request.app[CLIENT].web_image(image)
    except ValidationError as error:
        return _error(400, error.message, code=error.code)
    except ThrottledError as error:
        # Retries are already spent inside the client: tell our caller when to come back.
        headers = {"Retry-After": str(max(1, round(error.retry_after or 1)))}
        return _error(
            503,
            "the OCR service is busy, try again later",
            code=error.code,
            request_id=error.request_id,
            headers=headers,
        )
    except APIError as error:
        return _error(502, error.message, code=error.code, request_id=error.request_id)
    except TransportError as error:
        return _error(502, f"the OCR service could not be reached: {error.message}")
    return web.json_response(
        {
            "request_id": result.meta.request_id if result.meta else None,
            "words": [block.words for block in result.words_block_list],
        }
    )


async def read_image(request: web.Request) -> bytes:
    """The first file part of a multipart upload, else the whole request body."""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and (part.filename or part.name == "image"):
                return bytes(await part.read())
        return b""
    return await request.read()


def _error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"error": message, "code": code, "request_id": request_id}
    return web.json_response(body, status=status, headers=headers)


async def _emulator(app: web.Application) -> AsyncIterator[None]:
    # Imported here: the emulator is only needed when asked for.
    from aiocloudocr.emulator import EmulatorConfig, run_emulator

    async with run_emulator(EmulatorConfig(engine=app[EMULATOR_ENGINE])) as running:
        app[EMULATOR_URL] = running.url
        if running.emulator.engine.name == "synthetic":
            text = "synthetic phrases (pip install 'aiocloudocr[ocr]' to read the images)"
        else:
            text = "read from each image by rapidocr"
        print(f"emulator at {running.url}; its text: {text}", flush=True)
        yield


def _emulator_client(app: web.Application) -> Client:
    from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID

    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    return Client(credentials, endpoint=app[EMULATOR_URL], project_id=DEFAULT_PROJECT_ID)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the app until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--emulator", action="store_true", help="run against a local emulator")
    parser.add_argument(
        "--engine",
        choices=("auto", "rapidocr", "synthetic"),
        default="auto",
        help="the emulator's text: read by rapidocr, or synthetic phrases",
    )
    args = parser.parse_args(argv)
    app = create_app(emulator=args.emulator, engine=args.engine)
    web.run_app(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
