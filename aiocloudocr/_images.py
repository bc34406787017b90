"""Image sources (bytes, path, file object, base64, URL) and each operation's image limits."""

from __future__ import annotations

import binascii
import io
import os
import re
import struct
from typing import IO, Union

import aiofiles
import aiofiles.os
import attrs
from yarl import URL

from aiocloudocr._codecs import b64decode
from aiocloudocr._image_structure import structure_problem
from aiocloudocr.errors import ValidationError

ImageSource = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]
"""Anything an operation accepts as its image."""

MB = 1024 * 1024


@attrs.frozen(kw_only=True)
class ImageLimits:
    """What an operation accepts, and the codes its service answers when an image breaks it.

    ``formats`` are Pillow format names (``JPEG``, ``PNG``, ``BMP``, ``TIFF``, ``TGA``,
    ``WEBP``, ``ICO``, ``PCX``, ``GIF``); every side must lie in ``[min_side, max_side]``
    pixels and the raw image must be at most ``max_bytes``; a truncated or corrupt image
    (see :func:`check_structure`) is answered ``damaged_code``. OCR answers AIS.0102,
    AIS.0103 and AIS.0104; the Image Recognition service has its own codes, so each
    operation names them.
    """

    formats: frozenset[str]
    min_side: int = 15
    max_side: int = 8192
    max_bytes: int = 10 * MB
    format_code: str = "AIS.0102"
    size_code: str = "AIS.0103"
    # An image that will not decode. The OCR table (seed 002) has no "damaged" code: l.826
    # "AIS.0104 The image is not supported or the image quality is poor ... Check the image
    # type and quality" covers it, as AIS.0102 (l.824) is about the format, which the header
    # shows to be an accepted one, and AIS.0103 (l.825) about the size. The Image table
    # (seed 003) has l.1052 "AIS.0503 The image is damaged" in the tagging APIs' 05xx
    # series; its image-processing 02xx series has none, and l.1042 "AIS.0201 An exception
    # occurred during the process of obtaining the input image" is the nearest there.
    damaged_code: str = "AIS.0104"


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
        return b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            "image is not valid base64 text; pass bytes, a path or a file object instead",
            code="AIS.0015",
            field="image",
        ) from None


async def resolve_image(source: ImageSource) -> ResolvedImage:
    """Read an image source into bytes (paths via aiofiles) or recognise it as a URL.

    Text is taken, in this order, as: an ``http(s)://`` URL; a ``data:`` URI; the path of
    an existing file; a path to a missing file; base64 text. Text counts as a path when it
    is shorter than 4096 characters (the Linux PATH_MAX) and holds a path separator
    (``/`` or ``\\``) or ends in a file extension (``.jpg``), unless it is valid base64
    of an image (a known image signature, or Pillow recognises it): ``/`` is a base64
    character and base64 images nearly always hold one. A missing path raises
    :class:`ValidationError` ``no such file: <path>`` (field ``image``). An empty image
    (no bytes, an empty file or file object, empty base64 text) raises a ValidationError
    saying it is empty (0 bytes), whether or not the image checks are on.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return ResolvedImage(data=_non_empty(bytes(source), "the image"))
    if isinstance(source, str):
        return await _resolve_text(source)
    if isinstance(source, os.PathLike):
        return ResolvedImage(data=await _read_image_file(os.fspath(source)))
    read = getattr(source, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, (bytes, bytearray)):
            raise ValidationError("image file objects must be opened in binary mode", field="image")
        return ResolvedImage(data=_non_empty(bytes(data), "the image file object"))
    raise ValidationError(
        f"cannot use {type(source).__name__} as an image: pass bytes, a path, a binary file "
        "object, base64 text or an http(s) URL",
        field="image",
    )


_PATH_MAX = 4096
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


async def _resolve_text(source: str) -> ResolvedImage:
    if source.startswith(("http://", "https://")):
        return ResolvedImage(url=encode_url(source))
    if source.startswith("data:"):
        return ResolvedImage(data=_non_empty(decode_base64(source), "the base64 image"))
    if not source.strip():
        raise ValidationError("the image is empty (0 bytes)", code="AIS.0101", field="image")
    if len(source) < _PATH_MAX and await aiofiles.os.path.isfile(source):
        return ResolvedImage(data=await _read_image_file(source))
    if _looks_like_path(source):
        data = _base64_image(source)
        if data is None:
            raise ValidationError(f"no such file: {source}", field="image")
        return ResolvedImage(data=data)
    if _looks_like_base64(source):
        return ResolvedImage(data=decode_base64(source))
    raise ValidationError(
        f"no such file: {_shorten(source)} (and it is not base64 text or an http(s) URL)",
        field="image",
    )


def _non_empty(data: bytes, what: str) -> bytes:
    if not data:
        raise ValidationError(f"{what} is empty (0 bytes)", code="AIS.0101", field="image")
    return data


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _looks_like_path(text: str) -> bool:
    return len(text) < _PATH_MAX and (
        "/" in text or "\\" in text or _EXTENSION.search(text) is not None
    )


def _base64_image(text: str) -> bytes | None:
    """The decoded image if ``text`` is base64 of an image, else ``None``."""
    if not _looks_like_base64(text):
        return None
    try:
        data = decode_base64(text)
    except ValidationError:
        return None
    return data if _is_image(data) else None


# Leading bytes of the formats the services accept, with Pillow's name for each; Pillow
# decides for the others (TGA has no signature, PCX only a one-byte one; WEBP is a RIFF
# form, matched apart).
_SIGNATURE_FORMATS = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),  # little-endian
    (b"MM\x00*", "TIFF"),  # big-endian
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"\x00\x00\x01\x00", "ICO"),
)
_SIGNATURES = tuple(signature for signature, _ in _SIGNATURE_FORMATS)


def _is_image(data: bytes) -> bool:
    if data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return True
    # Only short, path-like text without a signature gets here; Pillow is imported lazily,
    # as in check_image.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)):
            return True
    except Image.DecompressionBombError:
        return True  # an image, if a huge one: check_image reports it
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False


_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")


def _looks_like_base64(text: str) -> bool:
    # Only text made of the base64 alphabet in whole 4-character groups is taken for an image.
    compact = "".join(text.split())
    return len(compact) >= 8 and len(compact) % 4 == 0 and set(compact) <= _BASE64_CHARS


async def _read_image_file(path: str) -> bytes:
    return _non_empty(await _read_path(path), f"the image file {path!r}")


async def _read_path(path: str) -> bytes:
    try:
        async with aiofiles.open(path, "rb") as handle:
            return await handle.read()
    except FileNotFoundError:
        raise ValidationError(f"no such file: {path}", field="image") from None
    except OSError as exc:
        raise ValidationError(
            f"cannot read image file {path!r}: {exc.strerror}", field="image"
        ) from None


def encoded_size(raw_size: int) -> int:
    """Length of the base64 text for ``raw_size`` bytes."""
    return 4 * ((raw_size + 2) // 3)


def check_image(data: bytes, limits: ImageLimits) -> None:
    """Raise ValidationError, with the code the service would answer, if ``limits`` reject ``data``.

    Reads the image header (format and dimensions), then walks the file's structure (see
    :func:`check_structure`); pixels are never decoded.
    """
    check_header(data, limits, structure=True)


def check_header(data: bytes, limits: ImageLimits, *, structure: bool = False) -> str:
    """Check the size, format and dimensions against ``limits``; return Pillow's format name.

    With ``structure`` the file's structure is walked before the dimensions are judged: a
    flipped bit in a header reads as absurd dimensions, and is a damaged image.
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
    if structure:
        check_structure(data, image_format, limits)
    for side, value in (("width", width), ("height", height)):
        if not limits.min_side <= value <= limits.max_side:
            raise ValidationError(
                f"the image is {width}x{height} px; every side must be {limits.min_side} to "
                f"{limits.max_side} px: resize it ({side} is out of range)",
                code=limits.size_code,
                field="image",
            )
    return image_format


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIZE = struct.Struct(">II")
_JPEG_SIZE = struct.Struct(">HH")
# SOF markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but not
# the meaning.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _fast_header(data: bytes) -> tuple[str, tuple[int, int]] | None:
    """PNG and JPEG (most bulk inputs) sized straight from their headers, in a microsecond;
    None for anything else or anything unusual, which Pillow then reads."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = _SIZE.unpack_from(data, 16)
        return "PNG", (width, height)
    if data.startswith(b"\xff\xd8"):
        offset, end = 2, len(data)
        while offset + 9 <= end and data[offset] == 0xFF:
            marker = data[offset + 1]
            if marker == 0xFF:  # fill byte
                offset += 1
                continue
            if marker in _JPEG_SOF:
                height, width = _JPEG_SIZE.unpack_from(data, offset + 5)
                return "JPEG", (width, height)
            if marker == 0xDA:  # a scan before any frame header: leave it to Pillow
                return None
            offset += 2 + int.from_bytes(data[offset + 2 : offset + 4], "big")
    return None


def _read_header(data: bytes, limits: ImageLimits) -> tuple[str, tuple[int, int]]:
    fast = _fast_header(data)
    if fast is not None:
        return fast
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
        pass
    # Pillow also gives up on a header that is cut short or fails its CRC: an accepted
    # format's signature followed by a broken structure is a damaged image, not an unknown one.
    claimed = _signature_format(data)
    if claimed is not None and claimed in limits.formats:
        check_structure(data, claimed, limits)
    head = data[:8].hex(" ")
    raise ValidationError(
        f"the image format is not recognised (first bytes: {head}); use one of "
        f"{', '.join(sorted(limits.formats))}",
        code=limits.format_code,
        field="image",
    )


def _signature_format(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for signature, image_format in _SIGNATURE_FORMATS:
        if data.startswith(signature):
            return image_format
    return None


def check_structure(data: bytes, image_format: str, limits: ImageLimits) -> None:
    """Raise ValidationError ``limits.damaged_code`` if ``data`` is truncated or corrupt.

    Walks the container (PNG chunks and their CRCs, JPEG markers up to the first scan and
    the EOI, GIF blocks, the BMP, WEBP and TIFF sizes and offsets) for what a decoder would
    reject, without decoding pixels. TGA, ICO and PCX are left to the header check.
    """
    problem = structure_problem(data, image_format)
    if problem is not None:
        raise ValidationError(
            f"{problem}; nothing was sent: re-download or re-export the image",
            code=limits.damaged_code,
            field="image",
        )
