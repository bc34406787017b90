"""The operation table: the one place that knows the endpoints.

Each endpoint is one :class:`Operation` registered in :data:`OPERATIONS`; the client, the CLI,
the emulator and the tests all iterate over this table.
"""

from __future__ import annotations

import difflib

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.errors import ConfigurationError
from aiocloudocr.models.bank_card import BankCardRequest, BankCardResult
from aiocloudocr.models.bgm_recognition import BgmRecognitionRequest, BgmRecognitionResult
from aiocloudocr.models.emirates_id_card import EmiratesIdCardRequest, EmiratesIdCardResult
from aiocloudocr.models.image_tagging import ImageTaggingRequest, ImageTaggingResult
from aiocloudocr.models.image_tagging_v1 import ImageTaggingV1Request, ImageTaggingV1Result
from aiocloudocr.models.myanmar_id_card import MyanmarIdCardRequest, MyanmarIdCardResult
from aiocloudocr.models.passport import PassportRequest, PassportResult
from aiocloudocr.models.thailand_id_card import ThailandIdCardRequest, ThailandIdCardResult
from aiocloudocr.models.vision_v1 import (
    DarkEnhanceRequest,
    DefogRequest,
    EnhancedImageResult,
    SuperResolutionRequest,
)
from aiocloudocr.models.web_image import WebImageRequest, WebImageResult
from aiocloudocr.operations._base import AnyOperation, Operation, Service

__all__ = [
    "BANK_CARD",
    "BGM_RECOGNITION",
    "DARK_ENHANCE",
    "DEFOG",
    "EMIRATES_ID_CARD",
    "IMAGE_TAGGING",
    "IMAGE_TAGGING_V1",
    "MYANMAR_ID_CARD",
    "OPERATIONS",
    "PASSPORT",
    "SUPER_RESOLUTION",
    "THAILAND_ID_CARD",
    "WEB_IMAGE",
    "AnyOperation",
    "Operation",
    "Service",
    "get_operation",
]

WEB_IMAGE: Operation[WebImageRequest, WebImageResult] = Operation(
    name="web_image",
    service="ocr",
    path="/v2/{project_id}/ocr/web-image",
    request_type=WebImageRequest,
    result_type=WebImageResult,
    limits=ImageLimits(
        formats=frozenset({"JPEG", "PNG", "BMP", "TIFF", "TGA", "WEBP", "ICO", "PCX", "GIF"}),
        min_side=15,
        max_side=8192,
        max_bytes=10 * MB,
    ),
    summary="Extract text blocks from web images, screenshots and ads.",
)

IMAGE_TAGGING: Operation[ImageTaggingRequest, ImageTaggingResult] = Operation(
    name="image_tagging",
    service="image",
    path="/v2/{project_id}/image/tagging",
    request_type=ImageTaggingRequest,
    result_type=ImageTaggingResult,
    limits=ImageLimits(
        # The reference: narrow side "greater than 1 pixels" (so 2), wide side at most
        # 4,096 px (AIS.0504's text says above 15 px; the operation's own table is the more
        # specific statement).
        formats=frozenset({"JPEG", "PNG", "BMP", "WEBP"}),
        min_side=2,
        max_side=4096,
        max_bytes=10 * MB,
        # The Image error table's codes for the tagging APIs (the OCR defaults do not apply).
        format_code="AIS.0502",
        size_code="AIS.0504",
        damaged_code="AIS.0503",  # seed 003 l.1052 "The image is damaged."
    ),
    summary="Tag scenes, objects and concepts in natural images.",
)

# The ID card and passport pages list JPG and JPEG separately; Pillow calls both JPEG.
_ID_FORMATS = frozenset({"JPEG", "PNG", "BMP", "TIFF"})

THAILAND_ID_CARD: Operation[ThailandIdCardRequest, ThailandIdCardResult] = Operation(
    name="thailand_id_card",
    service="ocr",
    path="/v2/{project_id}/ocr/thailand-id-card",
    request_type=ThailandIdCardRequest,
    result_type=ThailandIdCardResult,
    # Seed 001, "Constraints" and the image field: PNG/JPG/JPEG/BMP/TIFF, 15-8,192 px, 10 MB.
    limits=ImageLimits(formats=_ID_FORMATS, min_side=15, max_side=8192, max_bytes=10 * MB),
    summary="Read the front or back of a Thai national ID card into fields.",
)

MYANMAR_ID_CARD: Operation[MyanmarIdCardRequest, MyanmarIdCardResult] = Operation(
    name="myanmar_id_card",
    service="ocr",
    path="/v2/{project_id}/ocr/myanmar-id-card",
    request_type=MyanmarIdCardRequest,
    result_type=MyanmarIdCardResult,
    # Seed 004, "Constraints" and the image field: PNG/JPG/JPEG/BMP/TIFF, 15-8,192 px, 10 MB.
    limits=ImageLimits(formats=_ID_FORMATS, min_side=15, max_side=8192, max_bytes=10 * MB),
    summary="Read the front or back of a Myanmar national registration card into fields.",
)

PASSPORT: Operation[PassportRequest, PassportResult] = Operation(
    name="passport",
    service="ocr",
    path="/v2/{project_id}/ocr/passport",
    request_type=PassportRequest,
    result_type=PassportResult,
    # Seed 002, Passport image field: JPEG/JPG/PNG/BMP/TIFF, 10 MB, and at most 4,096 px
    # per side (not 8,192 as on the other OCR pages).
    limits=ImageLimits(formats=_ID_FORMATS, min_side=15, max_side=4096, max_bytes=10 * MB),
    summary="Read the data page of a passport: key fields and the machine-readable zone.",
)

EMIRATES_ID_CARD: Operation[EmiratesIdCardRequest, EmiratesIdCardResult] = Operation(
    name="emirates_id_card",
    service="ocr",
    path="/v2/{project_id}/ocr/emirates-id-card",
    request_type=EmiratesIdCardRequest,
    result_type=EmiratesIdCardResult,
    # Seed 002, UAE ID card image field: JPEG/JPG/PNG/BMP/TIFF, 15-8,192 px, 10 MB.
    limits=ImageLimits(formats=_ID_FORMATS, min_side=15, max_side=8192, max_bytes=10 * MB),
    summary="Read the front or back of a UAE (Emirates) ID card into fields.",
)

BANK_CARD: Operation[BankCardRequest, BankCardResult] = Operation(
    name="bank_card",
    service="ocr",
    path="/v2/{project_id}/ocr/bankcard",
    request_type=BankCardRequest,
    result_type=BankCardResult,
    # Seed 002, UAE bank card image field: JPG/PNG/BMP/TIFF, 15-8,192 px, 10 MB.
    limits=ImageLimits(formats=_ID_FORMATS, min_side=15, max_side=8192, max_bytes=10 * MB),
    summary="Read a UAE bank card: number, dates, holder and card type.",
)

IMAGE_TAGGING_V1: Operation[ImageTaggingV1Request, ImageTaggingV1Result] = Operation(
    name="image_tagging_v1",
    service="image",
    path="/v1.0/image/tagging",
    request_type=ImageTaggingV1Request,
    result_type=ImageTaggingV1Result,
    # Seed 003 7.1.1 image field (the same words as AIS.0504 in its error table): JPEG/PNG/
    # BMP/WEBP, 10 MB, narrow side *greater than* 15 px (so 16), wide side at most 4,096 px.
    # AIS.0502/AIS.0504 are the Image table's format/size codes of the tagging APIs.
    limits=ImageLimits(
        formats=frozenset({"JPEG", "PNG", "BMP", "WEBP"}),
        min_side=16,
        max_side=4096,
        max_bytes=10 * MB,
        format_code="AIS.0502",
        size_code="AIS.0504",
        damaged_code="AIS.0503",  # seed 003 l.1052 "The image is damaged."
    ),
    deprecated=True,
    summary="Tag scenes, objects and concepts (deprecated v1; use image_tagging).",
)


# Seed 003 7.1.2-7.1.4 state formats and the 10 MB bound only, no pixel bounds: sides are
# left to the service (1 px up to 65,535 px, the JPEG format's own maximum). The Image error
# table's 02xx series answers for these image-processing APIs: AIS.0202 (format not
# supported) and AIS.0205 (resolution exceeds the upper limit), which also stands for the
# size bound, ImageLimits having a single size code.
def _vision_limits(formats: frozenset[str]) -> ImageLimits:
    return ImageLimits(
        formats=formats,
        min_side=1,
        max_side=65535,
        max_bytes=10 * MB,
        format_code="AIS.0202",
        size_code="AIS.0205",
        damaged_code="AIS.0201",  # 003 l.1042, the 02xx series has no "damaged": see ImageLimits
    )


DARK_ENHANCE: Operation[DarkEnhanceRequest, EnhancedImageResult] = Operation(
    name="dark_enhance",
    service="image",
    path="/v1.0/vision/dark-enhance",
    request_type=DarkEnhanceRequest,
    result_type=EnhancedImageResult,
    limits=_vision_limits(frozenset({"JPEG", "PNG", "BMP", "WEBP"})),
    deprecated=True,
    summary="Brighten dark areas of an image (deprecated v1).",
)

DEFOG: Operation[DefogRequest, EnhancedImageResult] = Operation(
    name="defog",
    service="image",
    path="/v1.0/vision/defog",
    request_type=DefogRequest,
    result_type=EnhancedImageResult,
    limits=_vision_limits(frozenset({"JPEG", "PNG", "BMP", "WEBP"})),
    deprecated=True,
    summary="Remove haze from an image (deprecated v1).",
)

SUPER_RESOLUTION: Operation[SuperResolutionRequest, EnhancedImageResult] = Operation(
    name="super_resolution",
    service="image",
    path="/v1.0/vision/super-resolution",
    request_type=SuperResolutionRequest,
    result_type=EnhancedImageResult,
    # 7.1.4 lists JPEG, PNG and BMP only (no WEBP).
    limits=_vision_limits(frozenset({"JPEG", "PNG", "BMP"})),
    deprecated=True,
    summary="Upscale an image 3x or 4x (deprecated v1).",
)

BGM_RECOGNITION: Operation[BgmRecognitionRequest, BgmRecognitionResult] = Operation(
    name="bgm_recognition",
    service="image",
    path="/v1.0/bgm/recognition",
    request_type=BgmRecognitionRequest,
    result_type=BgmRecognitionResult,
    # Takes the URL of an MP4 video (at most 65 MB), never an image: nothing to check here.
    limits=None,
    deprecated=True,
    summary="Name the background music of an MP4 video (deprecated v1).",
)

OPERATIONS: dict[str, AnyOperation] = {
    op.name: op
    for op in (
        WEB_IMAGE,
        IMAGE_TAGGING,
        THAILAND_ID_CARD,
        MYANMAR_ID_CARD,
        PASSPORT,
        EMIRATES_ID_CARD,
        BANK_CARD,
        IMAGE_TAGGING_V1,
        DARK_ENHANCE,
        DEFOG,
        SUPER_RESOLUTION,
        BGM_RECOGNITION,
    )
}


def get_operation(name: str) -> AnyOperation:
    """Return the operation registered under ``name``; ``-`` and ``_`` are alike, so the
    endpoint's own path name (``web-image``) works too."""
    canonical = name.replace("-", "_")
    try:
        return OPERATIONS[canonical]
    except KeyError:
        close = difflib.get_close_matches(canonical, OPERATIONS, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        known = ", ".join(sorted(OPERATIONS))
        raise ConfigurationError(f"unknown operation {name!r}{hint}; known: {known}") from None
