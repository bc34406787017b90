"""Image sources: everything a caller may pass as an image."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from aiocloudocr import ValidationError
from aiocloudocr._images import decode_base64, encode_url, resolve_image
from tests.fakes import make_png

PNG = make_png(20, 20)
JPEG_B64 = "/9j/4AAQSkZJRgABAgEASABIAAD/"  # the docs' example prefix of a JPEG


async def test_bytes_like() -> None:
    """bytes, bytearray and memoryview are taken as the image itself."""
    for source in (PNG, bytearray(PNG), memoryview(PNG)):
        assert (await resolve_image(source)).data == PNG


async def test_paths(tmp_path: Path) -> None:
    """A str or PathLike path is read from disk."""
    path = tmp_path / "a.png"
    path.write_bytes(PNG)
    assert (await resolve_image(path)).data == PNG
    assert (await resolve_image(str(path))).data == PNG


async def test_binary_file_object() -> None:
    """A binary file object is read."""
    assert (await resolve_image(io.BytesIO(PNG))).data == PNG


async def test_text_file_object_is_rejected() -> None:
    """A text-mode file object is a clear error."""
    with pytest.raises(ValidationError, match="binary mode"):
        await resolve_image(io.StringIO("abc"))  # type: ignore[arg-type]


async def test_base64_text_and_data_uri() -> None:
    """Base64 text is decoded; a data: prefix, which the service rejects, is removed."""
    text = base64.b64encode(PNG).decode()
    assert (await resolve_image(text)).data == PNG
    assert (await resolve_image(f"data:image/png;base64,{text}")).data == PNG
    assert (await resolve_image(JPEG_B64)).data == base64.b64decode(JPEG_B64)


def test_url_safe_base64_is_accepted() -> None:
    """The URL-safe alphabet decodes to the same bytes."""
    assert decode_base64(base64.urlsafe_b64encode(PNG).decode()) == PNG


async def test_urls_are_recognised_and_encoded() -> None:
    """http(s) URLs become url inputs, non-ASCII characters percent-encoded."""
    resolved = await resolve_image("https://example.com/图片.jpg")
    assert resolved.data is None
    assert resolved.url == "https://example.com/%E5%9B%BE%E7%89%87.jpg"
    assert encode_url("https://example.com/a%20b.jpg") == "https://example.com/a%20b.jpg"


@pytest.mark.parametrize("source", ["missing.png", "./nope/x.jpg", "not base64!!"])
async def test_unusable_text_names_the_problem(source: str) -> None:
    """Text that is no file, no URL and no base64 is a ValidationError naming the input."""
    with pytest.raises(ValidationError, match=f"no such file: {re.escape(source)}"):
        await resolve_image(source)


@pytest.mark.parametrize(
    "source",
    [
        "photos/missing.jpg",
        "/tmp/x/nope.png",
        "scan.jpeg",
        "C:\\scans\\card.png",
        # Whole 4-character groups of the base64 alphabet: decodable, but not to an image.
        "a/b/c/d/",
        "data/img1/2024/c",
    ],
)
async def test_missing_path_is_no_such_file(source: str) -> None:
    """A path to a missing file is reported as such, not decoded as base64."""
    with pytest.raises(ValidationError) as caught:
        await resolve_image(source)
    assert caught.value.message == f"no such file: {source}"
    assert caught.value.field == "image"


async def test_missing_pathlike_is_no_such_file(tmp_path: Path) -> None:
    """A PathLike to a missing file gets the same message."""
    missing = tmp_path / "nope.png"
    with pytest.raises(ValidationError, match=f"no such file: {re.escape(str(missing))}"):
        await resolve_image(missing)


async def test_base64_image_with_slashes_is_not_a_path() -> None:
    """Base64 text of an image holding "/" (as nearly all do) is still decoded."""
    text = base64.b64encode(PNG).decode()
    assert "/" in JPEG_B64
    assert (await resolve_image(JPEG_B64)).data == base64.b64decode(JPEG_B64)
    assert (await resolve_image(text)).data == PNG


async def test_signatureless_base64_image_with_a_slash_is_decoded() -> None:
    """An image format without a signature (TGA) is recognised too, not taken for a path."""
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(buffer, format="TGA")
    data = buffer.getvalue()
    # 0xff bytes make "/" in base64: the text holds a path separator.
    text = base64.b64encode(data).decode()
    assert "/" in text
    assert (await resolve_image(text)).data == data


@pytest.mark.parametrize(
    "source", [b"", bytearray(), memoryview(b""), "", "  ", "data:image/png;base64,"]
)
async def test_empty_image_is_reported_as_empty(source: bytes | str) -> None:
    """An empty image (bytes, base64 text) is a ValidationError saying it is empty."""
    with pytest.raises(ValidationError, match=r"is empty \(0 bytes\)") as caught:
        await resolve_image(source)
    assert caught.value.field == "image"


async def test_empty_file_is_reported_as_empty(tmp_path: Path) -> None:
    """An empty file (by str path, PathLike or file object) is reported as empty."""
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    for source in (path, str(path), io.BytesIO(b"")):
        with pytest.raises(ValidationError, match=r"is empty \(0 bytes\)"):
            await resolve_image(source)


async def test_bad_base64_is_ais_0015() -> None:
    """Malformed base64 behind a data: prefix carries the service's base64 error code."""
    with pytest.raises(ValidationError) as info:
        await resolve_image("data:image/png;base64,abc")
    assert info.value.code == "AIS.0015"


async def test_unsupported_type() -> None:
    """Other objects are refused with the accepted kinds listed."""
    with pytest.raises(ValidationError, match="pass bytes, a path"):
        await resolve_image(12345)  # type: ignore[arg-type]
