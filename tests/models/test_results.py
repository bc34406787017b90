"""Result parsing beyond the seed examples: decoding, renames, unknown keys."""

from __future__ import annotations

import base64

import pytest

from aiocloudocr.models.converter import parse_result
from aiocloudocr.models.image_tagging_v1 import ImageTaggingV1Result
from aiocloudocr.models.myanmar_id_card import MyanmarIdCardResult
from aiocloudocr.models.passport import PassportResult
from aiocloudocr.models.vision_v1 import EnhancedImageResult


def test_enhanced_image_round_trip() -> None:
    """The result's base64 text is decoded to the image bytes, and raw keeps the text."""
    text = base64.b64encode(b"\x89PNG\r\n\x1a\nrest").decode()
    result = parse_result(text, EnhancedImageResult)
    assert result.image == b"\x89PNG\r\n\x1a\nrest"
    assert result.raw == text


@pytest.mark.parametrize("payload", ["not base64!", "AAAAA"])
def test_enhanced_image_rejects_bad_base64(payload: str) -> None:
    """Text that is not base64 raises ValueError (the client maps it to InvalidResponseError)."""
    with pytest.raises(ValueError, match="not base64"):
        parse_result(payload, EnhancedImageResult)


def test_enhanced_image_rejects_an_object() -> None:
    """A JSON object where the base64 text belongs raises TypeError."""
    with pytest.raises(TypeError):
        parse_result({"image": "AAAA"}, EnhancedImageResult)


def test_v1_tag_confidence_strings_become_floats() -> None:
    """v1 tag confidences sent as strings or numbers both come out as floats."""
    payload = {
        "tags": [
            {"tag": "cat", "confidence": "88.5", "type": "object", "i18n_tag": {"zh": "猫"}},
            {"tag": "sky", "confidence": 70, "type": "scene"},
        ]
    }
    result = parse_result(payload, ImageTaggingV1Result)
    assert [tag.confidence for tag in result.tags] == [88.5, 70.0]
    assert result.tags[0].i18n_tag is not None
    assert result.tags[0].i18n_tag.zh == "猫"


def test_myanmar_unknown_keys_go_to_extra() -> None:
    """Keys the model does not know are kept in extra; 'class' is not one of them."""
    result = parse_result({"class": "old_version", "new_key": 1}, MyanmarIdCardResult)
    assert result.class_ == "old_version"
    assert result.extra == {"new_key": 1}


def test_passport_extra_info_stays_a_mapping() -> None:
    """Passport extra_info is kept as sent; undocumented key fields land in extra."""
    payload = {
        "passport_number": "E12345678",
        "confidence": {"passport_number": 0.99},
        "extra_info": {"chinese": {"name": "张三"}},
        "nationality": "CHN",
    }
    result = parse_result(payload, PassportResult)
    assert result.extra_info == {"chinese": {"name": "张三"}}
    assert result.extra == {"nationality": "CHN"}
