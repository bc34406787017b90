"""Deprecated v1 image processing: Dark Enhance, Defog and Super Resolution.

The three APIs take ``image`` (base64) or a multipart ``file`` upload; this client sends
JSON, so its requests carry ``image`` only (no ``url`` is documented) and it is required.
Each answers ``{"result": "<base64 image>"}``, exposed as decoded bytes.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr._codecs import b64decode
from aiocloudocr.errors import ValidationError
from aiocloudocr.models._base import Result, extra_field, in_range, one_of, optional_bool
from aiocloudocr.models.converter import converter

MODELS = ("ESPCN", "SRCNN")
SCALES = (3, 4)


def _required_text(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value == "":
        raise ValidationError(f"the {attribute.name} is empty (0 bytes)", field=attribute.name)
    if not isinstance(value, str):
        raise ValidationError(
            f"{attribute.name} is required: the base64 text of the image", field=attribute.name
        )


@attrs.frozen(kw_only=True)
class DarkEnhanceRequest:
    """Request body of Dark Enhance; ``brightness`` is 0-1 (service default 0.9)."""

    image: str = attrs.field(repr=False, validator=_required_text)
    brightness: float | None = attrs.field(default=None, validator=in_range(0, 1))


@attrs.frozen(kw_only=True)
class DefogRequest:
    """Request body of Defog.

    ``gamma`` is the gamma correction, 0.1-10 (service default 1.5); ``natural_look``
    (service default true) keeps the result looking natural at the cost of some haze.
    """

    image: str = attrs.field(repr=False, validator=_required_text)
    gamma: float | None = attrs.field(default=None, validator=in_range(0.1, 10))
    natural_look: bool | None = attrs.field(default=None, validator=optional_bool)


@attrs.frozen(kw_only=True)
class SuperResolutionRequest:
    """Request body of Super Resolution.

    ``scale`` is the magnification, 3 or 4 (service default 3); ``model`` is ``ESPCN``
    (service default) or ``SRCNN``.
    """

    image: str = attrs.field(repr=False, validator=_required_text)
    # one_of gives the readable message; in_range refuses 3.0, which would go out as a float.
    scale: int | None = attrs.field(
        default=None, validator=[one_of(*SCALES), in_range(3, 4, integer=True)]
    )
    model: str | None = attrs.field(default=None, validator=one_of(*MODELS))


@attrs.frozen(kw_only=True)
class EnhancedImageResult(Result):
    """The processed image returned by Dark Enhance, Defog or Super Resolution."""

    image: bytes = attrs.field(repr=False)
    extra: Mapping[str, Any] = extra_field()


def _structure_enhanced_image(data: Any, _: type[EnhancedImageResult]) -> EnhancedImageResult:
    # The result member is the base64 text itself, not an object.
    if not isinstance(data, str):
        raise TypeError(f"expected base64 image text, got {type(data).__name__}")
    text = "".join(data.split())
    try:
        # Missing "=" padding is tolerated: it carries no data, and the reference's own
        # example answer (Defog) comes without it.
        image = b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"result is not base64 image text: {exc}") from None
    return EnhancedImageResult(image=image)


# Registered here rather than in converter.py so that the converter never imports models.
converter.register_structure_hook(EnhancedImageResult, _structure_enhanced_image)
