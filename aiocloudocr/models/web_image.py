"""Web Image OCR (``POST /v2/{project_id}/ocr/web-image``): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.errors import ValidationError
from aiocloudocr.models._base import Result, exactly_one_source, extra_field, optional_bool

EXTRACT_TYPES = ("contact_info", "image_size")


def _extract_types(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...] | None
) -> None:
    if value is None:
        return
    unknown = [item for item in value if item not in EXTRACT_TYPES]
    if unknown:
        raise ValidationError(
            f"extract_type items must be among {', '.join(EXTRACT_TYPES)}, got {unknown!r}",
            field="extract_type",
        )


def _tuple_or_none(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen(kw_only=True)
class WebImageRequest:
    """Request body of Web Image OCR. Set exactly one of ``image`` (base64) and ``url``."""

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    detect_direction: bool | None = attrs.field(default=None, validator=optional_bool)
    extract_type: tuple[str, ...] | None = attrs.field(
        default=None, converter=_tuple_or_none, validator=_extract_types
    )
    detect_font: bool | None = attrs.field(default=None, validator=optional_bool)
    detect_text_direction: bool | None = attrs.field(default=None, validator=optional_bool)

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class WebImageWordsBlock:
    """One recognised text block; ``location`` is four (x, y) vertices.

    A field the service left out or sent oddly typed is ``None`` (``location``: empty).
    """

    words: str | None = None
    confidence: float | None = None
    location: tuple[tuple[int, int], ...] = ()
    font_list: tuple[str, ...] | None = None
    font_scores: tuple[float, ...] | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class WebImageContactInfo:
    """Contact information extracted when ``extract_type`` holds ``contact_info``."""

    name: str | None = None
    phone: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    detail_address: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class WebImageImageSize:
    """Image width and height, returned when ``extract_type`` holds ``image_size``."""

    height: int | None = None
    width: int | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class WebImageExtractedData:
    """Structured data extracted on request (``extract_type``)."""

    contact_info: WebImageContactInfo | None = None
    image_size: WebImageImageSize | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class WebImageResult(Result):
    """Result of Web Image OCR: text blocks from left to right, top to bottom."""

    words_block_count: int | None = None
    words_block_list: tuple[WebImageWordsBlock, ...] = ()
    extracted_data: WebImageExtractedData | None = None
    extra: Mapping[str, Any] = extra_field()
