"""Passport OCR (``POST /v2/{project_id}/ocr/passport``): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.models._base import Result, exactly_one_source, extra_field, one_of

# Not on the seed page; the reference SDK sends it: GENERAL reads only the machine-readable
# zone, CHN reads every field of a Chinese passport, and leaving it out lets the service choose.
COUNTRY_CODES = ("GENERAL", "CHN")


@attrs.frozen(kw_only=True)
class PassportRequest:
    """Request body of Passport OCR. Set exactly one of ``image`` (base64) and ``url``."""

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    country_code: str | None = attrs.field(default=None, validator=one_of(*COUNTRY_CODES))

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class PassportResult(Result):
    """Result of Passport OCR: key fields in English, ``extra_info`` in the local language.

    ``confidence`` maps field names to 0-1 scores. The reference speaks of 13 key fields but
    its table (cut short by the UAE ID card section) lists the seven below; the others the
    service sends are kept in ``extra``.
    """

    country_code: str | None = None
    passport_number: str | None = None
    surname: str | None = None
    given_name: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None
    date_of_expiry: str | None = None
    confidence: Mapping[str, float] | None = None
    # Documented as an Object that is "left blank by default": its keys are not specified.
    extra_info: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = extra_field()
