"""Passport OCR (seed 002, 3.1): field checks and a data page that is a function of the image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours import _cards
from aiocloudocr.emulator._behaviours._fields import optional_choice
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

# Passports alone are limited to 4,096 px per side.
LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "TIFF"}), min_side=15, max_side=4096, max_bytes=10 * MB
)
# Not on the seed page: the reference SDK sends country_code, GENERAL (machine-readable zone
# only) or CHN; the emulator takes exactly those.
COUNTRY_CODES = ("GENERAL", "CHN")
HOLDERS = (
    ("CHN", "ZHANG", "WEI"),
    ("GBR", "SMITH", "JOHN PAUL"),
    ("THA", "JAIDEE", "SOMCHAI"),
    ("ARE", "AL MANSOORI", "FATIMA"),
    ("IND", "SHARMA", "PRIYA"),
    ("DEU", "MUELLER", "ANNA MARIA"),
)


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``country_code`` is absent, ``GENERAL`` or ``CHN``."""
    optional_choice(body, "country_code", COUNTRY_CODES, codes.invalid)


def answer(body: Mapping[str, Any], image: ImageInfo) -> dict[str, Any]:
    """The seven documented key fields, their confidences and an empty ``extra_info``.

    With ``country_code`` CHN the page is read as a Chinese passport.
    """
    dice = _cards.rng(image, "passport")
    country, surname, given = _cards.pick(dice, HOLDERS)
    if body.get("country_code") == "CHN":
        country, surname, given = HOLDERS[0]
    born = _cards.date_between(dice, 1950, 2005)
    expires = _cards.date_between(dice, 2026, 2035)
    fields = {
        "country_code": country,
        "passport_number": _cards.letters(dice, 1) + _cards.digits(dice, 8),
        "surname": surname,
        "given_name": given,
        "sex": _cards.pick(dice, ("M", "F")),
        "date_of_birth": born.isoformat(),
        "date_of_expiry": expires.isoformat(),
    }
    return {
        "result": {
            **fields,
            "confidence": _cards.confidences(dice, fields),
            # "By default, this parameter is left blank."
            "extra_info": {},
        }
    }
