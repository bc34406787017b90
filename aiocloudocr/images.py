"""Image sources (bytes, path, file object, base64, URL) and each operation's image limits."""

from __future__ import annotations

import base64
import binascii
import io
import os
from typing import IO, Union

import aiofiles
import aiofiles.os
import attrs
from yarl import URL

from aiocloudocr.errors import ValidationError

ImageSource = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]
"""Anything an operation accepts as its image."""

MB = 1024 * 1024


@attrs.frozen(kw_only=True)
class ImageLimits:
    """What an operation accepts, and the codes its service answers when an image breaks it.

    ``formats`` are Pillow format names (``JPEG``, ``PNG``, ``BMP``, ``TIFF``, ``TGA``,
    ``WEBP``, ``ICO``, ``PCX``, ``GIF``); every side must lie in ``[min_side, max_side]``
    pixels and the raw image must be at most ``max_bytes``. OCR answers AIS.0102/AIS.0103;
    the Image Recognition service has its own codes, so each operation names them.
    """

    formats: frozenset[str]
    min_side: int = 15
    max_side: int = 8192
    max_bytes: int = 10 * MB
    format_code: str = "AIS.0102"
    size_code: str = "AIS.0103"


@attrs.frozen(kw_only=True)
class ResolvedImage:
    """An image source reduced to what goes on the wire: the image bytes or a URL."""

    data: bytes | None = attrs.field(default=None, repr=False)
    url: str | None = None


def encode_url(url: str) -> str:
    """Return ``url`` with non-ASCII characters percent-encoded, as the service requires."""
    return str(URL(url))


def _strip_data_uri(text: str) -> str:
    # The service rejects a "data:image/...;base64," prefix; drop it for the caller.
    if text.startswith("data:"):
        _, sep, rest = text.partition(",")
        return rest if sep else text
    return text


def decode_base64(text: str) -> bytes:
    """Decode base64 image text (a ``data:`` prefix is removed); AIS.0015 if it is not base64."""
    cleaned = "".join(_strip_data_uri(text.strip()).split())
    if "-" in cleaned or "_" in cleaned:  # URL-safe alphabet: the service wants the standard one
        cleaned = cleaned.translate(str.maketrans("-_", "+/"))
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            "image is not valid base64 text; pass bytes, a path or a file object instead",
            code="AIS.0015",
            field="image",
        ) from None


async def resolve_image(source: ImageSource) -> ResolvedImage:
    """Read an image source into bytes (paths via aiofiles) or recognise it as a URL."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return ResolvedImage(data=bytes(source))
    if isinstance(source, str):
        if source.startswith(("http://", "https://")):
            return ResolvedImage(url=encode_url(source))
        if source.startswith("data:"):
            return ResolvedImage(data=decode_base64(source))
        if len(source) < 4096 and await aiofiles.os.path.isfile(source):
            return ResolvedImage(data=await _read_path(source))
        if _looks_like_base64(source):
            return ResolvedImage(data=decode_base64(source))
        raise ValidationError(
            f"no such image file: {source[:200]!r} (and it is not base64 text or an http(s) URL)",
            field="image",
        )
    if isinstance(source, os.PathLike):
        return ResolvedImage(data=await _read_path(os.fspath(source)))
    read = getattr(source, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, (bytes, bytearray)):
            raise ValidationError("image file objects must be opened in binary mode", field="image")
        return ResolvedImage(data=bytes(data))
    raise ValidationError(
        f"cannot use {type(source).__name__} as an image: pass bytes, a path, a binary file "
        "object, base64 text or an http(s) URL",
        field="image",
    )


_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")


def _looks_like_base64(text: str) -> bool:
    # Paths that do not exist fall through to here; only text made of the base64 alphabet
    # in whole 4-character groups is taken for an image.
    compact = "".join(text.split())
    return len(compact) >= 8 and len(compact) % 4 == 0 and set(compact) <= _BASE64_CHARS


async def _read_path(path: str) -> bytes:
    try:
        async with aiofiles.open(path, "rb") as handle:
            return await handle.read()
    except OSError as exc:
        raise ValidationError(
            f"cannot read image file {path!r}: {exc.strerror}", field="image"
        ) from None


def encoded_size(raw_size: int) -> int:
    """Length of the base64 text for ``raw_size`` bytes."""
    return 4 * ((raw_size + 2) // 3)


def check_image(data: bytes, limits: ImageLimits) -> None:
    """Raise ValidationError, with the code the service would answer, if ``limits`` reject ``data``.

    Reads only the image header (format and dimensions); pixels are never decoded.
    """
    if not data:
        raise ValidationError("the image is empty (0 bytes)", code="AIS.0101", field="image")
    size = encoded_size(len(data))
    if size > limits.max_bytes:
        raise ValidationError(
            f"the base64-encoded image is {size / MB:.1f} MB; at most {limits.max_bytes / MB:g} MB "
            "is accepted: compress or downscale it",
            code=limits.size_code,
            field="image",
        )
    image_format, (width, height) = _read_header(data, limits)
    if image_format not in limits.formats:
        raise ValidationError(
            f"{image_format} images are not accepted here; use one of "
            f"{', '.join(sorted(limits.formats))}",
            code=limits.format_code,
            field="image",
        )
    for side, value in (("width", width), ("height", height)):
        if not limits.min_side <= value <= limits.max_side:
            raise ValidationError(
                f"the image is {width}x{height} px; every side must be {limits.min_side} to "
                f"{limits.max_side} px: resize it ({side} is out of range)",
                code=limits.size_code,
                field="image",
            )


def _read_header(data: bytes, limits: ImageLimits) -> tuple[str, tuple[int, int]]:
    # Pillow is imported here so that importing the client stays fast for callers that never
    # check an image (URL inputs, checks turned off).
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return str(image.format), image.size
    except Image.DecompressionBombError:
        raise ValidationError(
            f"the image's dimensions are far beyond {limits.max_side} px per side: resize it",
            code=limits.size_code,
            field="image",
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        head = data[:8].hex(" ")
        raise ValidationError(
            f"the image format is not recognised (first bytes: {head}); use one of "
            f"{', '.join(sorted(limits.formats))}",
            code=limits.format_code,
            field="image",
        ) from None
