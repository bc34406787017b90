"""What is wrong with an image's structure, if anything, read without decoding a pixel.

Each check walks one container format (PNG chunks and their CRCs, JPEG markers up to the
first scan and the EOI, GIF blocks, BMP, WEBP and TIFF sizes and offsets) and returns a
sentence saying what a decoder would reject, or None. Pure functions over bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Literal

from aiocloudocr._codecs import crc32


def structure_problem(data: bytes, image_format: str) -> str | None:
    """What is wrong with ``data`` as a ``image_format`` (Pillow's name) file, or None
    (also None for formats without a structural check: TGA, ICO, PCX)."""
    find_problem = _STRUCTURE_CHECKS.get(image_format)
    return find_problem(data) if find_problem is not None else None


# Each structure check returns what is wrong with the image, or None. Bytes after the end
# of an image (after PNG's IEND, JPEG's EOI, past the RIFF or BMP size) are allowed: decoders
# stop at the end and never read them, and some tools pad files.

_PNG_CHUNK = struct.Struct(">I4s")
_CRC = struct.Struct(">I")


def _png_problem(data: bytes) -> str | None:
    view = memoryview(data)
    end = len(data)
    pos = 8
    previous = b""  # the type of the chunk before pos (names are only spelled out on error)
    seen_idat = False
    while True:
        if pos + 8 > end:
            after = f"chunk {previous.decode('latin-1')}" if previous else "the signature"
            return f"PNG is truncated: the data ends after {after}, before the IEND chunk"
        length, kind = _PNG_CHUNK.unpack_from(data, pos)
        if not kind.isalpha():
            return f"PNG is damaged: the chunk type at byte {pos} is not 4 letters ({kind!r})"
        if pos == 8 and kind != b"IHDR":
            return f"PNG is damaged: the first chunk is {kind.decode('latin-1')}, not IHDR"
        data_end = pos + 8 + length
        if data_end + 4 > end:
            name = kind.decode("latin-1")
            return f"PNG is truncated: chunk {name} ends past the end of the data"
        # Every chunk's CRC, IDAT's too: libpng rejects a critical chunk whose CRC fails, and
        # the CRC over ~100 KB of IDAT costs ~2.5 us with zlib-ng (~16 us with zlib).
        if crc32(view[pos + 4 : data_end]) != _CRC.unpack_from(data, data_end)[0]:
            return f"PNG is damaged: bad CRC in chunk {kind.decode('latin-1')}"
        if kind == b"IDAT":
            seen_idat = True
        elif kind == b"IEND":
            return None if seen_idat else "PNG has no image data: IEND comes before any IDAT"
        previous = kind
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
