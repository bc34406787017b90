"""The deprecated v1 APIs: real image transforms (checked with Pillow), tagging v1 and BGM."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import aiohttp
import pytest
from PIL import Image, ImageStat

from aiocloudocr.emulator import RunningEmulator
from aiocloudocr.emulator._behaviours.bgm_recognition import SONGS
from tests.emulator.emulator_testkit import (
    FakeClock,
    b64,
    encode,
    gradient,
    multipart,
    op_path,
    other_sign,
    png,
    post,
    post_raw,
    sdk_date,
)

GRADIENT = encode(gradient(), "PNG")


async def _image(
    running: RunningEmulator, session: aiohttp.ClientSession, name: str, data: bytes, **fields: Any
) -> Image.Image:
    url = running.url + op_path(name)
    headers = {"X-Auth-Token": running.issue_token()}
    status, answer, _ = await post(session, url, {"image": b64(data), **fields}, headers)
    assert status == 200, answer
    assert isinstance(answer["result"], str)
    image = Image.open(io.BytesIO(base64.b64decode(answer["result"])))
    image.load()
    return image


def _mean(image: Image.Image) -> float:
    return sum(ImageStat.Stat(image.convert("L")).mean)


def _expected(value: int, exponent: float) -> int:
    return round(255 * math.pow(value / 255, exponent))


async def test_dark_enhance_brightens_by_brightness(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """Brightness 0 changes nothing; more brightness gives a brighter image, pixel for pixel."""
    source = gradient()
    same = await _image(running, session, "dark_enhance", GRADIENT, brightness=0)
    assert same.tobytes() == source.tobytes()
    means = []
    for brightness in (0.3, 0.9, 1.0):
        result = await _image(running, session, "dark_enhance", GRADIENT, brightness=brightness)
        assert result.format == "PNG" and result.size == source.size
        pixel = source.getpixel((10, 10))
        assert isinstance(pixel, tuple)
        assert result.getpixel((10, 10)) == tuple(_expected(v, 1 / (1 + brightness)) for v in pixel)
        means.append(_mean(result))
    assert _mean(source) < means[0] < means[1] < means[2]
    default = await _image(running, session, "dark_enhance", GRADIENT)
    assert _mean(default) == means[1]  # the documented default is 0.9


async def test_defog_is_a_gamma_correction(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """Each value v becomes 255 (v / 255) ** gamma; natural_look false stretches contrast."""
    source = gradient()
    for gamma in (0.5, 1.5, 3.0):
        result = await _image(running, session, "defog", GRADIENT, gamma=gamma)
        for xy in [(0, 0), (20, 30), (63, 47)]:
            pixel = source.getpixel(xy)
            assert isinstance(pixel, tuple)
            assert result.getpixel(xy) == tuple(_expected(v, gamma) for v in pixel)
    default = await _image(running, session, "defog", GRADIENT)
    explicit = await _image(running, session, "defog", GRADIENT, gamma=1.5, natural_look=True)
    assert default.tobytes() == explicit.tobytes()
    harsh = await _image(running, session, "defog", GRADIENT, natural_look=False)
    assert harsh.tobytes() != default.tobytes()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP"])
async def test_super_resolution_scales(
    running: RunningEmulator, session: aiohttp.ClientSession, fmt: str
) -> None:
    """The image comes back ``scale`` times larger per side, in the input's format."""
    data = encode(gradient(40, 30), fmt)
    default = await _image(running, session, "super_resolution", data)
    assert (default.format, default.size) == (fmt, (120, 90))
    four = await _image(running, session, "super_resolution", data, scale=4, model="SRCNN")
    assert (four.format, four.size) == (fmt, (160, 120))
    espcn = await _image(running, session, "super_resolution", data, scale=4, model="ESPCN")
    assert espcn.tobytes() != four.tobytes()


async def test_transforms_keep_webp_and_alpha(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """A WEBP with transparency comes back WEBP with its alpha untouched."""
    rgba = gradient().convert("RGBA")
    rgba.putalpha(128)
    data = encode(rgba, "WEBP")
    for name, fields in [("dark_enhance", {}), ("defog", {"natural_look": False})]:
        result = await _image(running, session, name, data, **fields)
        assert result.format == "WEBP" and result.mode == "RGBA"
        assert result.getchannel("A").getextrema() == (128, 128)


async def test_same_bytes_same_image(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """The transforms are deterministic."""
    for name in ("dark_enhance", "defog", "super_resolution"):
        first = await _image(running, session, name, GRADIENT)
        again = await _image(running, session, name, GRADIENT)
        assert first.tobytes() == again.tobytes()


async def test_multipart_file_returns_the_image_bytes(
    running: RunningEmulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """The ``file`` form answers the image itself; signed with UNSIGNED-PAYLOAD."""
    inline = await _image(running, session, "defog", GRADIENT, gamma=2.0, natural_look=True)
    body, content_type = multipart({"gamma": "2.0", "natural_look": "true"}, GRADIENT)
    path = op_path("defog")
    headers = {
        "Content-Type": content_type,
        "Host": running.url.removeprefix("http://"),
        "X-Sdk-Date": sdk_date(clock()),
        "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
    }
    headers["Authorization"] = other_sign(method="POST", path=path, headers=headers, body=body)
    status, data, response = await post_raw(session, running.url + path, body, headers)
    assert status == 200, data
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Request-Id"]
    with Image.open(io.BytesIO(data)) as returned:
        assert returned.tobytes() == inline.tobytes()


@pytest.mark.parametrize(
    ("fields", "file", "code"),
    [
        ({"gamma": "abc"}, GRADIENT, "AIS.0203"),
        ({"natural_look": "maybe"}, GRADIENT, "AIS.0203"),
        ({"gamma": "1.5"}, None, "AIS.0203"),
        ({"image": b64(GRADIENT)}, GRADIENT, "AIS.0203"),
        ({}, b"not an image", "AIS.0202"),
    ],
)
async def test_multipart_errors(
    running: RunningEmulator,
    session: aiohttp.ClientSession,
    token: str,
    fields: dict[str, str],
    file: bytes | None,
    code: str,
) -> None:
    """Form values are typed like JSON ones; the file is required and must be an image."""
    body, content_type = multipart(fields, file)
    headers = {"Content-Type": content_type, "X-Auth-Token": token}
    status, data, _ = await post_raw(session, running.url + op_path("defog"), body, headers)
    assert status == 400
    assert code.encode() in data


async def _tags(
    running: RunningEmulator, session: aiohttp.ClientSession, image: bytes, **fields: Any
) -> list[dict[str, Any]]:
    url = running.url + op_path("image_tagging_v1")
    headers = {"X-Auth-Token": running.issue_token()}
    status, answer, _ = await post(session, url, {"image": b64(image), **fields}, headers)
    assert status == 200, answer
    tags: list[dict[str, Any]] = answer["result"]["tags"]
    return tags


async def test_tagging_v1(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """v1 tags: float confidences, threshold default 0 (also for out-of-range), limit 30."""
    tags = await _tags(running, session, png())
    assert tags == await _tags(running, session, png())
    assert tags == await _tags(running, session, png(), threshold=250)
    assert 5 <= len(tags) <= 30
    for tag in tags:
        assert set(tag) == {"confidence", "tag", "type", "i18n_tag"}
        assert isinstance(tag["confidence"], float) and 0 <= tag["confidence"] <= 100
        assert tag["tag"] == tag["i18n_tag"]["zh"]
    english = await _tags(running, session, png(), language="en", limit=2, threshold=0)
    assert [tag["tag"] for tag in english] == [tag["i18n_tag"]["en"] for tag in tags[:2]]
    high = await _tags(running, session, png(), threshold=70)
    assert high == [tag for tag in tags if tag["confidence"] >= 70]


async def test_bgm_recognition(
    fetching: RunningEmulator, session: aiohttp.ClientSession, file_host: str
) -> None:
    """The song depends on the video URL's host and path, not on its signed query."""
    url = fetching.url + op_path("bgm_recognition")
    headers = {"X-Auth-Token": fetching.issue_token()}
    names = []
    for video in ("/clip.mp4?sig=1", "/clip.mp4?sig=2", "/other.mp4"):
        status, answer, _ = await post(session, url, {"url": file_host + video}, headers)
        assert status == 200, answer
        assert set(answer["result"]) == {"audio_name"}
        names.append(answer["result"]["audio_name"])
    assert names[0] == names[1]
    assert set(names) <= set(SONGS)
