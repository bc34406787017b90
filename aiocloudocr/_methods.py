"""One typed method per operation; each builds its request and hands it to ``Client._run``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from aiocloudocr.images import ImageSource
from aiocloudocr.models.image_tagging import ImageTaggingResult
from aiocloudocr.models.web_image import WebImageResult
from aiocloudocr.operations import IMAGE_TAGGING, WEB_IMAGE, AnyOperation
from aiocloudocr.retry import RetryPolicy


class OperationMethods:
    """The typed face of the operation table (mixed into :class:`aiocloudocr.Client`).

    Every method takes the image as its first argument (bytes, a path, a binary file object,
    base64 text or an http(s) URL) or ``url=``, the operation's documented fields as keyword
    arguments (unset ones are not sent), and ``check``/``timeout``/``retry`` per call.
    """

    async def _run(
        self,
        op: AnyOperation,
        image: ImageSource | None,
        url: str | None,
        fields: dict[str, Any],
        *,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        raise NotImplementedError

    async def web_image(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        detect_direction: bool | None = None,
        extract_type: Sequence[str] | None = None,
        detect_font: bool | None = None,
        detect_text_direction: bool | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> WebImageResult:
        """Web Image OCR: text blocks from screenshots, product images and ads."""
        fields = {
            "detect_direction": detect_direction,
            "extract_type": extract_type,
            "detect_font": detect_font,
            "detect_text_direction": detect_text_direction,
        }
        result = await self._run(
            WEB_IMAGE, image, url, fields, check=check, timeout=timeout, retry=retry
        )
        return cast(WebImageResult, result)

    async def image_tagging(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        language: str | None = None,
        threshold: float | None = None,
        limit: int | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> ImageTaggingResult:
        """Image Tagging v2: scene, object and concept tags with confidences (0-100)."""
        fields = {"language": language, "threshold": threshold, "limit": limit}
        result = await self._run(
            IMAGE_TAGGING, image, url, fields, check=check, timeout=timeout, retry=retry
        )
        return cast(ImageTaggingResult, result)
