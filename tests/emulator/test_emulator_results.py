"""Results: documented shapes, deterministic in the image bytes, honouring the options."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from aiocloudocr.emulator import RunningEmulator
from tests.emulator.emulator_testkit import b64, op_path, png, post

CONFIDENCE = re.compile(r"^\d{1,3}\.\d\d$")
ALL_OPTIONS = {"extract_type": ["contact_info", "image_size"], "detect_font": True}


async def _result(
    running: RunningEmulator,
    session: aiohttp.ClientSession,
    token: str,
    op: str,
    image: bytes,
    **options: Any,
) -> Any:
    url = running.url + op_path(op)
    status, answer, _ = await post(
        session, url, {"image": b64(image), **options}, {"X-Auth-Token": token}
    )
    assert status == 200, answer
    return answer["result"]


async def test_web_image_is_deterministic(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """The same bytes give identical results; different images give different ones."""
    first = await _result(running, session, token, "web_image", png(), **ALL_OPTIONS)
    again = await _result(running, session, token, "web_image", png(), **ALL_OPTIONS)
    other = await _result(
        running, session, token, "web_image", png(color=(200, 0, 0)), **ALL_OPTIONS
    )
    assert first == again
    assert first != other


async def test_web_image_shape(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """Blocks lie inside the image; extract_type and detect_font add their documented parts."""
    result = await _result(running, session, token, "web_image", png(64, 48), **ALL_OPTIONS)
    blocks = result["words_block_list"]
    assert result["words_block_count"] == len(blocks) >= 1
    for block in blocks:
        assert isinstance(block["words"], str) and block["words"]
        assert 0 <= block["confidence"] <= 1
        assert len(block["location"]) == 4
        assert all(0 <= x < 64 and 0 <= y < 48 for x, y in block["location"])
        assert len(block["font_list"]) == 5
        assert len(block["font_scores"]) == 5
    extracted = result["extracted_data"]
    assert extracted["image_size"] == {"width": 64, "height": 48}
    assert set(extracted["contact_info"]) == {
        "name",
        "phone",
        "province",
        "city",
        "district",
        "detail_address",
    }


async def test_web_image_options_only_add(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """Without options there are no fonts and no extracted data; the text is unchanged."""
    plain = await _result(running, session, token, "web_image", png())
    rich = await _result(running, session, token, "web_image", png(), **ALL_OPTIONS)
    assert plain["extracted_data"] == {}
    assert all("font_list" not in block for block in plain["words_block_list"])
    assert [b["words"] for b in plain["words_block_list"]] == [
        b["words"] for b in rich["words_block_list"]
    ]
    only_size = await _result(
        running, session, token, "web_image", png(), extract_type=["image_size"]
    )
    assert set(only_size["extracted_data"]) == {"image_size"}


async def test_tagging_is_deterministic(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """The same bytes give identical tags; different images give different ones."""
    options = {"threshold": 0, "limit": 150}
    first = await _result(running, session, token, "image_tagging", png(), **options)
    again = await _result(running, session, token, "image_tagging", png(), **options)
    other = await _result(
        running, session, token, "image_tagging", png(color=(0, 200, 0)), **options
    )
    assert first == again
    assert first != other


async def test_tagging_shape(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """Confidences are strings, sorted, boxes lie inside the image, types are documented."""
    result = await _result(running, session, token, "image_tagging", png(64, 48), threshold=0)
    tags = result["tags"]
    assert len(tags) >= 5
    values = [float(tag["confidence"]) for tag in tags]
    assert values == sorted(values, reverse=True)
    for tag in tags:
        assert CONFIDENCE.match(tag["confidence"])
        assert tag["type"] in {"object", "scene", "concept"}
        assert tag["tag"] == tag["i18n_tag"]["zh"]
        assert set(tag["i18n_type"]) == {"zh", "en"}
        for instance in tag["instances"]:
            box = instance["bounding_box"]
            assert CONFIDENCE.match(instance["confidence"])
            assert box["top_left_x"] >= 0 and box["top_left_x"] + box["width"] <= 64
            assert box["top_left_y"] >= 0 and box["top_left_y"] + box["height"] <= 48


async def test_tagging_threshold_limit_language(
    running: RunningEmulator, session: aiohttp.ClientSession, token: str
) -> None:
    """threshold (default 60), limit and language (default zh) filter and localise tags."""
    everything = await _result(running, session, token, "image_tagging", png(), threshold=0)
    default = await _result(running, session, token, "image_tagging", png())
    expected = [tag for tag in everything["tags"] if float(tag["confidence"]) >= 60]
    assert default["tags"] == expected
    limited = await _result(
        running, session, token, "image_tagging", png(), threshold=0, limit=3, language="en"
    )
    assert len(limited["tags"]) == 3
    assert [tag["tag"] for tag in limited["tags"]] == [
        tag["i18n_tag"]["en"] for tag in everything["tags"][:3]
    ]
    strict = await _result(running, session, token, "image_tagging", png(), threshold=100)
    assert all(float(tag["confidence"]) >= 100 for tag in strict["tags"])
