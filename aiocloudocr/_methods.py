"""One typed method per operation; each builds its request and hands it to ``Client._run``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from aiocloudocr._images import ImageSource
from aiocloudocr.models.bank_card import BankCardResult
from aiocloudocr.models.bgm_recognition import BgmRecognitionResult
from aiocloudocr.models.emirates_id_card import EmiratesIdCardResult
from aiocloudocr.models.image_tagging import ImageTaggingResult
from aiocloudocr.models.image_tagging_v1 import ImageTaggingV1Result
from aiocloudocr.models.myanmar_id_card import MyanmarIdCardResult
from aiocloudocr.models.passport import PassportResult
from aiocloudocr.models.thailand_id_card import ThailandIdCardResult
from aiocloudocr.models.vision_v1 import EnhancedImageResult
from aiocloudocr.models.web_image import WebImageResult
from aiocloudocr.operations import (
    BANK_CARD,
    BGM_RECOGNITION,
    DARK_ENHANCE,
    DEFOG,
    EMIRATES_ID_CARD,
    IMAGE_TAGGING,
    IMAGE_TAGGING_V1,
    MYANMAR_ID_CARD,
    PASSPORT,
    SUPER_RESOLUTION,
    THAILAND_ID_CARD,
    WEB_IMAGE,
    AnyOperation,
)
from aiocloudocr.retry import RetryPolicy


class OperationMethods:
    """The typed face of the operation table (mixed into :class:`aiocloudocr.Client`).

    Every method takes the image as its first argument (bytes, a path, a binary file object,
    base64 text or an http(s) URL) or ``url=``, the operation's documented fields as keyword
    arguments (unset ones are not sent), and per call ``check``/``timeout``/``retry``,
    ``headers`` (sent and signed with this request) and ``extra_body`` (members merged into
    the JSON body last: for fields the service has that this version does not know yet).
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
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
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
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> WebImageResult:
        """Web Image OCR: text blocks from screenshots, product images and ads."""
        fields = {
            "detect_direction": detect_direction,
            "extract_type": extract_type,
            "detect_font": detect_font,
            "detect_text_direction": detect_text_direction,
        }
        result = await self._run(
            WEB_IMAGE,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
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
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ImageTaggingResult:
        """Image Tagging v2: scene, object and concept tags with confidences (0-100)."""
        fields = {"language": language, "threshold": threshold, "limit": limit}
        result = await self._run(
            IMAGE_TAGGING,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(ImageTaggingResult, result)

    async def thailand_id_card(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        side: str | None = None,
        return_portrait_image: bool | None = None,
        return_portrait_location: bool | None = None,
        return_idcard_type: bool | None = None,
        return_text_location: bool | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ThailandIdCardResult:
        """Thailand ID card OCR: the front (or back) of a Thai national ID card as fields."""
        fields: dict[str, Any] = {
            "side": side,
            "return_portrait_image": return_portrait_image,
            "return_portrait_location": return_portrait_location,
            "return_idcard_type": return_idcard_type,
            "return_text_location": return_text_location,
        }
        result = await self._run(
            THAILAND_ID_CARD,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(ThailandIdCardResult, result)

    async def myanmar_id_card(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        convert_unicode: bool | None = None,
        return_confidence: bool | None = None,
        return_portrait_image: bool | None = None,
        return_portrait_location: bool | None = None,
        return_idcard_type: bool | None = None,
        return_translation: bool | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> MyanmarIdCardResult:
        """Myanmar ID card OCR: a national registration card as fields, optionally translated."""
        fields: dict[str, Any] = {
            "convert_unicode": convert_unicode,
            "return_confidence": return_confidence,
            "return_portrait_image": return_portrait_image,
            "return_portrait_location": return_portrait_location,
            "return_idcard_type": return_idcard_type,
            "return_translation": return_translation,
        }
        result = await self._run(
            MYANMAR_ID_CARD,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(MyanmarIdCardResult, result)

    async def passport(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        country_code: str | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> PassportResult:
        """Passport OCR: the data page's key fields and machine-readable zone."""
        fields: dict[str, Any] = {"country_code": country_code}
        result = await self._run(
            PASSPORT,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(PassportResult, result)

    async def emirates_id_card(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        side: str | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> EmiratesIdCardResult:
        """UAE ID card OCR: the front or back of an Emirates ID card as fields."""
        fields: dict[str, Any] = {"side": side}
        result = await self._run(
            EMIRATES_ID_CARD,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(EmiratesIdCardResult, result)

    async def bank_card(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        return_text_location: bool | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> BankCardResult:
        """UAE bank card OCR: card number, validity, holder and card type."""
        fields: dict[str, Any] = {"return_text_location": return_text_location}
        result = await self._run(
            BANK_CARD,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(BankCardResult, result)

    async def image_tagging_v1(
        self,
        image: ImageSource | None = None,
        *,
        url: str | None = None,
        language: str | None = None,
        limit: int | None = None,
        threshold: float | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ImageTaggingV1Result:
        """Image Tagging v1 (deprecated: use image_tagging): tags with confidences."""
        fields: dict[str, Any] = {"language": language, "limit": limit, "threshold": threshold}
        result = await self._run(
            IMAGE_TAGGING_V1,
            image,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(ImageTaggingV1Result, result)

    async def dark_enhance(
        self,
        image: ImageSource,
        *,
        brightness: float | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> EnhancedImageResult:
        """Low-light enhancement (deprecated): the brightened image as bytes."""
        fields: dict[str, Any] = {"brightness": brightness}
        result = await self._run(
            DARK_ENHANCE,
            image,
            None,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(EnhancedImageResult, result)

    async def defog(
        self,
        image: ImageSource,
        *,
        gamma: float | None = None,
        natural_look: bool | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> EnhancedImageResult:
        """Defogging (deprecated): the dehazed image as bytes."""
        fields: dict[str, Any] = {"gamma": gamma, "natural_look": natural_look}
        result = await self._run(
            DEFOG,
            image,
            None,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(EnhancedImageResult, result)

    async def super_resolution(
        self,
        image: ImageSource,
        *,
        scale: int | None = None,
        model: str | None = None,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> EnhancedImageResult:
        """Super resolution (deprecated): the image upscaled 3x or 4x, as bytes."""
        fields: dict[str, Any] = {"scale": scale, "model": model}
        result = await self._run(
            SUPER_RESOLUTION,
            image,
            None,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(EnhancedImageResult, result)

    async def bgm_recognition(
        self,
        url: str,
        *,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> BgmRecognitionResult:
        """Background music recognition (deprecated): the music of an MP4 video at a URL."""
        fields: dict[str, Any] = {}
        result = await self._run(
            BGM_RECOGNITION,
            None,
            url,
            fields,
            check=check,
            timeout=timeout,
            retry=retry,
            headers=headers,
            extra_body=extra_body,
        )
        return cast(BgmRecognitionResult, result)
