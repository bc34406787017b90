"""Helpers for the emulator's own tests: images, request bodies and signed requests."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

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
