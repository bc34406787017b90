"""Image Tagging v1 (``POST /v1.0/image/tagging``, deprecated): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.errors import ValidationError
from aiocloudocr.models._base import (
    Result,
    exactly_one_source,
    extra_field,
    finite_number,
    one_of,
)
from aiocloudocr.models.image_tagging import LANGUAGES, I18nText


def _positive_int(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    # The v1 reference gives limit a default (30) but no upper bound, unlike v2's 1-150.
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{attribute.name} must be a whole number of at least 1, got {value!r}",
            field=attribute.name,
        )


@attrs.frozen(kw_only=True)
class ImageTaggingV1Request:
    """Request body of the deprecated Image Tagging v1. Set exactly one of ``image`` and ``url``.

    ``language`` is the tag language (service default ``zh``), ``limit`` the most tags
    returned (service default 30), ``threshold`` the lowest confidence returned (0-100,
    service default 0; the service uses the default for a value outside 0-100).
    """

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    language: str | None = attrs.field(default=None, validator=one_of(*LANGUAGES))
    limit: int | None = attrs.field(default=None, validator=_positive_int)
    # Seed 003, 7.1.1, threshold (Float): "The value ranges from 0 to 100. If you input a
    # value beyond the value range, the default value is used." So any number is valid and
    # sent as given. A string or bool is not a Float, and NaN or an infinity cannot be
    # written as JSON, so those are still refused.
    threshold: float | None = attrs.field(default=None, validator=finite_number)

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class ImageTaggingV1Tag:
    """One v1 tag; ``type`` is ``object``, ``scene`` or ``concept``.

    ``confidence`` (0-100) is a float here; the service may send it as a string. A
    ``confidence`` that is not a number, or a field the service left out, is ``None``.
    """

    tag: str | None = None
    confidence: float | None = None
    type: str | None = None
    i18n_tag: I18nText | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ImageTaggingV1Result(Result):
    """Result of the deprecated Image Tagging v1."""

    tags: tuple[ImageTaggingV1Tag, ...] = ()
    extra: Mapping[str, Any] = extra_field()
