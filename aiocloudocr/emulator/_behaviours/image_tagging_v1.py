"""Image Tagging v1 (seed 003, 7.1.1, deprecated): the v2 vocabulary in the v1 shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours._fields import optional_choice, optional_number
from aiocloudocr.emulator._behaviours.image_tagging import LANGUAGES, candidates
from aiocloudocr.emulator._errors import ApiError
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

# "The narrow sides must be greater than 15 pixels, ... the wide sides cannot exceed 4096".
LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "WEBP"}), min_side=16, max_side=4096, max_bytes=10 * MB
)
DEFAULT_LIMIT = 30
DEFAULT_THRESHOLD = 0.0


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``language`` zh/en, ``limit`` a whole number from 1, ``threshold`` a number.

    v1 documents no upper bound for ``limit``, and an out-of-range ``threshold`` falls
    back to the default instead of failing, so only its type is checked.
    """
    optional_choice(body, "language", LANGUAGES, codes.invalid)
    optional_number(body, "limit", 1, float("inf"), codes.invalid, integer=True)
    threshold = body.get("threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, (int, float))
    ):
        raise ApiError(400, codes.invalid)


def answer(body: Mapping[str, Any], image: ImageInfo) -> dict[str, Any]:
    """Tags at or above the threshold (default 0), at most ``limit`` (default 30).

    v1 documents ``confidence`` as a Float (v2 sends strings) and has no ``i18n_type``
    or ``instances``.
    """
    language = body.get("language") or "zh"
    threshold = body.get("threshold")
    if threshold is None or not 0 <= threshold <= 100:
        threshold = DEFAULT_THRESHOLD
    limit = body.get("limit") or DEFAULT_LIMIT
    tags = []
    for tag in candidates(image):
        confidence = float(tag["confidence"])
        if confidence >= threshold:
            tags.append({
                "confidence": confidence,
                "tag": tag["i18n_tag"][language],
                "type": tag["type"],
                "i18n_tag": tag["i18n_tag"],
            })  # fmt: skip
    return {"result": {"tags": tags[:limit]}}
