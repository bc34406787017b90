"""Request validation: the documented error codes of each service family."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from PIL import Image

from aiocloudocr._images import ImageLimits
from aiocloudocr.emulator import EmulatorConfig, RunningEmulator, run_emulator
from aiocloudocr.emulator._errors import ApiError
from aiocloudocr.emulator._images import TAGGING_CODES, inspect_image
from tests.emulator.emulator_testkit import FakeClock, b64, encode, op_path, png, post

PNG = b64(png())
OCR, IMG = "web_image", "image_tagging"
MESSAGES = {
    "AIS.0101": "The input parameter is invalid.",
    "AIS.0102": "The image format is not supported.",
    "AIS.0103": "The image size does not meet the requirements.",
    "AIS.0014": "The JSON format of the input data is incorrect.",
    "AIS.0015": "Base64 decoding of the input data is incorrect.",
    "AIS.0501": "The input parameter is invalid.",
    "AIS.0502": "The image format is not supported.",
    "AIS.0504": "The image size does not meet requirements.",
    "ModelArts.4104": "Invalid Request Content Length.",
    "ModelArts.4105": "The JSON format of the input data is incorrect.",
    "ModelArts.4601": "The URL is not allowed.",
    "ModelArts.4603": "Obtaining the file from the URL failed.",
}


async def _call(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str, op: str, body: Any
) -> tuple[int, Any]:
    url = running.url + op_path(op)
    status, answer, _ = await post(session, url, body, {"X-Auth-Token": token})
    return status, answer


def _expect(status: int, answer: Any, code: str) -> None:
    assert status == 400
    assert answer == {"error_code": code, "error_msg": MESSAGES[code]}


CASES: list[tuple[str, Any, str]] = [
    (OCR, b"{not json", "ModelArts.4105"),
    (IMG, b"[1, 2]", "AIS.0014"),
    (OCR, b"\xff\xfe", "ModelArts.4105"),
    (OCR, {}, "AIS.0101"),
    (IMG, {"image": "", "url": ""}, "AIS.0501"),
    (OCR, {"image": PNG, "url": "http://127.0.0.1/a.png"}, "AIS.0101"),
    (IMG, {"image": 12345}, "AIS.0501"),
    (OCR, {"image": "not base64!"}, "AIS.0101"),
    (IMG, {"image": "not base64!"}, "AIS.0015"),
    (OCR, {"image": "data:image/png;base64," + PNG}, "AIS.0102"),
    (IMG, {"image": b64(b"hello, world")}, "AIS.0502"),
    (OCR, {"image": b64(b"hello, world")}, "AIS.0102"),
    (OCR, {"image": b64(encode(Image.new("RGB", (32, 32)), "PPM"))}, "AIS.0102"),
    (IMG, {"image": b64(encode(Image.new("RGB", (32, 32)), "GIF"))}, "AIS.0502"),
    (OCR, {"image": b64(png(14, 40))}, "AIS.0103"),
    (OCR, {"image": b64(png(8193, 15))}, "AIS.0103"),
    (IMG, {"image": b64(png(4097, 2))}, "AIS.0504"),
    (IMG, {"image": b64(png(1, 40))}, "AIS.0504"),
    (OCR, {"image": PNG, "detect_font": "yes"}, "AIS.0101"),
    (OCR, {"image": PNG, "detect_direction": 1}, "AIS.0101"),
    (OCR, {"image": PNG, "detect_text_direction": "false"}, "AIS.0101"),
    (OCR, {"image": PNG, "extract_type": "image_size"}, "AIS.0101"),
    (OCR, {"image": PNG, "extract_type": ["image_size", "bogus"]}, "AIS.0101"),
    (IMG, {"image": PNG, "language": "fr"}, "AIS.0501"),
    (IMG, {"image": PNG, "threshold": 100.5}, "AIS.0501"),
    (IMG, {"image": PNG, "threshold": -1}, "AIS.0501"),
    (IMG, {"image": PNG, "threshold": "60"}, "AIS.0501"),
    (IMG, {"image": PNG, "threshold": True}, "AIS.0501"),
    (IMG, {"image": PNG, "limit": 0}, "AIS.0501"),
    (IMG, {"image": PNG, "limit": 151}, "AIS.0501"),
    (IMG, {"image": PNG, "limit": 5.5}, "AIS.0501"),
    (OCR, {"url": "http://127.0.0.1/a.png"}, "ModelArts.4601"),
    (IMG, {"url": "ftp://127.0.0.1/a.png"}, "ModelArts.4601"),
]


@pytest.mark.parametrize(
    ("op", "body", "code"), CASES, ids=[f"{i}-{c[0]}-{c[2]}" for i, c in enumerate(CASES)]
)
async def test_invalid_request(
    running: RunningEmulator,
    session: aiohttp.ClientSession,
    token: str,
    op: str,
    body: Any,
    code: str,
) -> None:
    """Each invalid request gets its documented code and message."""
    status, answer = await _call(running, session, token, op, body)
    _expect(status, answer, code)
    assert running.stats.outcomes[(op, 400, code)] == 1


async def test_accepted_edges(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """The limits themselves are accepted; null options count as absent."""
    cases: list[tuple[str, dict[str, Any]]] = [
        (OCR, {"image": b64(png(15, 8192)), "detect_font": None, "url": ""}),
        (IMG, {"image": b64(png(2, 4096)), "threshold": 0, "limit": 150, "language": "en"}),
        (IMG, {"image": PNG, "threshold": 100, "limit": 1, "language": None}),
        (OCR, {"image": "\n".join([PNG[:40], PNG[40:]]), "extract_type": []}),
    ]
    for op, body in cases:
        status, answer = await _call(running, session, token, op, body)
        assert status == 200, (op, answer)


@pytest.mark.parametrize("size", [10 * 1024 * 1024 + 1, 16 * 1024 * 1024 + 1])
async def test_oversized_body(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str, size: int
) -> None:
    """A body over 10 MB gets ModelArts.4104, also past aiohttp's own limit."""
    body = b'{"image": "' + b"A" * (size - 13) + b'"}'
    assert len(body) == size
    status, answer = await _call(running, session, token, OCR, body)
    _expect(status, answer, "ModelArts.4104")


def test_image_over_max_bytes() -> None:
    """An image file larger than the operation's max_bytes is a size error."""
    limits = ImageLimits(formats=frozenset({"PNG"}), min_side=1, max_side=100, max_bytes=50)
    with pytest.raises(ApiError) as caught:
        inspect_image(png(), limits, TAGGING_CODES)
    assert caught.value.code == "AIS.0504"


async def test_url_from_allowed_host(
    file_host: str, fetching: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """A URL on an allowed host is fetched and answers like the same bytes sent inline."""
    running, token = fetching, fetching.issue_token()
    by_url = await _call(running, session, token, OCR, {"url": file_host + "/ok.png"})
    inline = await _call(running, session, token, OCR, {"image": PNG})
    assert by_url == inline
    assert by_url[0] == 200
    tagged = await _call(running, session, token, IMG, {"url": file_host + "/ok.png"})
    assert tagged[0] == 200
    missing = await _call(running, session, token, OCR, {"url": file_host + "/nope.png"})
    _expect(*missing, "ModelArts.4603")
    big = await _call(running, session, token, IMG, {"url": file_host + "/big.png"})
    _expect(*big, "AIS.0504")
    other = await _call(running, session, token, OCR, {"url": "http://localhost/ok.png"})
    _expect(*other, "ModelArts.4601")


async def test_url_fetch_failure(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """An allowed host that refuses the connection gets ModelArts.4603."""
    async with run_emulator() as closed:
        dead = closed.url
    config = EmulatorConfig(clock=clock, url_allow_hosts=("127.0.0.1",))
    async with run_emulator(config) as running:
        token = running.issue_token()
        status, answer = await _call(running, session, token, OCR, {"url": dead + "/a.png"})
        _expect(status, answer, "ModelArts.4603")
