"""Client-side image checks: bad inputs fail before anything is sent, with the service's code."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from aiocloudocr import ValidationError
from aiocloudocr._images import MB, ImageLimits, check_image, encoded_size
from aiocloudocr.operations import WEB_IMAGE
from tests.conftest import aksk_client
from tests.fakes import make_png

_limits = WEB_IMAGE.limits
assert _limits is not None
LIMITS: ImageLimits = _limits


def _image(fmt: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format=fmt)
    return buffer.getvalue()


PNG = make_png(64, 48)
CORPUS: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "AIS.0101"),
    "truncated": (PNG[:12], "AIS.0104"),
    "text as image": (b"Hello, this is not an image at all.\n" * 20, "AIS.0102"),
    "10 px": (_image("PNG", (10, 200)), "AIS.0103"),
    "9,000 px": (_image("PNG", (9000, 20), "L"), "AIS.0103"),
    "11 MB": (PNG + b"\0" * (11 * MB), "AIS.0103"),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_images_carry_the_service_code(name: str) -> None:
    """Each bad input is refused with the code the service would answer and a hint."""
    data, code = CORPUS[name]
    with pytest.raises(ValidationError) as info:
        check_image(data, LIMITS)
    assert info.value.code == code
    assert info.value.field == "image"


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("JPEG", "RGB"), ("PNG", "RGB"), ("BMP", "RGB"), ("TIFF", "RGB"), ("TGA", "RGB"),
     ("WEBP", "RGB"), ("ICO", "RGBA"), ("PCX", "RGB"), ("GIF", "P")],
)  # fmt: skip
def test_every_web_image_format_passes(fmt: str, mode: str) -> None:
    """Every format the Web Image doc lists is accepted by the check."""
    check_image(_image(fmt, (64, 64), mode), LIMITS)


def test_size_limit_is_on_the_base64_text() -> None:
    """The 10 MB limit applies to the encoded image, as the service counts it."""
    assert encoded_size(3) == 4
    raw_limit = LIMITS.max_bytes * 3 // 4
    check_image(PNG + b"\0" * (raw_limit - len(PNG)), LIMITS)
    with pytest.raises(ValidationError):
        check_image(PNG + b"\0" * (raw_limit - len(PNG) + 3), LIMITS)


def test_the_check_never_decodes_pixels() -> None:
    """Garbage pixel data in an intact container passes: pixels are never decoded."""
    image = _image("PNG", (500, 400))
    length = int.from_bytes(image[33:37], "big")  # the first chunk after IHDR
    assert image[37:41] == b"IDAT"
    garbage = bytes(length)  # not a zlib stream: decoding it fails
    chunk = b"IDAT" + garbage
    broken = image[:37] + chunk + zlib.crc32(chunk).to_bytes(4, "big") + image[45 + length :]
    with pytest.raises(OSError, match="broken data stream"), Image.open(io.BytesIO(broken)) as im:
        im.load()
    check_image(broken, LIMITS)


@pytest.mark.parametrize("name", sorted(CORPUS))
async def test_bad_images_send_nothing(emulator: Any, name: str) -> None:
    """Through the client, a bad image raises before any request reaches the service."""
    data, code = CORPUS[name]
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ValidationError) as info:
            await client.web_image(data)
    assert info.value.code == code
    assert sum(emulator.stats.requests.values()) == 0


# Not "truncated": the client answers a damaged image with AIS.0104, the emulator (which reads
# the header only) with AIS.0102 when the header is cut, and not at all when the pixels are.
@pytest.mark.parametrize("name", ["text as image", "10 px", "9,000 px"])
async def test_service_agrees_when_checks_are_off(emulator: Any, name: str) -> None:
    """With check=False the request goes out and the service answers the same code."""
    from aiocloudocr import APIError

    data, code = CORPUS[name]
    async with aksk_client(emulator.url) as client:
        with pytest.raises(APIError) as info:
            await client.web_image(data, check=False)
    assert info.value.code == code
    assert emulator.stats.requests["web_image"] == 1


async def test_both_and_neither_source_send_nothing(emulator: Any) -> None:
    """Both image and url, or neither, is AIS.0101 before sending."""
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ValidationError, match="both given"):
            await client.web_image(PNG, url="https://example.com/a.png")
        with pytest.raises(ValidationError, match="neither given"):
            await client.web_image()
        with pytest.raises(ValidationError) as info:
            await client.web_image("data:image/png;base64,@@@@")
    assert info.value.code == "AIS.0015"
    assert sum(emulator.stats.requests.values()) == 0


@pytest.mark.parametrize("source", [b"", "", "data:image/png;base64,"])
async def test_empty_image_is_reported_as_empty(emulator: Any, source: bytes | str) -> None:
    """An empty image is refused as empty (0 bytes), not "neither given", checks on or off."""
    async with aksk_client(emulator.url) as client:
        for check in (True, False):
            with pytest.raises(ValidationError, match=r"empty \(0 bytes\)") as info:
                await client.web_image(source, check=check)
            assert (info.value.code, info.value.field) == ("AIS.0101", "image")
    assert sum(emulator.stats.requests.values()) == 0


async def test_empty_file_is_reported_as_empty(emulator: Any, tmp_path: Path) -> None:
    """An empty image file is refused as empty, naming nothing as missing."""
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ValidationError, match=r"empty \(0 bytes\)"):
            await client.web_image(str(path))
    assert sum(emulator.stats.requests.values()) == 0


@pytest.mark.parametrize("source", ["photos/missing.jpg", "/tmp/x/nope.png"])
async def test_missing_file_is_no_such_file(emulator: Any, source: str) -> None:
    """A path to a missing file is "no such file: <path>", not an unrecognised format."""
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ValidationError) as info:
            await client.web_image(source)
    assert (info.value.message, info.value.field) == (f"no such file: {source}", "image")
    assert sum(emulator.stats.requests.values()) == 0
