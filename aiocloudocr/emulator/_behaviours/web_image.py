"""Web Image OCR: field checks, and a result built around the text blocks of the engine.

The text (words, confidence, location) comes from the emulator's text engine (see
:mod:`aiocloudocr.emulator._engines`); the fields no engine reads (fonts, contact details)
are a pure function of the image bytes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours._fields import optional_bool, optional_choices
from aiocloudocr.emulator._engines import TextBlock
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

# JPG, JPEG, PNG, BMP, TIFF, TGA, WebP, ICO, PCX or GIF; 15-8,192 px per side; 10 MB.
LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "TIFF", "TGA", "WEBP", "ICO", "PCX", "GIF"}),
    min_side=15,
    max_side=8192,
    max_bytes=10 * MB,
)
# The OCR error table's "The image is not supported or the image quality is poor."
UNREADABLE = "AIS.0104"
EXTRACT_TYPES = ("contact_info", "image_size")
BOOLEAN_FIELDS = ("detect_direction", "detect_font", "detect_text_direction")

FONTS = (
    "SimSun",
    "SimHei",
    "Microsoft YaHei",
    "KaiTi",
    "FangSong",
    "Arial",
    "Times New Roman",
    "Helvetica",
    "Courier New",
    "Verdana",
)
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "Alex Chen", "Maria Lopez")
PLACES = (
    ("广东省", "深圳市", "南山区"),
    ("浙江省", "杭州市", "西湖区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("四川省", "成都市", "武侯区"),
    ("北京市", "北京市", "海淀区"),
)
STREETS = ("科技园路", "文三路", "中山北路", "人民南路", "中关村大街")


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """Reject ill-typed options before any image work."""
    for name in BOOLEAN_FIELDS:
        optional_bool(body, name, codes.invalid)
    optional_choices(body, "extract_type", EXTRACT_TYPES, codes.invalid)


def aligns(body: Mapping[str, Any]) -> bool:
    """Whether the request asks for tilted text to be aligned (``detect_direction``).

    ``detect_text_direction`` (on by default) needs nothing of the engine: it reads
    vertical lines as such in any case.
    """
    return body.get("detect_direction") is True


def _rng(image: ImageInfo, purpose: str) -> random.Random:
    # One stream per purpose, so an option never shifts what the others produce.
    return random.Random(image.digest + purpose.encode())


def _add_fonts(image: ImageInfo, blocks: list[dict[str, Any]]) -> None:
    rng = _rng(image, "fonts")
    for block in blocks:
        scores = sorted((rng.random() for _ in range(5)), reverse=True)
        total = sum(scores) or 1.0
        block["font_list"] = rng.sample(FONTS, 5)
        block["font_scores"] = [round(score / total, 4) for score in scores]


def _contact_info(image: ImageInfo) -> dict[str, str]:
    rng = _rng(image, "contact")
    province, city, district = rng.choice(PLACES)
    return {
        "name": rng.choice(NAMES),
        "phone": "1" + "".join(str(rng.randint(0, 9)) for _ in range(10)),
        "province": province,
        "city": city,
        "district": district,
        "detail_address": f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
    }


def answer(body: Mapping[str, Any], image: ImageInfo, text: Sequence[TextBlock]) -> dict[str, Any]:
    """The recognition result for an accepted request whose image reads as ``text``."""
    blocks = [block.as_json() for block in text]
    if body.get("detect_font") is True:
        _add_fonts(image, blocks)
    extracted: dict[str, Any] = {}
    kinds = body.get("extract_type") or ()
    if "contact_info" in kinds:
        extracted["contact_info"] = _contact_info(image)
    if "image_size" in kinds:
        extracted["image_size"] = {"width": image.width, "height": image.height}
    return {
        "result": {
            "words_block_count": len(blocks),
            "words_block_list": blocks,
            "extracted_data": extracted,
        }
    }
