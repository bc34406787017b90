"""What each operation does once a request is authenticated: one behaviour per operation name.

Each behaviour carries the limits and error codes of its own documentation page, so the
emulator never borrows the client's idea of them. Adding an operation to the emulator means
adding a module here and one entry in :data:`BEHAVIOURS`; routes come from
:data:`aiocloudocr.operations.OPERATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from aiocloudocr._images import ImageLimits
from aiocloudocr.emulator._behaviours import (
    bank_card,
    bgm_recognition,
    emirates_id_card,
    image_tagging,
    image_tagging_v1,
    myanmar_id_card,
    passport,
    thailand_id_card,
    vision,
    web_image,
)
from aiocloudocr.emulator._engines import TextBlock
from aiocloudocr.emulator._images import (
    OCR_CODES,
    TAGGING_CODES,
    VIDEO_CODES,
    VISION_CODES,
    ImageInfo,
    ServiceCodes,
)

Check = Callable[[Mapping[str, Any], ServiceCodes], None]


@attrs.frozen(kw_only=True)
class ImageBehaviour:
    """A JSON call with ``image`` or ``url``: field checks, then a result from the image.

    ``blocking`` answers decode pixels (e.g. portrait crops) and run in a worker thread.
    """

    limits: ImageLimits
    codes: ServiceCodes
    check: Check
    answer: Callable[[Mapping[str, Any], ImageInfo], dict[str, Any]]
    blocking: bool = False


@attrs.frozen(kw_only=True)
class TextBehaviour:
    """A JSON call with ``image`` or ``url`` whose result is built around the text blocks the
    emulator's text engine reads (Web Image): field checks, the engine, then the result.

    ``align`` says whether a request asks for turned text to be read upright; ``unreadable``
    is the code answered when the engine cannot decode the pixels (a damaged image whose
    header is fine).
    """

    limits: ImageLimits
    codes: ServiceCodes
    check: Check
    align: Callable[[Mapping[str, Any]], bool]
    unreadable: str
    answer: Callable[[Mapping[str, Any], ImageInfo, Sequence[TextBlock]], dict[str, Any]]


@attrs.frozen(kw_only=True)
class VisionBehaviour:
    """A v1 image-processing call: ``image`` in JSON or a multipart ``file``; image out."""

    limits: ImageLimits
    codes: ServiceCodes
    check: Check
    transform: Callable[[Mapping[str, Any], ImageInfo, ServiceCodes], vision.ProcessedImage]
    form_fields: Mapping[str, Callable[[str], Any]] = vision.FORM_FIELDS


@attrs.frozen(kw_only=True)
class VideoBehaviour:
    """A call naming a video by ``url``: fetched, checked, answered from the URL."""

    codes: ServiceCodes
    check: Check
    check_video: Callable[[bytes, ServiceCodes], None]
    max_bytes: int
    answer: Callable[[Mapping[str, Any], bytes], dict[str, Any]]


Behaviour = ImageBehaviour | TextBehaviour | VisionBehaviour | VideoBehaviour


def _ocr(module: Any, *, blocking: bool = False) -> ImageBehaviour:
    return ImageBehaviour(
        limits=module.LIMITS,
        codes=OCR_CODES,
        check=module.check,
        answer=module.answer,
        blocking=blocking,
    )


def _vision(check: Check, transform: Any, limits: ImageLimits) -> VisionBehaviour:
    return VisionBehaviour(limits=limits, codes=VISION_CODES, check=check, transform=transform)


BEHAVIOURS: dict[str, Behaviour] = {
    "web_image": TextBehaviour(
        limits=web_image.LIMITS,
        codes=OCR_CODES,
        check=web_image.check,
        align=web_image.aligns,
        unreadable=web_image.UNREADABLE,
        answer=web_image.answer,
    ),
    "thailand_id_card": _ocr(thailand_id_card, blocking=True),
    "myanmar_id_card": _ocr(myanmar_id_card, blocking=True),
    "passport": _ocr(passport),
    "emirates_id_card": _ocr(emirates_id_card),
    "bank_card": _ocr(bank_card),
    "image_tagging": ImageBehaviour(
        limits=image_tagging.LIMITS,
        codes=TAGGING_CODES,
        check=image_tagging.check,
        answer=image_tagging.answer,
    ),
    "image_tagging_v1": ImageBehaviour(
        limits=image_tagging_v1.LIMITS,
        codes=TAGGING_CODES,
        check=image_tagging_v1.check,
        answer=image_tagging_v1.answer,
    ),
    "dark_enhance": _vision(vision.check_dark_enhance, vision.dark_enhance, vision.ENHANCE_LIMITS),
    "defog": _vision(vision.check_defog, vision.defog, vision.ENHANCE_LIMITS),
    "super_resolution": _vision(
        vision.check_super_resolution, vision.super_resolution, vision.SUPER_RESOLUTION_LIMITS
    ),
    "bgm_recognition": VideoBehaviour(
        codes=VIDEO_CODES,
        check=bgm_recognition.check,
        check_video=bgm_recognition.check_video,
        max_bytes=bgm_recognition.MAX_BYTES,
        answer=bgm_recognition.answer,
    ),
}


def reads_text(operation: str) -> bool:
    """Whether the emulator answers ``operation`` from the text its engine reads."""
    return isinstance(BEHAVIOURS.get(operation), TextBehaviour)
