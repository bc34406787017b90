"""Image Tagging v2 (``POST /v2/{project_id}/image/tagging``): request and result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.models._base import Result, exactly_one_source, extra_field, in_range, one_of

LANGUAGES = ("zh", "en")


@attrs.frozen(kw_only=True)
class ImageTaggingRequest:
    """Request body of Image Tagging v2. Set exactly one of ``image`` (base64) and ``url``.

    ``language`` is the tag language (service default ``zh``), ``threshold`` the lowest
    confidence returned (0-100, service default 60), ``limit`` the most tags returned (1-150).
    """

    image: str | None = attrs.field(default=None, repr=False)
    url: str | None = None
    language: str | None = attrs.field(default=None, validator=one_of(*LANGUAGES))
    threshold: float | None = attrs.field(default=None, validator=in_range(0, 100))
    limit: int | None = attrs.field(default=None, validator=in_range(1, 150, integer=True))

    def __attrs_post_init__(self) -> None:
        exactly_one_source(self.image, self.url)


@attrs.frozen(kw_only=True)
class I18nText:
    """A text in Chinese and English."""

    zh: str | None = None
    en: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class BoundingBox:
    """An object's box in pixels from the image's upper-left corner; a side not sent is None."""

    width: float | None = None
    height: float | None = None
    top_left_x: float | None = None
    top_left_y: float | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class TagInstance:
    """One located instance of a tagged object; ``confidence`` is 0-100 (sent as a string)."""

    bounding_box: BoundingBox | None = None
    confidence: float | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Tag:
    """One tag. The service sends ``confidence`` (0-100) as a string; it is a float here.

    A ``confidence`` that is not a number, or a field the service left out, is ``None``.
    """

    tag: str | None = None
    confidence: float | None = None
    type: str | None = None
    i18n_tag: I18nText | None = None
    i18n_type: I18nText | None = None
    instances: tuple[TagInstance, ...] = ()
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ImageTaggingResult(Result):
    """Result of Image Tagging v2."""

    tags: tuple[Tag, ...] = ()
    extra: Mapping[str, Any] = extra_field()
