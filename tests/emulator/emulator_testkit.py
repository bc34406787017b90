"""Helpers for the emulator's own tests: images, request bodies and signed requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import struct
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote

import aiohttp
import attrs
from PIL import Image
from yarl import URL

from aiocloudocr.auth import signer
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, DEFAULT_USER, User
from aiocloudocr.operations import OPERATIONS

START = 1_700_000_000.0
"""The fake clock's starting time (2023-11-14T22:13:20Z)."""


@attrs.define
class FakeClock:
    """A wall clock that only moves when told to."""

    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def png(width: int = 64, height: int = 48, color: tuple[int, int, int] = (10, 20, 30)) -> bytes:
    """A solid-colour PNG of the given size."""
    return encode(Image.new("RGB", (width, height), color), "PNG")


def encode(image: Image.Image, fmt: str) -> bytes:
    """The image saved in ``fmt``."""
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    """Base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def op_path(name: str, project_id: str = DEFAULT_PROJECT_ID) -> str:
    """The wire path of an operation from the operation table."""
    return OPERATIONS[name].render_path(project_id)


def iam_body(
    user: User = DEFAULT_USER,
    *,
    password: str | None = None,
    scope: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A password token request for ``user`` (scoped to its project name by default)."""
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user.name,
                        "password": user.password if password is None else password,
                        "domain": {"name": user.domain},
                    }
                },
            },
            "scope": scope if scope is not None else {"project": {"name": user.project_name}},
        }
    }


def sdk_date(timestamp: float) -> str:
    """``timestamp`` as an X-Sdk-Date value."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime(signer.DATE_FORMAT)


def signed_headers(
    base_url: str,
    path: str,
    body: bytes,
    *,
    date: str,
    query: Iterable[tuple[str, str]] = (),
    ak: str = DEFAULT_KEY_PAIR.ak,
    sk: str = DEFAULT_KEY_PAIR.sk,
) -> dict[str, str]:
    """Headers (Host with port, as sent) and an Authorization signing exactly them."""
    headers = {
        "Content-Type": "application/json",
        "Host": URL(base_url).raw_authority,
        "X-Sdk-Date": date,
    }
    headers["Authorization"] = signer.sign(
        method="POST",
        path=path,
        query=list(query),
        headers=headers,
        body=body,
        access_key=ak,
        secret_key=sk,
    )
    return headers


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: Any,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any, aiohttp.ClientResponse]:
    """POST ``body`` (bytes as is, anything else as JSON); return status, JSON and response."""
    # A file-like body keeps aiohttp from warning about multi-MB raw bytes.
    data = io.BytesIO(body) if isinstance(body, bytes) else None
    payload = None if isinstance(body, bytes) else body
    async with session.post(url, data=data, json=payload, headers=headers) as response:
        return response.status, await response.json(), response


def other_sign(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    ak: str = DEFAULT_KEY_PAIR.ak,
    sk: str = DEFAULT_KEY_PAIR.sk,
    query: Iterable[tuple[str, str]] = (),
    signed: Iterable[str] | None = None,
) -> str:
    """An Authorization value from a second, independent SDK-HMAC-SHA256 signer.

    Written from the reference notes rather than with the client's signer, so that the
    emulator is checked against another reading of the algorithm. ``signed`` names the
    headers to sign (default: all of ``headers``), in any case and order.
    """
    names = sorted({name.lower() for name in (signed if signed is not None else headers)})
    values = {name.lower(): value.strip() for name, value in headers.items()}
    segments = [quote(unquote(segment), safe="~") for segment in path.split("/")]
    uri = "/".join(segments).rstrip("/") + "/"
    pairs = sorted((quote(k, safe="~"), quote(v, safe="~")) for k, v in query)
    unsigned = values.get("x-sdk-content-sha256")
    payload = unsigned or hashlib.sha256(body).hexdigest()
    canonical = "\n".join(
        [
            method,
            uri,
            "&".join(f"{k}={v}" for k, v in pairs),
            "".join(f"{name}:{values.get(name, '')}\n" for name in names),
            ";".join(names),
            payload,
        ]
    )
    to_sign = (
        f"SDK-HMAC-SHA256\n{values['x-sdk-date']}\n"
        + hashlib.sha256(canonical.encode()).hexdigest()
    )
    sig = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"SDK-HMAC-SHA256 Access={ak},SignedHeaders={';'.join(names)},Signature={sig}"


def multipart(
    fields: Mapping[str, str], file: bytes | None, filename: str = "in.png"
) -> tuple[bytes, str]:
    """A multipart/form-data body with text ``fields`` and an optional ``file`` part."""
    boundary = "emulator-test-boundary-7d3f"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + value.encode() + b"\r\n")
    if file is not None:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + file + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def mp4(tag: bytes = b"") -> bytes:
    """Bytes that start like an MP4 file (an ``ftyp`` box), padded with ``tag``."""
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + tag


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    """An RGB image whose pixels span dark to light, so tone curves show."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [((x * 255) // (width - 1), (y * 255) // (height - 1), 90) for y in range(height)
         for x in range(width)]
    )  # fmt: skip
    return image


async def post_raw(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, bytes, aiohttp.ClientResponse]:
    """POST raw bytes; return status, body bytes and response."""
    async with session.post(url, data=io.BytesIO(body), headers=headers) as response:
        return response.status, await response.read(), response


def png_header(width: int, height: int) -> bytes:
    """A PNG that only has a header claiming ``width`` x ``height`` (no pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


async def post_web_image(
    running: Any,
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    *,
    body: bytes | None = None,
    path: str | None = None,
) -> tuple[int, Any]:
    """POST a web_image call (a small PNG unless ``body``) to a running emulator."""
    url = running.url + (path or op_path("web_image"))
    payload = body if body is not None else ('{"image": "' + b64(png()) + '"}').encode()
    status, answer, _ = await post(session, url, payload, headers)
    return status, answer
