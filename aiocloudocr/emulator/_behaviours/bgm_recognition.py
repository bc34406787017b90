"""Background Music Recognition (seed 003, 7.1.5, deprecated): a song named after the video."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from yarl import URL

from aiocloudocr._images import MB
from aiocloudocr.emulator._errors import ApiError
from aiocloudocr.emulator._images import ServiceCodes

MAX_BYTES = 65 * MB
"""The documented maximum size of the video."""
SONGS = (
    "my heart will go on",
    "yesterday",
    "clair de lune",
    "the four seasons: spring",
    "take five",
    "bohemian rhapsody",
    "fly me to the moon",
    "canon in d",
)


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``url`` is mandatory: a non-empty string."""
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise ApiError(400, codes.invalid)


def check_video(data: bytes, codes: ServiceCodes) -> None:
    """Only MP4 files (an ISO media file: ``ftyp`` box first) of at most 65 MB are taken."""
    if len(data) > MAX_BYTES:
        raise ApiError(400, codes.size)
    if data[4:8] != b"ftyp":
        raise ApiError(400, codes.format)


def answer(body: Mapping[str, Any], data: bytes) -> dict[str, Any]:
    """The music's name, a function of the URL's host and path.

    The query is left out: temporarily authorised OBS URLs carry a fresh signature in it
    each time, and the same video must keep its song.
    """
    url = URL(body["url"])
    key = f"{url.host}{url.path}".encode()
    index = int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % len(SONGS)
    return {"result": {"audio_name": SONGS[index]}}
