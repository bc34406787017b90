"""The image pipeline shared by every operation: source, base64, URL fetch, format and size."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import warnings
from collections.abc import Mapping
from io import BytesIO
from typing import Any

import aiohttp
import attrs
from PIL import Image
from yarl import URL

from aiocloudocr._images import ImageLimits
from aiocloudocr.emulator._errors import ApiError

URL_FETCH_TIMEOUT = 10.0
URL_FETCH_MAX_BYTES = 10 * 1024 * 1024


@attrs.frozen(kw_only=True)
class ServiceCodes:
    """The error codes a family of APIs uses for the same five request problems."""

    invalid: str
    base64: str
    format: str
    size: str
    json: str


# The OCR table (seed 002) has no base64 code (it answers AIS.0101) and reports malformed
# JSON with ModelArts.4105.
OCR_CODES = ServiceCodes(
    invalid="AIS.0101", base64="AIS.0101", format="AIS.0102", size="AIS.0103", json="ModelArts.4105"
)
# The Image table (seed 003): its examples answer AIS.0014 for malformed JSON, and AIS.0504
# states the tagging limits, so the 05xx series is the tagging APIs'.
TAGGING_CODES = ServiceCodes(
    invalid="AIS.0501", base64="AIS.0015", format="AIS.0502", size="AIS.0504", json="AIS.0014"
)
# The Image table's 02xx series ("obtaining the input image", "resolution exceeds the upper
# limit", ...) is the image-processing APIs' (dark enhance, defog, super resolution).
VISION_CODES = ServiceCodes(
    invalid="AIS.0203", base64="AIS.0015", format="AIS.0202", size="AIS.0205", json="AIS.0014"
)
# Background music takes a video URL: a missing url is AIS.0011, a file that is not MP4
# AIS.0021, one over 65 MB AIS.0023 (the URLs are documented as OBS ones).
VIDEO_CODES = ServiceCodes(
    invalid="AIS.0011", base64="AIS.0015", format="AIS.0021", size="AIS.0023", json="AIS.0014"
)


@attrs.frozen(kw_only=True)
class ImageInfo:
    """An accepted image: its bytes, a digest to seed results with, its format and size."""

    data: bytes = attrs.field(repr=False)
    digest: bytes = attrs.field(repr=False)
    format: str
    width: int
    height: int


@attrs.frozen(kw_only=True)
class Source:
    """Where the image comes from: base64 text or a URL (exactly one is set)."""

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None


def image_source(body: Mapping[str, Any], codes: ServiceCodes) -> Source:
    """Exactly one non-empty ``image``/``url`` string, else the service's invalid-input error."""
    image, url = body.get("image"), body.get("url")
    for value in (image, url):
        if value is not None and not isinstance(value, str):
            raise ApiError(400, codes.invalid)
    if bool(image) == bool(url):
        raise ApiError(400, codes.invalid)
    return Source(image=image or None, url=url or None)


def decode_base64(text: str, codes: ServiceCodes) -> bytes:
    """Decode base64 image text the way the service does."""
    if text.startswith("data:"):
        # Documented: an image with a data-URI prefix is reported as an unsupported format.
        raise ApiError(400, codes.format)
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, codes.base64) from None


def inspect_image(
    data: bytes, limits: ImageLimits | None, codes: ServiceCodes, *, max_pixels: int | None = None
) -> ImageInfo:
    """Identify the image from its header only (no pixel decoding) and check the limits.

    ``max_pixels`` bounds width x height for APIs that decode and transform the pixels.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                fmt, (width, height) = image.format or "", image.size
    except Image.DecompressionBombError:
        raise ApiError(400, codes.size) from None
    except Exception:
        # Pillow raises a zoo of errors on garbage headers; all mean "not an image we take".
        raise ApiError(400, codes.format) from None
    if limits is not None:
        if fmt not in limits.formats:
            raise ApiError(400, codes.format)
        too_small = min(width, height) < limits.min_side
        if too_small or max(width, height) > limits.max_side or len(data) > limits.max_bytes:
            raise ApiError(400, codes.size)
    if max_pixels is not None and width * height > max_pixels:
        raise ApiError(400, codes.size)
    return ImageInfo(
        data=data, digest=hashlib.sha256(data).digest(), format=fmt, width=width, height=height
    )


def check_url(url: str, allow_hosts: tuple[str, ...]) -> URL:
    """The parsed URL if it is http(s) to an allowed host, else 400 ModelArts.4601."""
    try:
        parsed = URL(url)
    except ValueError:
        raise ApiError(400, "ModelArts.4601") from None
    allowed = {host.lower() for host in allow_hosts}
    if parsed.scheme not in ("http", "https") or (parsed.host or "").lower() not in allowed:
        raise ApiError(400, "ModelArts.4601")
    return parsed


async def fetch_url(url: URL, max_bytes: int = URL_FETCH_MAX_BYTES) -> bytes:
    """Download at most ``max_bytes + 1`` bytes (the size check reports more as too big)."""
    timeout = aiohttp.ClientTimeout(total=URL_FETCH_TIMEOUT)
    data = bytearray()
    try:
        # No redirects: a redirect could lead to a host the configuration does not allow.
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise ApiError(400, "ModelArts.4603")
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    break
    except (aiohttp.ClientError, asyncio.TimeoutError):
        raise ApiError(400, "ModelArts.4603") from None
    if not data:
        raise ApiError(400, "ModelArts.4603")
    return bytes(data[: max_bytes + 1])
