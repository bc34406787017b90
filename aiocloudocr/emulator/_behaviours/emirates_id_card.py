"""UAE ID Card OCR (seed 002, 3.2): field checks and a card that is a function of the image."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours import _cards
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "TIFF"}), min_side=15, max_side=8192, max_bytes=10 * MB
)
PEOPLE = (
    ("Ahmed Hassan", "أحمد حسن", "Egypt", "مصر"),
    ("Fatima Al Mansoori", "فاطمة المنصوري", "United Arab Emirates", "الإمارات العربية المتحدة"),
    ("Omar Khalid", "عمر خالد", "Jordan", "الأردن"),
    ("Priya Sharma", "بريا شارما", "India", "الهند"),
)


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``side`` is front/back, or empty/absent to detect it."""
    _cards.check_side(body, codes)


def _front(dice: random.Random) -> dict[str, Any]:
    name, name_arabic, nationality, nationality_arabic = _cards.pick(dice, PEOPLE)
    year = dice.randint(1960, 2005)
    return {
        # 784 (the UAE), the birth year, 7 digits and a check digit.
        "id_number": f"784-{year}-{_cards.digits(dice, 7)}-{dice.randrange(10)}",
        "name": name,
        "name_arabic": name_arabic,
        "nationality": nationality,
        "nationality_arabic": nationality_arabic,
    }


def _mrz(dice: random.Random, card_number: str, born: str, expires: str, sex: str) -> list[str]:
    # Three 30-character lines of a TD1 machine-readable zone.
    names = _cards.pick(dice, PEOPLE)[0].upper().replace(" ", "<")
    lines = [
        f"ILARE{card_number}{dice.randrange(10)}784{_cards.digits(dice, 12)}",
        f"{born}{dice.randrange(10)}{sex}{expires}{dice.randrange(10)}ARE",
        names.replace("<", "<<", 1),
    ]
    return [(line + "<" * 30)[:30] for line in lines]


def _back(dice: random.Random) -> dict[str, Any]:
    born = _cards.date_between(dice, 1960, 2005)
    expires = _cards.date_between(dice, 2026, 2032)
    sex = _cards.pick(dice, ("M", "F"))
    card_number = _cards.digits(dice, 9)
    mrz = _mrz(dice, card_number, born.strftime("%y%m%d"), expires.strftime("%y%m%d"), sex)
    return {
        "card_number": card_number,
        # On the back in the documented example (not in the response table).
        "laser_number": "-".join(_cards.digits(dice, size) for size in (4, 7, 2)),
        "sex": sex,
        "date_of_birth": born.strftime("%d/%m/%Y"),
        "expiry_date": expires.strftime("%d/%m/%Y"),
        "country_code": "ARE",
        "machinecode1": mrz[0],
        "machinecode2": mrz[1],
        "machinecode3": mrz[2],
    }


def answer(body: Mapping[str, Any], image: ImageInfo) -> dict[str, Any]:
    """The requested (or detected) side: the examples' front and back fields.

    The seed's table does not say which side carries sex, birth and expiry dates, country
    code and the machine-readable lines; the back does here (the MRZ is on the back).
    """
    side = _cards.side(body, image)
    dice = _cards.rng(image, "emirates:" + side)
    fields = _front(dice) if side == "front" else _back(dice)
    return {"result": {"side": side, **fields, "confidence": _cards.confidences(dice, fields)}}
