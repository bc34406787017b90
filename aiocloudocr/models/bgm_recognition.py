"""Background Music Recognition (``POST /v1.0/bgm/recognition``, deprecated)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aiocloudocr.errors import ValidationError
from aiocloudocr.models._base import Result, extra_field


def _required_url(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{attribute.name} is required: the URL of an MP4 video", field=attribute.name
        )


@attrs.frozen(kw_only=True)
class BgmRecognitionRequest:
    """Request body of Background Music Recognition.

    ``url`` is a temporarily authorised OBS URL of an MP4 video of at most 65 MB.
    """

    url: str = attrs.field(validator=_required_url)


@attrs.frozen(kw_only=True)
class BgmRecognitionResult(Result):
    """Result of Background Music Recognition: the name of the video's background music."""

    audio_name: str | None = None
    extra: Mapping[str, Any] = extra_field()
