"""Every operation of the table: its route, the shared request errors and its own fields.

The expected codes are written out here from the seeds' error tables, not taken from the
emulator, so that a wrong code in the emulator fails a test.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from PIL import Image

from aiocloudocr.emulator import EmulatorConfig, RunningEmulator, run_emulator
from aiocloudocr.emulator._behaviours import (
    BEHAVIOURS,
    ImageBehaviour,
    TextBehaviour,
    VisionBehaviour,
)
from aiocloudocr.operations import OPERATIONS
from tests.emulator.emulator_testkit import (
    FakeClock,
    b64,
    encode,
    op_path,
    png,
    png_header,
    post,
    sdk_date,
    signed_headers,
)

OCR = {"json": "ModelArts.4105", "invalid": "AIS.0101", "base64": "AIS.0101",
       "format": "AIS.0102", "size": "AIS.0103"}  # fmt: skip
TAGGING = {"json": "AIS.0014", "invalid": "AIS.0501", "base64": "AIS.0015",
           "format": "AIS.0502", "size": "AIS.0504"}  # fmt: skip
VISION = {"json": "AIS.0014", "invalid": "AIS.0203", "base64": "AIS.0015",
          "format": "AIS.0202", "size": "AIS.0205"}  # fmt: skip
VIDEO = {"json": "AIS.0014", "invalid": "AIS.0011", "format": "AIS.0021"}
CODES: dict[str, dict[str, str]] = {
    **dict.fromkeys(
        ["web_image", "thailand_id_card", "myanmar_id_card", "passport", "emirates_id_card",
         "bank_card"],
        OCR,
    ),
    "image_tagging": TAGGING,
    "image_tagging_v1": TAGGING,
    **dict.fromkeys(["dark_enhance", "defog", "super_resolution"], VISION),
    "bgm_recognition": VIDEO,
}  # fmt: skip
IMAGE_OPS = [name for name in OPERATIONS if name != "bgm_recognition"]
URL_OPS = [name for name in IMAGE_OPS if name not in ("dark_enhance", "defog", "super_resolution")]
PNG = b64(png())
# An image too small or too large for each operation (vision: too many pixels to process).
OUT_OF_BOUNDS: dict[str, list[bytes]] = {
    **{name: [png(14, 40), png(8193, 15)] for name in IMAGE_OPS},
    "passport": [png(14, 40), png(4097, 15)],
    "image_tagging": [png(1, 40), png(4097, 2)],
    "image_tagging_v1": [png(15, 40), png(4097, 16)],
    **{name: [png_header(9000, 9000)] for name in ("dark_enhance", "defog", "super_resolution")},
}


def valid_body(name: str, file_host: str) -> dict[str, Any]:
    """A request the operation accepts."""
    if name == "bgm_recognition":
        return {"url": file_host + "/clip.mp4"}
    return {"image": PNG}


def test_every_operation_is_emulated() -> None:
    """The emulator has a behaviour for every operation of the table."""
    assert set(BEHAVIOURS) == set(OPERATIONS)
    assert set(CODES) == set(OPERATIONS)


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_limits_agree_with_the_operation_table(name: str) -> None:
    """The emulator's own reading of the documented limits matches the client's table."""
    behaviour = BEHAVIOURS[name]
    assert isinstance(behaviour, (ImageBehaviour, TextBehaviour, VisionBehaviour))
    table = OPERATIONS[name].limits
    assert table is not None
    for field in ("formats", "min_side", "max_side", "max_bytes"):
        assert getattr(behaviour.limits, field) == getattr(table, field), field


async def _call(
    running: RunningEmulator,
    session: aiohttp.ClientSession,
    name: str,
    body: Any,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, aiohttp.ClientResponse]:
    headers = {"X-Auth-Token": running.issue_token()} if headers is None else headers
    return await post(session, running.url + op_path(name), body, headers)


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_valid_request_succeeds(
    fetching: RunningEmulator, session: aiohttp.ClientSession, file_host: str, name: str
) -> None:
    """Each operation answers its documented ``result`` at its documented path."""
    status, answer, response = await _call(fetching, session, name, valid_body(name, file_host))
    assert status == 200, answer
    assert set(answer) == {"result"}
    assert response.headers["X-Request-Id"]


def _common_cases(name: str) -> list[tuple[Any, str]]:
    codes = CODES[name]
    cases: list[tuple[Any, str]] = [
        (b'{"image": ', codes["json"]),
        (b"[]", codes["json"]),
        ({}, codes["invalid"]),
    ]
    if name == "bgm_recognition":
        return [*cases, ({"url": ""}, codes["invalid"]), ({"url": 7}, codes["invalid"])]
    cases += [
        ({"image": ""}, codes["invalid"]),
        ({"image": PNG, "url": "http://127.0.0.1/a.png"}, codes["invalid"]),
        ({"image": 42}, codes["invalid"]),
        ({"image": "%%% not base64 %%%"}, codes["base64"]),
        ({"image": b64(b"GIF89a but not really")}, codes["format"]),
        ({"image": b64(encode(Image.new("RGB", (32, 32)), "PPM"))}, codes["format"]),
        # Documented: a data-URI prefix is reported as an unsupported format.
        ({"image": "data:image/png;base64," + PNG}, codes["format"]),
    ]
    cases += [({"image": b64(data)}, codes["size"]) for data in OUT_OF_BOUNDS[name]]
    return cases


COMMON = [(name, body, code) for name in OPERATIONS for body, code in _common_cases(name)]


@pytest.mark.parametrize(
    ("name", "body", "code"), COMMON, ids=[f"{n}-{i}-{c}" for i, (n, _, c) in enumerate(COMMON)]
)
async def test_documented_request_errors(
    fetching: RunningEmulator, session: aiohttp.ClientSession, name: str, body: Any, code: str
) -> None:
    """Malformed JSON, missing/both sources, bad base64, format and size: documented codes."""
    status, answer, response = await _call(fetching, session, name, body)
    assert (status, answer["error_code"]) == (400, code), answer
    assert answer["error_msg"]
    assert response.headers["X-Request-Id"]


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_body_over_10_mb(
    running: RunningEmulator, session: aiohttp.ClientSession, name: str
) -> None:
    """A body over 10 MB gets ModelArts.4104 on every operation."""
    body = b'{"image": "' + b"A" * (10 * 1024 * 1024) + b'"}'
    status, answer, _ = await _call(running, session, name, body)
    assert (status, answer["error_code"]) == (400, "ModelArts.4104")


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_no_credentials(
    running: RunningEmulator, session: aiohttp.ClientSession, name: str
) -> None:
    """Every operation wants a token or a signature (ModelArts.4101)."""
    status, answer, _ = await _call(running, session, name, {"image": PNG}, headers={})
    assert (status, answer["error_code"]) == (401, "ModelArts.4101")


@pytest.mark.parametrize("name", [*URL_OPS, "bgm_recognition"])
async def test_url_errors(
    fetching: RunningEmulator, session: aiohttp.ClientSession, file_host: str, name: str
) -> None:
    """URLs off the allow-list get ModelArts.4601; an allowed one that fails, 4603."""
    for url, code in [
        ("http://example.com/a.png", "ModelArts.4601"),
        ("file:///etc/passwd", "ModelArts.4601"),
        (file_host + "/missing", "ModelArts.4603"),
    ]:
        status, answer, _ = await _call(fetching, session, name, {"url": url})
        assert (status, answer["error_code"]) == (400, code), url


@pytest.mark.parametrize("name", ["dark_enhance", "defog", "super_resolution"])
async def test_vision_apis_take_no_url(
    fetching: RunningEmulator, session: aiohttp.ClientSession, file_host: str, name: str
) -> None:
    """The v1 image-processing APIs document image or file only: a url is invalid."""
    status, answer, _ = await _call(fetching, session, name, {"url": file_host + "/ok.png"})
    assert (status, answer["error_code"]) == (400, "AIS.0203")


async def test_video_checks(
    fetching: RunningEmulator, session: aiohttp.ClientSession, file_host: str
) -> None:
    """BGM takes MP4 only (AIS.0021)."""
    body = {"url": file_host + "/notes.txt"}
    status, answer, _ = await _call(fetching, session, "bgm_recognition", body)
    assert (status, answer["error_code"]) == (400, "AIS.0021")


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_unsubscribed(
    clock: FakeClock, session: aiohttp.ClientSession, file_host: str, name: str
) -> None:
    """An operation configured as unsubscribed answers ModelArts.4204 naming the API."""
    config = EmulatorConfig(clock=clock, unsubscribed=(name,), url_allow_hosts=("127.0.0.1",))
    async with run_emulator(config) as running:
        status, answer, _ = await _call(running, session, name, valid_body(name, file_host))
        assert (status, answer["error_code"]) == (400, "ModelArts.4204")
        assert answer["error_msg"].startswith("Request api error! The API ")
        assert answer["error_msg"].endswith(" is not subscribed.")
        other = "web_image" if name != "web_image" else "passport"
        status, _, _ = await _call(running, session, other, {"image": PNG})
        assert status == 200


async def test_unsubscribed_per_project(clock: FakeClock, session: aiohttp.ClientSession) -> None:
    """``project:op`` entries unsubscribe one project only; the message names the API."""
    other = "f" * 32
    config = EmulatorConfig(clock=clock, project_ids=(other,), unsubscribed=(f"{other}:web_image",))
    async with run_emulator(config) as running:
        status, _, _ = await _call(running, session, "web_image", {"image": PNG})
        assert status == 200
        path = op_path("web_image", other)
        body = b'{"image": "' + PNG.encode() + b'"}'
        headers = signed_headers(running.url, path, body, date=sdk_date(clock()))
        status, answer, _ = await post(session, running.url + path, body, headers)
        assert (status, answer) == (
            400,
            {
                "error_code": "ModelArts.4204",
                "error_msg": "Request api error! The API ocr-web-image is not subscribed.",
            },
        )


def test_unsubscribed_names_are_checked() -> None:
    """Unknown operation names in ``unsubscribed`` are refused up front."""
    with pytest.raises(ValueError, match="unknown operation"):
        EmulatorConfig(unsubscribed=("web_imag",))


MYANMAR_FLAGS = (
    "convert_unicode",
    "return_confidence",
    "return_portrait_image",
    "return_portrait_location",
    "return_idcard_type",
    "return_translation",
)
FIELD_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("thailand_id_card", {"side": "front"}, None),
    ("thailand_id_card", {"side": "back"}, None),
    ("thailand_id_card", {"side": ""}, None),
    ("thailand_id_card", {"side": "left"}, "AIS.0101"),
    ("thailand_id_card", {"side": 1}, "AIS.0101"),
    ("thailand_id_card", {"return_portrait_image": "yes"}, "AIS.0101"),
    ("thailand_id_card", {"return_portrait_location": 1}, "AIS.0101"),
    ("thailand_id_card", {"return_idcard_type": "true"}, "AIS.0101"),
    ("thailand_id_card", {"return_text_location": 0}, "AIS.0101"),
    ("myanmar_id_card", {"convert_unicode": True, "return_translation": False}, None),
    *[("myanmar_id_card", {flag: "true"}, "AIS.0101") for flag in MYANMAR_FLAGS],
    ("passport", {"country_code": "GENERAL"}, None),
    ("passport", {"country_code": "CHN"}, None),
    ("passport", {"country_code": "USA"}, "AIS.0101"),
    ("passport", {"country_code": "chn"}, "AIS.0101"),
    ("emirates_id_card", {"side": "back"}, None),
    ("emirates_id_card", {"side": "top"}, "AIS.0101"),
    ("bank_card", {"return_text_location": True}, None),
    ("bank_card", {"return_text_location": "true"}, "AIS.0101"),
    ("image_tagging_v1", {"language": "en", "limit": 500, "threshold": 150}, None),
    ("image_tagging_v1", {"language": "fr"}, "AIS.0501"),
    ("image_tagging_v1", {"limit": 0}, "AIS.0501"),
    ("image_tagging_v1", {"limit": 2.5}, "AIS.0501"),
    ("image_tagging_v1", {"threshold": "60"}, "AIS.0501"),
    ("image_tagging_v1", {"threshold": True}, "AIS.0501"),
    ("dark_enhance", {"brightness": 0}, None),
    ("dark_enhance", {"brightness": 1}, None),
    ("dark_enhance", {"brightness": -0.1}, "AIS.0203"),
    ("dark_enhance", {"brightness": 1.01}, "AIS.0203"),
    ("dark_enhance", {"brightness": "0.5"}, "AIS.0203"),
    ("defog", {"gamma": 0.1, "natural_look": False}, None),
    ("defog", {"gamma": 10}, None),
    ("defog", {"gamma": 0.09}, "AIS.0203"),
    ("defog", {"gamma": 10.5}, "AIS.0203"),
    ("defog", {"natural_look": "no"}, "AIS.0203"),
    ("super_resolution", {"scale": 4, "model": "SRCNN"}, None),
    ("super_resolution", {"scale": 2}, "AIS.0203"),
    ("super_resolution", {"scale": 5}, "AIS.0203"),
    ("super_resolution", {"scale": 3.0}, "AIS.0203"),
    ("super_resolution", {"scale": "3"}, "AIS.0203"),
    ("super_resolution", {"model": "FSRCNN"}, "AIS.0203"),
]


@pytest.mark.parametrize(
    ("name", "fields", "code"),
    FIELD_CASES,
    ids=[f"{n}-{i}-{c or 'ok'}" for i, (n, _, c) in enumerate(FIELD_CASES)],
)
async def test_operation_fields(
    running: RunningEmulator,
    session: aiohttp.ClientSession,
    name: str,
    fields: dict[str, Any],
    code: str | None,
) -> None:
    """Each operation's own fields are checked with the code its documentation gives."""
    status, answer, _ = await _call(running, session, name, {"image": PNG, **fields})
    if code is None:
        assert status == 200, answer
    else:
        assert (status, answer["error_code"]) == (400, code)
