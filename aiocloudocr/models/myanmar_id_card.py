"""Myanmar ID Card OCR (``POST /v2/{project_id}/ocr/myanmar-id-card``): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.models._base import Result, exactly_one_source, extra_field, optional_bool
from aiocloudocr.models.converter import json_key


@attrs.frozen(kw_only=True)
class MyanmarIdCardRequest:
    """Request body of Myanmar ID Card OCR. Set exactly one of ``image`` (base64) and ``url``.

    ``convert_unicode`` asks for Unicode text (the service default is Zawgyi).
    """

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    convert_unicode: bool | None = attrs.field(default=None, validator=optional_bool)
    return_confidence: bool | None = attrs.field(default=None, validator=optional_bool)
    return_portrait_image: bool | None = attrs.field(default=None, validator=optional_bool)
    return_portrait_location: bool | None = attrs.field(default=None, validator=optional_bool)
    return_idcard_type: bool | None = attrs.field(default=None, validator=optional_bool)
    return_translation: bool | None = attrs.field(default=None, validator=optional_bool)

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class MyanmarIdCardTranslation:
    """Latin-script translations, returned when ``return_translation`` is set.

    Where no translation is found the service keeps the original Burmese text.
    """

    name_translation: str | None = None
    father_name_translation: str | None = None
    nrc_id_translation: str | None = None
    birth_translation: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MyanmarIdCardResult(Result):
    """Result of Myanmar ID Card OCR.

    The front gives ``nrc_id``, ``issue_date``, ``name``, ``father_name``, ``birth``,
    ``bloodlines_religion``, ``height`` and ``blood_group``; the back gives ``card_id``,
    ``nrc_id_back``, ``profession`` and ``address``. ``class_`` is the JSON key ``class``
    (the card version). ``confidence`` maps field names to 0-1 scores.
    """

    side: str | None = None
    class_: str | None = attrs.field(default=None, metadata=json_key("class"))
    nrc_id: str | None = None
    issue_date: str | None = None
    name: str | None = None
    father_name: str | None = None
    birth: str | None = None
    bloodlines_religion: str | None = None
    height: str | None = None
    blood_group: str | None = None
    card_id: str | None = None
    nrc_id_back: str | None = None
    profession: str | None = None
    address: str | None = None
    confidence: Mapping[str, float] | None = None
    portrait_image: str | None = attrs.field(default=None, repr=False)
    portrait_location: tuple[tuple[int, int], ...] | None = None
    idcard_type: str | None = None
    translation_info: MyanmarIdCardTranslation | None = None
    extra: Mapping[str, Any] = extra_field()
