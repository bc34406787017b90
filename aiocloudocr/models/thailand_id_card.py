"""Thailand ID Card OCR (``POST /v2/{project_id}/ocr/thailand-id-card``): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.models._base import (
    Result,
    exactly_one_source,
    extra_field,
    one_of,
    optional_bool,
)

SIDES = ("front", "back")


@attrs.frozen(kw_only=True)
class ThailandIdCardRequest:
    """Request body of Thailand ID Card OCR. Set exactly one of ``image`` (base64) and ``url``.

    ``side`` is ``front`` or ``back``; left unset or empty (``""``, sent as given), the
    service detects the side.
    """

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    # Seed 001, request table, side: "If the value of this parameter is empty or not
    # included, the system will automatically recognize whether the image is the front or
    # back of an ID card."
    side: str | None = attrs.field(default=None, validator=one_of(*SIDES, ""))
    return_portrait_image: bool | None = attrs.field(default=None, validator=optional_bool)
    return_portrait_location: bool | None = attrs.field(default=None, validator=optional_bool)
    return_idcard_type: bool | None = attrs.field(default=None, validator=optional_bool)
    return_text_location: bool | None = attrs.field(default=None, validator=optional_bool)

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class ThailandIdCardResult(Result):
    """Result of Thailand ID Card OCR.

    The front gives the names, dates, religion, address and serial number; the back gives
    ``card_number`` and ``laser_number``. ``confidence`` maps field names to 0-1 scores.
    ``portrait_image``, ``portrait_location``, ``idcard_type`` and ``text_location`` come
    only when the matching ``return_*`` flag was set.
    """

    side: str | None = None
    type: str | None = None
    id_number: str | None = None
    name_th: str | None = None
    name_en: str | None = None
    first_name_en: str | None = None
    last_name_en: str | None = None
    ref_number: str | None = None
    date_of_birth_th: str | None = None
    date_of_birth_en: str | None = None
    religion_th: str | None = None
    address_th: str | None = None
    date_of_issue_th: str | None = None
    date_of_issue_en: str | None = None
    date_of_expiry_th: str | None = None
    date_of_expiry_en: str | None = None
    serial_number: str | None = None
    card_number: str | None = None
    laser_number: str | None = None
    confidence: Mapping[str, float] | None = None
    portrait_image: str | None = attrs.field(default=None, repr=False)
    portrait_location: tuple[tuple[int, int], ...] | None = None
    idcard_type: str | None = None
    # Documented only as an Object of per-field vertex lists: kept as the service sends it.
    text_location: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = extra_field()
