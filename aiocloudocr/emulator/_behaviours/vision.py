"""The v1 image-processing APIs (seed 003, 7.1.2-7.1.4): real transforms with Pillow.

Dark Enhance brightens with the curve ``out = in ** (1 / (1 + brightness))`` (on 0-1
values), so dark tones gain most and ``brightness`` 0 changes nothing. Defog applies the
gamma correction ``out = in ** gamma`` and, with ``natural_look`` false, also stretches
the contrast (clipping 2 % of the tones at each end). Super Resolution scales both sides
by ``scale`` (bicubic for ESPCN, Lanczos for SRCNN). Each answers an image of the input's format.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from PIL import Image, ImageOps

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours._fields import optional_bool, optional_choice, optional_number
from aiocloudocr.emulator._errors import ApiError
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

# No pixel bounds are documented; the emulator bounds the pixels it decodes or writes so
# that one request cannot take gigabytes (AIS.0205: "resolution exceeds the upper limit").
MAX_PIXELS = 64_000_000
# 7.1.2/7.1.3: JPEG, PNG, BMP and WEBP; 7.1.4: JPEG, PNG and BMP; 10 MB.
ENHANCE_LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "WEBP"}), min_side=1, max_side=65535, max_bytes=10 * MB
)
SUPER_RESOLUTION_LIMITS = attrs.evolve(ENHANCE_LIMITS, formats=frozenset({"JPEG", "PNG", "BMP"}))
MODELS = {"ESPCN": Image.Resampling.BICUBIC, "SRCNN": Image.Resampling.LANCZOS}


@attrs.frozen(kw_only=True)
class ProcessedImage:
    """A transformed image: its bytes and Pillow format name."""

    data: bytes = attrs.field(repr=False)
    format: str

    @property
    def content_type(self) -> str:
        """The MIME type of the format."""
        return Image.MIME.get(self.format, "application/octet-stream")


def form_bool(text: str) -> bool | str:
    """A multipart ``true``/``false``; anything else stays text (and fails the check)."""
    return {"true": True, "false": False}.get(text.strip().lower(), text)


def form_number(text: str) -> float | int | str:
    """A multipart number; anything else stays text (and fails the check)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


FORM_FIELDS: dict[str, Callable[[str], Any]] = {
    "brightness": form_number,
    "gamma": form_number,
    "natural_look": form_bool,
    "scale": form_number,
    "model": str,
}
"""How the text values of the multipart form map to JSON values."""


def check_dark_enhance(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``brightness`` is 0-1."""
    optional_number(body, "brightness", 0, 1, codes.invalid)


def check_defog(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``gamma`` is 0.1-10, ``natural_look`` a boolean."""
    optional_number(body, "gamma", 0.1, 10, codes.invalid)
    optional_bool(body, "natural_look", codes.invalid)


def check_super_resolution(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``scale`` is the whole number 3 or 4, ``model`` ESPCN or SRCNN."""
    optional_number(body, "scale", 3, 4, codes.invalid, integer=True)
    optional_choice(body, "model", tuple(MODELS), codes.invalid)


def _open(info: ImageInfo) -> Image.Image:
    image = Image.open(io.BytesIO(info.data))
    image.load()
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    alpha = image.mode in ("PA", "La") or "transparency" in image.info
    return image.convert("RGBA" if alpha and info.format != "JPEG" else "RGB")


def _save(image: Image.Image, fmt: str) -> ProcessedImage:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, fmt, quality=95)
    elif fmt == "WEBP":
        # Lossless, so that the documented transform can be checked pixel by pixel.
        image.save(buffer, fmt, lossless=True)
    else:
        image.save(buffer, fmt)
    return ProcessedImage(data=buffer.getvalue(), format=fmt)


def _curve(image: Image.Image, exponent: float) -> Image.Image:
    # One lookup table per band; alpha bands keep their values.
    curve = [round(255 * (value / 255) ** exponent) for value in range(256)]
    identity = list(range(256))
    bands = image.getbands()
    return image.point([v for band in bands for v in (identity if band == "A" else curve)])


def _stretch(image: Image.Image) -> Image.Image:
    # A contrast stretch that clips 2 % at each end: visibly harsher than the gamma alone.
    if image.mode in ("L", "RGB"):
        return ImageOps.autocontrast(image, cutoff=2)
    *colours, alpha = image.split()
    stretched = ImageOps.autocontrast(Image.merge(image.mode[:-1], colours), cutoff=2)
    return Image.merge(image.mode, (*stretched.split(), alpha))


def _bounded(info: ImageInfo, codes: ServiceCodes, factor: int = 1) -> None:
    if info.width * info.height * factor * factor > MAX_PIXELS:
        raise ApiError(400, codes.size)


def dark_enhance(body: Mapping[str, Any], info: ImageInfo, codes: ServiceCodes) -> ProcessedImage:
    """Brighten by ``brightness`` (default 0.9)."""
    _bounded(info, codes)
    brightness = body.get("brightness")
    brightness = 0.9 if brightness is None else float(brightness)
    return _save(_curve(_open(info), 1 / (1 + brightness)), info.format)


def defog(body: Mapping[str, Any], info: ImageInfo, codes: ServiceCodes) -> ProcessedImage:
    """Gamma-correct by ``gamma`` (default 1.5); ``natural_look`` false also stretches contrast."""
    _bounded(info, codes)
    gamma = body.get("gamma")
    result = _curve(_open(info), 1.5 if gamma is None else float(gamma))
    if body.get("natural_look") is False:
        result = _stretch(result)
    return _save(result, info.format)


def super_resolution(
    body: Mapping[str, Any], info: ImageInfo, codes: ServiceCodes
) -> ProcessedImage:
    """Upscale by ``scale`` (default 3) with the resampling of ``model`` (default ESPCN)."""
    scale = int(body.get("scale") or 3)
    _bounded(info, codes, scale)
    image = _open(info)
    size = (image.width * scale, image.height * scale)
    return _save(image.resize(size, MODELS[body.get("model") or "ESPCN"]), info.format)
