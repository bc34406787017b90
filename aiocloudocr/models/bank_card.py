"""UAE Bank Card OCR (``POST /v2/{project_id}/ocr/bankcard``): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.models._base import Result, exactly_one_source, extra_field, optional_bool


@attrs.frozen(kw_only=True)
class BankCardRequest:
    """Request body of UAE Bank Card OCR. Set exactly one of ``image`` (base64) and ``url``.

    ``return_text_location`` is not on the seed page; the reference SDK sends it.
    """

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    return_text_location: bool | None = attrs.field(default=None, validator=optional_bool)

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class BankCardResult(Result):
    """Result of UAE Bank Card OCR; ``type`` is ``Visa``, ``MasterCard`` or ``Unrecognized``.

    ``confidence`` maps field names to 0-1 scores.
    """

    type: str | None = None
    card_number: str | None = None
    issue_date: str | None = None
    expiry_date: str | None = None
    card_holder: str | None = None
    # Not in the field table, but the example response carries it (empty there).
    bank_name: str | None = None
    confidence: Mapping[str, float] | None = None
    # Answers return_text_location, which the seed page does not document: kept as sent.
    text_location: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = extra_field()
