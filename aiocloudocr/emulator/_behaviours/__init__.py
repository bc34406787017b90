"""What each operation does once a request is authenticated: one behaviour per operation name.

Adding an operation to the emulator means adding a module here and one entry in
:data:`BEHAVIOURS`; routes come from :data:`aiocloudocr.operations.OPERATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aiocloudocr.emulator._behaviours import image_tagging, web_image
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes


@attrs.frozen(kw_only=True)
class Behaviour:
    """Field checks run before any image work, and the answer built from an accepted image."""

    check: Callable[[Mapping[str, Any], ServiceCodes], None]
    answer: Callable[[Mapping[str, Any], ImageInfo], dict[str, Any]]


BEHAVIOURS: dict[str, Behaviour] = {
    "web_image": Behaviour(check=web_image.check, answer=web_image.answer),
    "image_tagging": Behaviour(check=image_tagging.check, answer=image_tagging.answer),
}
