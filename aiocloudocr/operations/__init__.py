"""The operation table: the one place that knows the endpoints.

Each endpoint is one :class:`Operation` registered in :data:`OPERATIONS`; the client, the CLI,
the emulator and the tests all iterate over this table.
"""

from __future__ import annotations

from aiocloudocr.errors import ConfigurationError
from aiocloudocr.images import MB, ImageLimits
from aiocloudocr.models.image_tagging import ImageTaggingRequest, ImageTaggingResult
from aiocloudocr.models.web_image import WebImageRequest, WebImageResult
from aiocloudocr.operations._base import AnyOperation, Operation, Service

__all__ = [
    "IMAGE_TAGGING",
    "OPERATIONS",
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
        # The reference: narrow side above 1 px, wide side at most 4,096 px (AIS.0504 text
        # says narrow side above 15 px; the operation's own table is the more specific one).
        formats=frozenset({"JPEG", "PNG", "BMP", "WEBP"}),
        min_side=1,
        max_side=4096,
        max_bytes=10 * MB,
    ),
    summary="Tag scenes, objects and concepts in natural images.",
)

OPERATIONS: dict[str, AnyOperation] = {op.name: op for op in (WEB_IMAGE, IMAGE_TAGGING)}


def get_operation(name: str) -> AnyOperation:
    """Return the operation registered under ``name``."""
    try:
        return OPERATIONS[name]
    except KeyError:
        known = ", ".join(sorted(OPERATIONS))
        raise ConfigurationError(f"unknown operation {name!r}; known: {known}") from None
