"""The structural check: truncated or corrupt images fail before a paid request is sent."""

from __future__ import annotations

import contextlib
import io
import random
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image

from aiocloudocr import APIError, ValidationError
from aiocloudocr._images import ImageLimits, check_image
from aiocloudocr.operations import IMAGE_TAGGING, OPERATIONS, WEB_IMAGE
from tests.conftest import aksk_client

_limits = WEB_IMAGE.limits
assert _limits is not None
LIMITS: ImageLimits = _limits


def _noise(size: tuple[int, int] = (64, 48), seed: int = 0) -> Image.Image:
    # Noise, so that the pixel data spans several kilobytes and cuts land inside it.
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def _save(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _chunks(png: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end) of each PNG chunk, end past its CRC."""
    pos = 8
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        yield png[pos + 4 : pos + 8], pos, pos + 12 + length
        pos += 12 + length


def _chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def _segments(jpeg: bytes) -> dict[int, tuple[int, int]]:
    """First (start, end) of each JPEG marker segment before the first scan's data."""
    found: dict[int, tuple[int, int]] = {}
    pos = 2
    while True:
        marker = jpeg[pos + 1]
        end = pos + 2 + int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        found.setdefault(marker, (pos, end))
        if marker == 0xDA:
            return found
        pos = end


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _damage(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_image(data, LIMITS)
    assert (info.value.code, info.value.field) == ("AIS.0104", "image")
    assert "nothing was sent" in info.value.message
    return info.value


PNG = _save(_noise(), "PNG")
IDAT = next((start, end) for kind, start, end in _chunks(PNG) if kind == b"IDAT")
JPEG = _save(_noise(), "JPEG", quality=90)
PROGRESSIVE = _save(_noise(), "JPEG", quality=90, progressive=True)


def _png_with_text_after_idat() -> bytes:
    iend = PNG.rindex(b"IEND") - 4
    return PNG[:iend] + _chunk(b"tEXt", b"Comment\x00after the pixels") + PNG[iend:]


def _apng() -> bytes:
    frames = [_noise(seed=1), _noise(seed=2)]
    return _save(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def _png_mode(mode: str, **options: Any) -> bytes:
    return _save(_noise().convert(mode), "PNG", **options)


INTACT: dict[str, Callable[[], bytes]] = {
    "PNG": lambda: PNG,
    "PNG, palette": lambda: _png_mode("P"),
    "PNG, 16-bit grey": lambda: _png_mode("I;16"),
    "PNG, interlaced": lambda: _save(_noise(), "PNG", interlace=1),
    "PNG, text chunks before IDAT": lambda: _save(_noise(), "PNG", pnginfo=_pnginfo()),
    "PNG, ancillary chunk after IDAT": _png_with_text_after_idat,
    "PNG, bytes after IEND": lambda: PNG + b"\x00" * 100 + b"trailing garbage",
    "PNG, 8 KB IDAT chunks": lambda: _rechunked(PNG, 8192),
    "APNG": _apng,
    "JPEG": lambda: JPEG,
    "JPEG, progressive": lambda: PROGRESSIVE,
    "JPEG, optimized, 4:4:4, EXIF": lambda: _save(
        _noise(), "JPEG", optimize=True, subsampling=0, exif=Image.Exif()
    ),
    "JPEG, grey with restart markers": lambda: _save(
        _noise().convert("L"), "JPEG", restart_marker_blocks=1
    ),
    "JPEG, bytes after EOI": lambda: JPEG + b"\x00" * 64 + b"\xff\xd8 not an image",
    "BMP": lambda: _save(_noise(), "BMP"),
    "TIFF": lambda: _save(_noise(), "TIFF"),
    "TIFF, LZW": lambda: _save(_noise(), "TIFF", compression="tiff_lzw"),
    "TGA": lambda: _save(_noise(), "TGA"),
    "WEBP": lambda: _save(_noise(), "WEBP"),
    "WEBP, lossless": lambda: _save(_noise(), "WEBP", lossless=True),
    "ICO": lambda: _save(_noise().convert("RGBA"), "ICO"),
    "PCX": lambda: _save(_noise(), "PCX"),
    "GIF": lambda: _save(_noise().convert("P"), "GIF"),
    "GIF, animated": lambda: _save(
        _noise(seed=1).convert("P"),
        "GIF",
        save_all=True,
        append_images=[_noise(seed=2).convert("P")],
    ),
    "GIF, no trailer": lambda: _save(_noise().convert("P"), "GIF")[:-1],
    "GIF, bytes after the trailer": lambda: _save(_noise().convert("P"), "GIF") + b"\x1a\x14;",
}


def _pnginfo() -> Any:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", "aiocloudocr tests")
    info.add_itxt("Title", "d\u00e9j\u00e0 vu", zip=True)
    return info


def _rechunked(png: bytes, size: int) -> bytes:
    # As libpng writes: the image data split into many IDAT chunks.
    chunks = list(_chunks(png))
    data = b"".join(png[s + 8 : e - 4] for kind, s, e in chunks if kind == b"IDAT")
    first = next(s for kind, s, _ in chunks if kind == b"IDAT")
    last = max(e for kind, _, e in chunks if kind == b"IDAT")
    body = b"".join(_chunk(b"IDAT", data[i : i + size]) for i in range(0, len(data), size))
    return png[:first] + body + png[last:]


@pytest.mark.parametrize("name", sorted(INTACT))
def test_intact_images_pass(name: str) -> None:
    """Intact images of every accepted format, with their common variants, pass."""
    data = INTACT[name]()
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # Pillow decodes it: it is intact
    check_image(data, LIMITS)


@pytest.mark.parametrize(
    ("cut", "problem"),
    [
        (IDAT[0] + 8 + 100, "PNG is truncated: chunk IDAT ends past the end of the data"),
        (len(PNG) - 12, "PNG is truncated: the data ends after chunk IDAT, before the IEND"),
        (len(PNG) - 2, "PNG is truncated: chunk IEND ends past the end of the data"),
        (20, "PNG is truncated: chunk IHDR ends past the end of the data"),
        (12, "PNG is truncated: the data ends after the signature"),
    ],
)
def test_truncated_png_fails(cut: int, problem: str) -> None:
    """A PNG cut inside a chunk or before IEND fails, naming where."""
    assert _damage(PNG[:cut]).message.startswith(problem)


@pytest.mark.parametrize(
    ("at", "chunk"),
    [(16, "IHDR"), (29, "IHDR"), (IDAT[0] + 8 + 500, "IDAT"), (IDAT[1] - 1, "IDAT")],
)
def test_flipped_bit_is_a_bad_crc(at: int, chunk: str) -> None:
    """A flipped bit in a chunk's data or its CRC is a bad CRC in that chunk."""
    assert f"PNG is damaged: bad CRC in chunk {chunk}" in _damage(_flip(PNG, at)).message


def test_png_without_image_data_fails() -> None:
    """A PNG whose IEND comes before any IDAT has no image data."""
    no_idat = PNG[: IDAT[0]] + PNG[IDAT[1] :]
    assert "IEND comes before any IDAT" in _damage(no_idat).message


def test_truncated_apng_fails() -> None:
    """An APNG cut in its second frame fails."""
    apng = _apng()
    fdat = next(start for kind, start, _ in _chunks(apng) if kind == b"fdAT")
    assert "chunk fdAT ends past the end" in _damage(apng[: fdat + 50]).message


SEGMENTS = _segments(JPEG)


@pytest.mark.parametrize(
    ("image", "cut", "problem"),
    [
        (JPEG, len(JPEG) // 2, "JPEG is truncated: no EOI marker after the image data"),
        (JPEG, len(JPEG) - 2, "JPEG is truncated: no EOI marker after the image data"),
        (PROGRESSIVE, len(PROGRESSIVE) * 2 // 3, "JPEG is truncated: no EOI marker"),
        (JPEG, SEGMENTS[0xDB][0] + 20, "JPEG is truncated: segment DQT ends past the end"),
        (JPEG, SEGMENTS[0xC0][0] + 6, "JPEG is truncated: segment SOF0 ends past the end"),
        (JPEG, SEGMENTS[0xC4][0] + 3, "JPEG is truncated: segment DHT ends past the end"),
        (JPEG, SEGMENTS[0xDA][1] - 2, "JPEG is truncated: segment SOS ends past the end"),
        (JPEG, 3, "JPEG is truncated: the data ends before the image data"),
    ],
)
def test_truncated_jpeg_fails(image: bytes, cut: int, problem: str) -> None:
    """A JPEG cut in a header segment, in the scan or before EOI fails, naming where."""
    assert _damage(image[:cut]).message.startswith(problem)


def test_jpeg_scan_without_frame_header_fails() -> None:
    """A JPEG whose SOF segment is missing has a scan before any frame header."""
    start, end = SEGMENTS[0xC0]
    assert "(SOS) comes before any frame header" in _damage(JPEG[:start] + JPEG[end:]).message


GIF = _save(_noise().convert("P"), "GIF")
BMP = _save(_noise(), "BMP")
WEBP = _save(_noise(), "WEBP")
TIFF = _save(_noise(), "TIFF")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (GIF[: len(GIF) // 2], "GIF is truncated: a block ends past the end of the data"),
        (GIF[:400], "GIF is truncated: the global colour table ends past the end"),
        (BMP[:-1], f"BMP is truncated: its header gives {len(BMP)} bytes"),
        (WEBP[: len(WEBP) // 2], f"WEBP is truncated: its RIFF header gives {len(WEBP)} bytes"),
        (
            TIFF[:4] + (len(TIFF) + 10).to_bytes(4, "little") + TIFF[8:],
            "TIFF is damaged: its first IFD",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow, reading the cut TIFF
def test_damaged_gif_bmp_webp_tiff_fail(data: bytes, problem: str) -> None:
    """GIF blocks, BMP and RIFF sizes and the TIFF IFD offset are checked."""
    assert _damage(data).message.startswith(problem)


# Each operation family's code for a damaged image, from its error table.
DAMAGED_CODES = {
    "ocr": "AIS.0104",  # seed 002 l.826 image not supported or of poor quality
    "image_tagging": "AIS.0503",  # seed 003 l.1052 the image is damaged
    "image_tagging_v1": "AIS.0503",
    "dark_enhance": "AIS.0201",  # seed 003 l.1042 exception obtaining the input image
    "defog": "AIS.0201",
    "super_resolution": "AIS.0201",
}


@pytest.mark.parametrize("name", sorted(n for n, op in OPERATIONS.items() if op.limits))
def test_each_operation_answers_its_damaged_code(name: str) -> None:
    """A truncated PNG gets the damaged-image code of the operation's error table."""
    op = OPERATIONS[name]
    assert op.limits is not None
    with pytest.raises(ValidationError) as info:
        check_image(PNG[: IDAT[0] + 100], op.limits)
    expected = DAMAGED_CODES["ocr" if op.service == "ocr" else name]
    assert (info.value.code, info.value.field) == (expected, "image")


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_damaged_image_of_a_refused_format_is_refused_for_its_format() -> None:
    """A cut TIFF header sent to image tagging (no TIFF) gets the format code."""
    assert IMAGE_TAGGING.limits is not None
    with pytest.raises(ValidationError) as info:
        check_image(TIFF[:10], IMAGE_TAGGING.limits)
    assert info.value.code == "AIS.0502"


async def test_truncated_png_is_never_sent(emulator: Any) -> None:
    """web_image with a truncated PNG raises before any request; check=False sends it."""
    truncated = PNG[: IDAT[0] + 100]
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ValidationError) as info:
            await client.web_image(truncated)
        assert info.value.code == "AIS.0104"
        assert sum(emulator.stats.requests.values()) == 0
        # The check, not the service, stopped it: with check=False the request goes out.
        with contextlib.suppress(APIError):  # whatever the emulator answers, it was sent
            await client.web_image(truncated, check=False)
        assert sum(emulator.stats.requests.values()) == 1
