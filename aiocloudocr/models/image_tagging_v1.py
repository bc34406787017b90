"""Image Tagging v1 (``POST /v1.0/image/tagging``, deprecated): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.errors import ValidationError
from aiocloudocr.models._base import Result, exactly_one_source, extra_field, in_range, one_of
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
    service default 0).
    """

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    language: str | None = attrs.field(default=None, validator=one_of(*LANGUAGES))
    limit: int | None = attrs.field(default=None, validator=_positive_int)
    # The service silently falls back to its default for an out-of-range threshold, which
    # would hide the caller's mistake: refuse it here instead.
    threshold: float | None = attrs.field(default=None, validator=in_range(0, 100))

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class ImageTaggingV1Tag:
    """One v1 tag; ``type`` is ``object``, ``scene`` or ``concept``.

    ``confidence`` (0-100) is a float here; the service may send it as a string.
    """

    tag: str
    confidence: float
    type: str | None = None
    i18n_tag: I18nText | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ImageTaggingV1Result(Result):
    """Result of the deprecated Image Tagging v1."""

    tags: tuple[ImageTaggingV1Tag, ...] = ()
    extra: Mapping[str, Any] = extra_field()
