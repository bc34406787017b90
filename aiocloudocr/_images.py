"""Image sources (bytes, path, file object, base64, URL) and each operation's image limits."""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import struct
import zlib
from collections.abc import Callable
from typing import IO, Literal, Union

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
        return base64.b64decode(cleaned, validate=True)
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
    find_problem = _STRUCTURE_CHECKS.get(image_format)
    problem = find_problem(data) if find_problem is not None else None
    if problem is not None:
        raise ValidationError(
            f"{problem}; nothing was sent: re-download or re-export the image",
            code=limits.damaged_code,
            field="image",
        )


# Each structure check returns what is wrong with the image, or None. Bytes after the end
# of an image (after PNG's IEND, JPEG's EOI, past the RIFF or BMP size) are allowed: decoders
# stop at the end and never read them, and some tools pad files.

_PNG_CHUNK = struct.Struct(">I4s")
_CRC = struct.Struct(">I")


def _png_problem(data: bytes) -> str | None:
    view = memoryview(data)
    end = len(data)
    pos = 8
    after = "the signature"
    seen_idat = False
    while True:
        if pos + 8 > end:
            return f"PNG is truncated: the data ends after {after}, before the IEND chunk"
        length, kind = _PNG_CHUNK.unpack_from(data, pos)
        name = kind.decode("latin-1")
        if not kind.isalpha():
            return f"PNG is damaged: the chunk type at byte {pos} is not 4 letters ({kind!r})"
        if pos == 8 and kind != b"IHDR":
            return f"PNG is damaged: the first chunk is {name}, not IHDR"
        data_end = pos + 8 + length
        if data_end + 4 > end:
            return f"PNG is truncated: chunk {name} ends past the end of the data"
        # Every chunk's CRC, IDAT's too: libpng rejects a critical chunk whose CRC fails, and
        # the CRC over ~100 KB of IDAT costs ~15 us (benchmarks/image_checks.py).
        if zlib.crc32(view[pos + 4 : data_end]) != _CRC.unpack_from(data, data_end)[0]:
            return f"PNG is damaged: bad CRC in chunk {name}"
        if kind == b"IDAT":
            seen_idat = True
        elif kind == b"IEND":
            return None if seen_idat else "PNG has no image data: IEND comes before any IDAT"
        after = f"chunk {name}"
        pos = data_end + 4


# Start-of-frame markers (SOF0-3, 5-7, 9-11, 13-15; C4 is DHT, C8 reserved, CC is DAC) and
# the markers that stand alone, without a length (TEM, RST0-7).
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE = frozenset({0x01, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7})
_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_MARKER_NAMES = {0xC4: "DHT", 0xCC: "DAC", 0xDA: "SOS", 0xDB: "DQT", 0xDD: "DRI", 0xFE: "COM"}


def _marker_name(marker: int) -> str:
    if marker in _SOF:
        return f"SOF{marker - 0xC0}"
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    return _MARKER_NAMES.get(marker, f"FF{marker:02X}")


def _jpeg_problem(data: bytes) -> str | None:
    end = len(data)
    pos = 2
    seen_sof = False
    while True:
        # libjpeg skips stray bytes and fill bytes before a marker (with a warning): so do we.
        pos = data.find(b"\xff", pos)
        while 0 <= pos < end - 1 and data[pos + 1] == 0xFF:
            pos += 1
        if pos < 0 or pos + 1 >= end:
            return "JPEG is truncated: the data ends before the image data (no SOS marker)"
        marker = data[pos + 1]
        if marker == 0 or marker in _STANDALONE:
            pos += 2
            continue
        if marker == _EOI:
            return "JPEG has no image data: EOI comes before any SOS marker"
        if marker == _SOI:
            return f"JPEG is damaged: a second SOI marker at byte {pos}"
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        segment_end = pos + 2 + length
        if pos + 4 > end or segment_end > end:
            name = _marker_name(marker)
            return f"JPEG is truncated: segment {name} ends past the end of the data"
        if length < 2:
            return f"JPEG is damaged: segment {_marker_name(marker)} has a length below 2"
        if marker in _SOF:
            seen_sof = True
        elif marker == _SOS:
            if not seen_sof:
                return "JPEG is damaged: image data (SOS) comes before any frame header (SOF)"
            # Entropy-coded data never holds FF D9 (an FF there is followed by 00 or RSTn), so
            # the last FF D9 after the first scan is the EOI; a search from the end finds it
            # at once in an intact file.
            if data.rfind(b"\xff\xd9", segment_end) < 0:
                return "JPEG is truncated: no EOI marker after the image data"
            return None
        pos = segment_end


def _colour_table_size(flags: int) -> int:
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _gif_problem(data: bytes) -> str | None:
    # Walks every block and sub-block (about one step per 255 bytes). Not "ends with the 3B
    # trailer": real GIFs that Pillow and browsers display lack it or have bytes after it
    # (CPython's own idlelib icons), so data that stops between two blocks passes.
    end = len(data)
    if end < 13:
        return "GIF is truncated: the logical screen descriptor is cut short"
    pos = 13 + _colour_table_size(data[10])
    if pos > end:
        return "GIF is truncated: the global colour table ends past the end of the data"
    images = 0
    while pos < end:
        kind = data[pos]
        if kind == 0x3B:  # the trailer
            break
        if kind == 0x2C:  # an image: descriptor, local colour table, LZW code size, data
            if pos + 10 > end:
                return "GIF is truncated: an image descriptor is cut short"
            pos += 11 + _colour_table_size(data[pos + 9])
            images += 1
        elif kind == 0x21:  # an extension: its label, then its data
            pos += 2
        elif images:
            break  # stray bytes after an image: Pillow skips them
        else:
            return f"GIF is damaged: unexpected byte {kind:02X} at {pos}, before any image"
        while pos < end and data[pos]:
            pos += data[pos] + 1
        if pos >= end:
            return "GIF is truncated: a block ends past the end of the data"
        pos += 1  # the block terminator
    return None if images else "GIF has no image: no image block before its end"


def _bmp_problem(data: bytes) -> str | None:
    if len(data) < 14:
        return "BMP is truncated: the file header is cut short"
    file_size = int.from_bytes(data[2:6], "little")
    offset = int.from_bytes(data[10:14], "little")
    # Some writers leave the size field 0; the pixel offset still tells a cut file.
    if file_size > len(data):
        return f"BMP is truncated: its header gives {file_size} bytes, the data has {len(data)}"
    if offset >= len(data):
        return f"BMP is truncated: its pixel data would start at byte {offset}, past the end"
    return None


def _webp_problem(data: bytes) -> str | None:
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data):
        return f"WEBP is truncated: its RIFF header gives {riff_end} bytes, the data {len(data)}"
    return None


def _tiff_problem(data: bytes) -> str | None:
    order: Literal["little", "big"] = "little" if data[:2] == b"II" else "big"
    if int.from_bytes(data[2:4], order) != 42:
        return None  # BigTIFF (43) has 8-byte offsets: left to the header check
    if len(data) < 8:
        return "TIFF is truncated: the header is cut short"
    ifd = int.from_bytes(data[4:8], order)
    if ifd < 8 or ifd + 2 > len(data):
        return f"TIFF is damaged: its first IFD offset ({ifd}) lies outside the data"
    if ifd + 2 + 12 * int.from_bytes(data[ifd : ifd + 2], order) + 4 > len(data):
        return "TIFF is truncated: its first IFD ends past the end of the data"
    return None


_STRUCTURE_CHECKS: dict[str, Callable[[bytes], str | None]] = {
    "PNG": _png_problem,
    "JPEG": _jpeg_problem,
    "GIF": _gif_problem,
    "BMP": _bmp_problem,
    "WEBP": _webp_problem,
    "TIFF": _tiff_problem,
}
