"""UAE ID Card OCR (``POST /v2/{project_id}/ocr/emirates-id-card``): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.models._base import Result, exactly_one_source, extra_field, one_of

SIDES = ("front", "back")


@attrs.frozen(kw_only=True)
class EmiratesIdCardRequest:
    """Request body of UAE ID Card OCR. Set exactly one of ``image`` (base64) and ``url``.

    ``side`` is ``front`` or ``back``; left unset or empty (``""``, sent as given), the
    service detects the side.
    """

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    # Seed 002, 3.2 UAE ID Card OCR, Table 3-9, side: "If this parameter is left empty or
    # not included, the system automatically recognizes whether the image is the front or
    # back of an ID card."
    side: str | None = attrs.field(default=None, validator=one_of(*SIDES, ""))

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class EmiratesIdCardResult(Result):
    """Result of UAE ID Card OCR; which fields are set depends on ``side``.

    The front gives ``id_number``, ``name``/``name_arabic`` and
    ``nationality``/``nationality_arabic``; the back gives ``card_number``,
    ``laser_number`` and the machine-readable lines ``machinecode1``-``machinecode3``.
    The reference does not tie ``sex``, ``date_of_birth``, ``expiry_date`` and
    ``country_code`` to a side. ``confidence`` maps field names to 0-1 scores.
    """

    side: str | None = None
    id_number: str | None = None
    name: str | None = None
    name_arabic: str | None = None
    nationality: str | None = None
    nationality_arabic: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None
    expiry_date: str | None = None
    card_number: str | None = None
    # Not in the field table, but the back-side example response carries it.
    laser_number: str | None = None
    country_code: str | None = None
    machinecode1: str | None = None
    machinecode2: str | None = None
    machinecode3: str | None = None
    confidence: Mapping[str, float] | None = None
    extra: Mapping[str, Any] = extra_field()
