"""The backend part of a call: parse the body, check it, get the media, build the answer."""

from __future__ import annotations

import asyncio
import base64
import email.parser
import email.policy
import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from aiohttp import web

from aiocloudocr.emulator._behaviours import (
    Behaviour,
    ImageBehaviour,
    TextBehaviour,
    VideoBehaviour,
    VisionBehaviour,
)
from aiocloudocr.emulator._behaviours.vision import MAX_PIXELS
from aiocloudocr.emulator._engines import TextEngine, UnreadableImageError
from aiocloudocr.emulator._errors import ApiError, json_response
from aiocloudocr.emulator._images import (
    ServiceCodes,
    check_url,
    decode_base64,
    fetch_url,
    image_source,
    inspect_image,
)

MULTIPART = "multipart/form-data"
FILE_FIELD = "file"


@attrs.frozen(kw_only=True)
class Payload:
    """A parsed request body: its fields and, for a multipart form, the uploaded file."""

    fields: Mapping[str, Any]
    file: bytes | None = attrs.field(default=None, repr=False)
    multipart: bool = False


def parse_json(raw: bytes, codes: ServiceCodes) -> Payload:
    """A JSON object body; anything else is the family's malformed-JSON error."""
    try:
        body = json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        raise ApiError(400, codes.json) from None
    if not isinstance(body, dict):
        raise ApiError(400, codes.json)
    return Payload(fields=body)


def parse_form(
    raw: bytes,
    content_type: str,
    form_fields: Mapping[str, Callable[[str], Any]],
    codes: ServiceCodes,
) -> Payload:
    """A multipart/form-data body: the ``file`` part as bytes, other parts typed as JSON."""
    # The body was read whole for the signature check, so aiohttp's streaming reader can no
    # longer see it; the stdlib MIME parser splits the same bytes exactly (binary-safe).
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise ApiError(400, codes.invalid)
    fields: dict[str, Any] = {}
    upload: bytes | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(data, bytes):
            continue
        if name == FILE_FIELD:
            upload = data
        else:
            text = data.decode("utf-8", "replace")
            fields[name] = form_fields.get(name, str)(text)
    return Payload(fields=fields, file=upload, multipart=True)


async def process(
    behaviour: Behaviour,
    raw: bytes,
    content_type: str,
    allow_hosts: tuple[str, ...],
    engine: TextEngine,
) -> web.StreamResponse:
    """Run the behaviour's pipeline on the body; ApiError for any documented rejection.

    ``engine`` reads the text of a :class:`TextBehaviour`'s images.
    """
    if isinstance(behaviour, VisionBehaviour):
        if content_type.split(";")[0].strip().lower() == MULTIPART:
            payload = parse_form(raw, content_type, behaviour.form_fields, behaviour.codes)
        else:
            payload = parse_json(raw, behaviour.codes)
        return await _vision(behaviour, payload)
    payload = parse_json(raw, behaviour.codes)
    if isinstance(behaviour, VideoBehaviour):
        return await _video(behaviour, payload.fields, allow_hosts)
    return await _image(behaviour, payload.fields, allow_hosts, engine)


async def _image(
    behaviour: ImageBehaviour | TextBehaviour,
    body: Mapping[str, Any],
    allow_hosts: tuple[str, ...],
    engine: TextEngine,
) -> web.StreamResponse:
    codes, limits = behaviour.codes, behaviour.limits
    source = image_source(body, codes)
    # Cheap field checks first: a bad option must not cost a download.
    behaviour.check(body, codes)
    if source.url is not None:
        data = await fetch_url(check_url(source.url, allow_hosts), limits.max_bytes)
    else:
        assert source.image is not None
        data = decode_base64(source.image, codes)
    image = inspect_image(data, limits, codes)
    if isinstance(behaviour, TextBehaviour):
        # A real engine reads in its own worker pool: the loop keeps serving meanwhile.
        try:
            text = await engine.read(image, align=behaviour.align(body))
        except UnreadableImageError:
            raise ApiError(400, behaviour.unreadable) from None
        return json_response(behaviour.answer(body, image, text))
    if behaviour.blocking:
        return json_response(await asyncio.to_thread(behaviour.answer, body, image))
    return json_response(behaviour.answer(body, image))


def _vision_input(payload: Payload, codes: ServiceCodes) -> bytes:
    # Exactly one of the base64 image and the uploaded file; no url is documented.
    image, url = payload.fields.get("image"), payload.fields.get("url")
    if image is not None and not isinstance(image, str):
        raise ApiError(400, codes.invalid)
    if url or bool(image) == (payload.file is not None):
        raise ApiError(400, codes.invalid)
    if payload.file is not None:
        return payload.file
    assert isinstance(image, str)
    return decode_base64(image, codes)


async def _vision(behaviour: VisionBehaviour, payload: Payload) -> web.StreamResponse:
    codes = behaviour.codes
    data = _vision_input(payload, codes)
    behaviour.check(payload.fields, codes)
    image = inspect_image(data, behaviour.limits, codes, max_pixels=MAX_PIXELS)
    # Pixel work runs in a thread so that other calls keep being served meanwhile.
    processed = await asyncio.to_thread(behaviour.transform, payload.fields, image, codes)
    if payload.multipart:
        # "When the API is successfully called, the byte stream of the image file is returned."
        return web.Response(body=processed.data, content_type=processed.content_type)
    return json_response({"result": base64.b64encode(processed.data).decode("ascii")})


async def _video(
    behaviour: VideoBehaviour, body: Mapping[str, Any], allow_hosts: tuple[str, ...]
) -> web.StreamResponse:
    codes = behaviour.codes
    behaviour.check(body, codes)
    data = await fetch_url(check_url(body["url"], allow_hosts), behaviour.max_bytes)
    behaviour.check_video(data, codes)
    return json_response(behaviour.answer(body, data))
