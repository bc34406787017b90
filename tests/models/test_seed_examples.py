"""Every example in the API reference parses, and every example request body is reproduced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr._answers import parse_error_body
from aiocloudocr.models.bank_card import BankCardResult
from aiocloudocr.models.bgm_recognition import BgmRecognitionRequest, BgmRecognitionResult
from aiocloudocr.models.converter import parse_result, request_body
from aiocloudocr.models.emirates_id_card import EmiratesIdCardResult
from aiocloudocr.models.image_tagging import ImageTaggingResult
from aiocloudocr.models.myanmar_id_card import MyanmarIdCardRequest, MyanmarIdCardResult
from aiocloudocr.models.thailand_id_card import ThailandIdCardRequest, ThailandIdCardResult
from aiocloudocr.models.vision_v1 import EnhancedImageResult, SuperResolutionRequest
from aiocloudocr.models.web_image import WebImageResult
from aiocloudocr.operations import OPERATIONS, AnyOperation

EXAMPLES = Path(__file__).parent / "seed_examples"
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.json"))
REQUESTS = [name for name in NAMES if "_request" in name]
RESPONSES = [name for name in NAMES if "_response_" in name]


def load(name: str) -> Any:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def operation_of(name: str) -> AnyOperation:
    # The longest matching name wins: image_tagging_v1_* is not an image_tagging example.
    matches = [op for op in OPERATIONS if name.startswith(f"{op}_")]
    return OPERATIONS[max(matches, key=len)]


def result_of(name: str) -> Any:
    return parse_result(load(name)["result"], operation_of(name).result_type)


def test_examples_are_present() -> None:
    """Every operation has at least one stored example."""
    assert {operation_of(name).name for name in NAMES} == set(OPERATIONS)


@pytest.mark.parametrize("name", [n for n in RESPONSES if "failure" not in n])
def test_success_examples_parse(name: str) -> None:
    """Each success example becomes its operation's result type, keeping the raw JSON."""
    example = load(name)
    result = result_of(name)
    assert isinstance(result, operation_of(name).result_type)
    assert result.raw == example["result"]


@pytest.mark.parametrize("name", [n for n in RESPONSES if "failure" in n])
def test_failure_examples_give_code_and_message(name: str) -> None:
    """Each failure example yields the example's error code and message."""
    example = load(name)
    body = (EXAMPLES / f"{name}.json").read_bytes()
    assert parse_error_body(400, body) == (example["error_code"], example["error_msg"])


@pytest.mark.parametrize("name", [n for n in REQUESTS if not n.startswith("super_resolution")])
def test_request_examples_come_from_typed_requests(name: str) -> None:
    """Each example request body is exactly what its typed request sends."""
    example = load(name)
    request = operation_of(name).request_type(**example)
    assert request_body(request) == example


def test_super_resolution_request_example() -> None:
    """The Super Resolution example (its image lost in extraction) is reproduced with one."""
    body = request_body(SuperResolutionRequest(image="/9j/4AAQ", scale=3, model="ESPCN"))
    assert body == {"image": "/9j/4AAQ", **load("super_resolution_request_image")}


def test_thailand_request_example_from_typed_fields() -> None:
    """The Thai base64 example is built field by field with its typed values."""
    request = ThailandIdCardRequest(
        image="/9j/4AAQSkZJRgABAgEASABIAAD/4RFZRXhpZgAATU0AKgAAAA...",
        side="front",
        return_portrait_image=True,
        return_portrait_location=True,
        return_idcard_type=True,
    )
    assert request_body(request) == load("thailand_id_card_request_image")


def test_myanmar_request_example_from_typed_fields() -> None:
    """The Myanmar URL example is built field by field with its typed values."""
    request = MyanmarIdCardRequest(
        url="https://BucketName.obs.xxxx.com/ObjectName",
        convert_unicode=True,
        return_confidence=True,
        return_portrait_image=True,
        return_portrait_location=True,
        return_idcard_type=True,
    )
    assert request_body(request) == load("myanmar_id_card_request_url")


def test_bgm_request_example() -> None:
    """The BGM example sends the video URL only."""
    request = BgmRecognitionRequest(url="https://BucketName.obs.myhuaweicloud.com/ObjectName")
    assert request_body(request) == load("bgm_recognition_request")


def test_web_image_values() -> None:
    """Web Image blocks carry words, float confidences and four integer vertices."""
    result = result_of("web_image_response_success")
    assert isinstance(result, WebImageResult)
    assert result.words_block_count == 3
    assert result.words_block_list[0].words == "Text block 1"
    assert result.words_block_list[0].confidence == pytest.approx(0.995)
    assert result.words_block_list[0].location == ((13, 476), (91, 332), (125, 351), (48, 494))


def test_image_tagging_values() -> None:
    """Tagging confidences sent as strings become floats; the doc's 'i2h' typo lands in extra."""
    result = result_of("image_tagging_response_success")
    assert isinstance(result, ImageTaggingResult)
    tag = result.tags[0]
    assert tag.confidence == 37.51
    assert tag.instances[0].confidence == 92.38
    assert tag.instances[0].bounding_box is not None
    assert tag.instances[0].bounding_box.width == pytest.approx(117.5866567171537)
    assert tag.i18n_type is not None
    assert tag.i18n_type.zh is None
    assert tag.i18n_type.extra == {"i2h": "Chinese characters for human"}


def test_thailand_values() -> None:
    """Thai front and back examples give their side's fields and float confidences."""
    front = result_of("thailand_id_card_response_front")
    assert isinstance(front, ThailandIdCardResult)
    assert front.date_of_birth_th == "5 ก.พ. 2493"
    assert front.confidence is not None
    assert front.confidence["date_of_issue_th"] == 1.0
    assert isinstance(front.confidence["date_of_issue_th"], float)
    assert front.portrait_location == ((576, 237), (741, 237), (739, 430), (574, 431))
    assert front.idcard_type == "normal"
    back = result_of("thailand_id_card_response_back")
    assert (back.side, back.card_number, back.laser_number) == (
        "back",
        "XXXX-XXX-XX",
        "XXXX-XXXXXXX-XX",
    )


def test_myanmar_values() -> None:
    """Myanmar 'class' is class_, translations are typed, and an empty field stays empty."""
    front = result_of("myanmar_id_card_response_front")
    assert isinstance(front, MyanmarIdCardResult)
    assert front.class_ == "new_version"
    assert front.height == "၅'၅\""
    assert front.translation_info is not None
    assert front.translation_info.nrc_id_translation == "9/MaKhaNa(C)251959"
    assert front.extra == {}
    back = result_of("myanmar_id_card_response_back")
    assert back.nrc_id_back == ""
    assert back.confidence == {
        "card_id": 0.9878,
        "nrc_id_back": 0.9595,
        "profession": 0.9995,
        "address": 0.9299,
    }


def test_emirates_values() -> None:
    """UAE ID front gives names and nationality; back gives card and laser numbers."""
    front = result_of("emirates_id_card_response_front")
    assert isinstance(front, EmiratesIdCardResult)
    assert (front.nationality, front.nationality_arabic) == ("Egypt", "مصر")
    back = result_of("emirates_id_card_response_back")
    assert back.laser_number == "XXXX-XXXXXXX-XX"
    assert back.extra == {}


def test_bank_card_values() -> None:
    """The bank card example keeps bank_name (empty) and its confidences."""
    result = result_of("bank_card_response_success")
    assert isinstance(result, BankCardResult)
    assert (result.type, result.card_holder, result.bank_name) == ("Visa", "SALIM RASHID", "")
    assert result.confidence is not None
    assert result.confidence["card_number"] == 0.8562


def test_defog_image_is_decoded() -> None:
    """The Defog result's base64 text becomes JPEG bytes, even without its padding."""
    result = result_of("defog_response_success")
    assert isinstance(result, EnhancedImageResult)
    assert result.image.startswith(b"\xff\xd8\xff")
    assert "image" not in repr(result)


def test_bgm_values() -> None:
    """The BGM example names the music."""
    result = result_of("bgm_recognition_response_success")
    assert isinstance(result, BgmRecognitionResult)
    assert result.audio_name == "my heart will go on"


def test_misspelt_error_code_is_kept() -> None:
    """An error code is passed on as sent, even the doc's 'AlS.0005'."""
    body = (EXAMPLES / "image_tagging_response_failure.json").read_bytes()
    assert parse_error_body(400, body)[0] == "AlS.0005"
