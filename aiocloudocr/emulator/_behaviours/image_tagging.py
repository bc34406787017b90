"""Image Tagging v2: field checks and tags that are a pure function of the image bytes."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours._fields import optional_choice, optional_number
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

# "The image resolution of the narrow sides must be greater than 1 pixels, and that of the
# wide sides cannot exceed 4,096 pixels": taken literally, a side needs at least 2 px.
LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "WEBP"}), min_side=2, max_side=4096, max_bytes=10 * MB
)
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
DEFAULT_THRESHOLD = 60.0

TYPE_NAMES = {"object": "物体", "scene": "场景", "concept": "概念"}

# (English, Chinese, type): the vocabulary every image draws its candidate tags from.
VOCABULARY = (
    ("person", "人", "object"),
    ("dog", "狗", "object"),
    ("cat", "猫", "object"),
    ("car", "汽车", "object"),
    ("bicycle", "自行车", "object"),
    ("tree", "树", "object"),
    ("flower", "花", "object"),
    ("building", "建筑", "object"),
    ("cup", "杯子", "object"),
    ("laptop", "笔记本电脑", "object"),
    ("beach", "海滩", "scene"),
    ("mountain", "山", "scene"),
    ("street", "街道", "scene"),
    ("indoor", "室内", "scene"),
    ("sky", "天空", "scene"),
    ("forest", "森林", "scene"),
    ("night", "夜晚", "concept"),
    ("travel", "旅行", "concept"),
    ("food", "美食", "concept"),
    ("sport", "运动", "concept"),
    ("art", "艺术", "concept"),
    ("technology", "科技", "concept"),
)


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """Reject a bad language, threshold (0-100) or limit (whole, 1-150)."""
    optional_choice(body, "language", LANGUAGES, codes.invalid)
    optional_number(body, "threshold", 0, 100, codes.invalid)
    optional_number(body, "limit", 1, 150, codes.invalid, integer=True)


def _confidence(rng: random.Random, low: float, high: float) -> str:
    # Documented as a string: the float converted to text.
    return f"{rng.uniform(low, high):.2f}"


def _instances(rng: random.Random, image: ImageInfo) -> list[dict[str, Any]]:
    instances: list[dict[str, Any]] = []
    for _ in range(rng.randint(0, 2)):
        width = rng.uniform(0.1, 0.9) * image.width
        height = rng.uniform(0.1, 0.9) * image.height
        instances.append(
            {
                "bounding_box": {
                    "width": width,
                    "height": height,
                    "top_left_x": rng.uniform(0, image.width - width),
                    "top_left_y": rng.uniform(0, image.height - height),
                },
                "confidence": _confidence(rng, 50, 99.99),
            }
        )
    return instances


def candidates(image: ImageInfo) -> list[dict[str, Any]]:
    """Every tag the image could get, most confident first (threshold and limit cut it)."""
    rng = random.Random(image.digest + b"tags")
    chosen = rng.sample(VOCABULARY, rng.randint(5, len(VOCABULARY)))
    tags: list[dict[str, Any]] = []
    for english, chinese, kind in chosen:
        tags.append(
            {
                "confidence": _confidence(rng, 20, 99.99),
                "type": kind,
                "tag": english,
                "i18n_tag": {"zh": chinese, "en": english},
                "i18n_type": {"zh": TYPE_NAMES[kind], "en": kind},
                "instances": _instances(rng, image) if kind == "object" else [],
            }
        )
    tags.sort(key=lambda tag: float(tag["confidence"]), reverse=True)
    return tags


def answer(body: Mapping[str, Any], image: ImageInfo) -> dict[str, Any]:
    """The tags at or above the threshold, at most ``limit``, in the requested language."""
    language = body.get("language") or DEFAULT_LANGUAGE
    threshold = body.get("threshold")
    threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    limit = body.get("limit")
    tags = [tag for tag in candidates(image) if float(tag["confidence"]) >= threshold]
    if limit is not None:
        tags = tags[: int(limit)]
    for tag in tags:
        tag["tag"] = tag["i18n_tag"][language]
    return {"result": {"tags": tags}}
