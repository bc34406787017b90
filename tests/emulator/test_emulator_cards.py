"""ID card, passport and bank card results: the documented shapes, deterministic in the image."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import aiohttp
import pytest
from PIL import Image

from aiocloudocr.emulator import RunningEmulator
from tests.emulator.emulator_testkit import b64, op_path, png, post

IMAGES = [png(120, 80, (i * 40, 100, 200 - i * 30)) for i in range(6)]
THAI_FRONT = {"type", "id_number", "name_th", "name_en", "first_name_en", "last_name_en",
              "ref_number", "date_of_birth_th", "date_of_birth_en", "religion_th", "address_th",
              "date_of_issue_th", "date_of_issue_en", "date_of_expiry_th", "date_of_expiry_en",
              "serial_number"}  # fmt: skip
THAI_BACK = {"card_number", "laser_number"}
MYANMAR_FRONT = {"nrc_id", "issue_date", "name", "father_name", "birth", "bloodlines_religion",
                 "height", "blood_group"}  # fmt: skip
MYANMAR_BACK = {"card_id", "nrc_id_back", "profession", "address"}
TRANSLATIONS = {"name_translation", "father_name_translation", "nrc_id_translation",
                "birth_translation"}  # fmt: skip
UAE_FRONT = {"id_number", "name", "name_arabic", "nationality", "nationality_arabic"}
UAE_BACK = {"card_number", "laser_number", "sex", "date_of_birth", "expiry_date",
            "country_code", "machinecode1", "machinecode2", "machinecode3"}  # fmt: skip
PASSPORT = {"country_code", "passport_number", "surname", "given_name", "sex",
            "date_of_birth", "date_of_expiry"}  # fmt: skip
BANK = {"bank_name", "card_number", "issue_date", "expiry_date", "type", "card_holder"}
EN_DATE = re.compile(r"^\d{1,2} (Jan\.|Feb\.|Mar\.|Apr\.|May|Jun\.|Jul\.|Aug\.|Sep\.|Oct\.|"
                     r"Nov\.|Dec\.) \d{4}$")  # fmt: skip


async def _result(
    running: RunningEmulator, session: aiohttp.ClientSession, name: str, image: bytes, **fields: Any
) -> dict[str, Any]:
    url = running.url + op_path(name)
    headers = {"X-Auth-Token": running.issue_token()}
    status, answer, _ = await post(session, url, {"image": b64(image), **fields}, headers)
    assert status == 200, answer
    assert set(answer) == {"result"}
    result: dict[str, Any] = answer["result"]
    return result


def _confidences(result: dict[str, Any], fields: set[str]) -> None:
    assert set(result["confidence"]) == fields
    assert all(isinstance(v, float) and 0 <= v <= 1 for v in result["confidence"].values())


def _inside(points: list[list[int]], width: int = 120, height: int = 80) -> bool:
    return len(points) == 4 and all(0 <= x < width and 0 <= y < height for x, y in points)


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("thailand_id_card", {"return_portrait_image": True, "return_text_location": True}),
        ("myanmar_id_card", {"return_confidence": True, "return_translation": True}),
        ("passport", {}),
        ("emirates_id_card", {}),
        ("bank_card", {}),
    ],
)
async def test_same_image_same_result(
    running: RunningEmulator, session: aiohttp.ClientSession, name: str, fields: dict[str, Any]
) -> None:
    """The same bytes give the same JSON; other images give other cards."""
    first = await _result(running, session, name, IMAGES[0], **fields)
    assert await _result(running, session, name, IMAGES[0], **fields) == first
    others = [await _result(running, session, name, image, **fields) for image in IMAGES[1:]]
    assert any(other != first for other in others)


async def test_thailand_front_and_back(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """Front and back carry exactly the documented fields with a confidence for each text."""
    front = await _result(running, session, "thailand_id_card", IMAGES[0], side="front")
    assert set(front) == {"side", "confidence", *THAI_FRONT}
    assert front["side"] == "front" and front["type"] in {"normal", "pink"}
    _confidences(front, THAI_FRONT - {"type"})
    digits = front["id_number"].replace(" ", "")
    assert re.fullmatch(r"\d \d{4} \d{5} \d\d \d", front["id_number"])
    weighted = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    assert int(digits[12]) == (11 - weighted % 11) % 10
    assert EN_DATE.match(front["date_of_birth_en"]) and EN_DATE.match(front["date_of_expiry_en"])
    assert int(front["date_of_birth_th"].split()[-1]) == int(front["date_of_birth_en"][-4:]) + 543
    back = await _result(running, session, "thailand_id_card", IMAGES[0], side="back")
    assert set(back) == {"side", "confidence", *THAI_BACK}
    _confidences(back, THAI_BACK)


async def test_thailand_flags(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """Portrait crop, its location, the card type and text locations come on request only."""
    flags = {name: True for name in ("return_portrait_image", "return_portrait_location",
                                    "return_idcard_type", "return_text_location")}  # fmt: skip
    plain = await _result(running, session, "thailand_id_card", IMAGES[1], side="front")
    rich = await _result(running, session, "thailand_id_card", IMAGES[1], side="front", **flags)
    assert set(rich) - set(plain) == set(
        ["portrait_image", "portrait_location", "idcard_type", "text_location"]
    )
    assert rich["idcard_type"] == "normal"
    (x0, y0), _, (x1, y1), _ = rich["portrait_location"]
    assert _inside(rich["portrait_location"])
    with Image.open(io.BytesIO(base64.b64decode(rich["portrait_image"]))) as portrait:
        assert portrait.format == "JPEG"
        assert portrait.size == (x1 - x0 + 1, y1 - y0 + 1)
    assert set(rich["text_location"]) == set(rich["confidence"])
    assert all(_inside(box) for box in rich["text_location"].values())


async def test_side_is_detected_from_the_image(
    running: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    """Without ``side`` (or with an empty one) the image decides, the same way each time."""
    sides = set()
    for image in IMAGES:
        auto = await _result(running, session, "thailand_id_card", image)
        assert await _result(running, session, "thailand_id_card", image, side="") == auto
        assert auto == await _result(running, session, "thailand_id_card", image, side=auto["side"])
        sides.add(auto["side"])
    assert sides == {"front", "back"}


async def test_myanmar(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """Confidence, portrait, type and translation appear only with their flags."""
    seen = {}
    for image in IMAGES:
        plain = await _result(running, session, "myanmar_id_card", image)
        assert "confidence" not in plain and "translation_info" not in plain
        assert plain["class"] == "new_version"
        fields = MYANMAR_FRONT if plain["side"] == "front" else MYANMAR_BACK
        assert set(plain) == {"side", "class", *fields}
        rich = await _result(running, session, "myanmar_id_card", image, return_confidence=True,
                             return_translation=True, return_portrait_location=True,
                             return_idcard_type=True)  # fmt: skip
        _confidences(rich, fields - {"father_name"})
        assert _inside(rich["portrait_location"]) and rich["idcard_type"] == "normal"
        if plain["side"] == "front":
            assert set(rich["translation_info"]) == TRANSLATIONS
            assert rich["translation_info"]["name_translation"].isascii()
        seen[plain["side"]] = plain
    assert set(seen) == {"front", "back"}


async def test_passport(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """The seven key fields, their confidences and an empty extra_info; CHN reads as CHN."""
    result = await _result(running, session, "passport", IMAGES[2])
    assert set(result) == {"confidence", "extra_info", *PASSPORT}
    _confidences(result, PASSPORT)
    assert result["extra_info"] == {}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", result["date_of_birth"])
    assert re.fullmatch(r"[A-Z]{3}", result["country_code"])
    assert result["sex"] in {"M", "F"}
    chinese = await _result(running, session, "passport", IMAGES[2], country_code="CHN")
    assert chinese["country_code"] == "CHN"


async def test_emirates(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """The front has the example's fields; the back the MRZ lines and the other fields."""
    front = await _result(running, session, "emirates_id_card", IMAGES[3], side="front")
    assert set(front) == {"side", "confidence", *UAE_FRONT}
    _confidences(front, UAE_FRONT)
    assert re.fullmatch(r"784-\d{4}-\d{7}-\d", front["id_number"])
    back = await _result(running, session, "emirates_id_card", IMAGES[3], side="back")
    assert set(back) == {"side", "confidence", *UAE_BACK}
    _confidences(back, UAE_BACK)
    assert all(len(back[f"machinecode{i}"]) == 30 for i in (1, 2, 3))
    assert back["machinecode1"].startswith("ILARE" + back["card_number"])


async def test_bank_card(running: RunningEmulator, session: aiohttp.ClientSession) -> None:
    """Luhn-valid numbers whose scheme matches ``type``; an unnamed bank scores 0.0."""
    types = set()
    for image in IMAGES:
        result = await _result(running, session, "bank_card", image)
        assert set(result) == {"confidence", *BANK}
        assert set(result["confidence"]) == BANK
        number = result["card_number"].replace(" ", "")
        assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", result["card_number"])
        checksum = sum(
            int(d) if i % 2 == 0 else (2 * int(d) - 9 if int(d) > 4 else 2 * int(d))
            for i, d in enumerate(reversed(number))
        )
        assert checksum % 10 == 0
        expected = {"4": "Visa", "5": "MasterCard"}.get(number[0], "Unrecognized")
        assert result["type"] == expected
        types.add(result["type"])
        assert re.fullmatch(r"\d\d/\d\d", result["expiry_date"])
        assert result["expiry_date"][-2:] > result["issue_date"][-2:]
        if result["bank_name"] == "":
            assert result["confidence"]["bank_name"] == 0.0
    assert len(types) >= 2
