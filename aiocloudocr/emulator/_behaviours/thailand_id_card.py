"""Thailand ID Card OCR (seed 001): field checks and a card that is a function of the image."""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours import _cards
from aiocloudocr.emulator._behaviours._fields import optional_bool
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "TIFF"}), min_side=15, max_side=8192, max_bytes=10 * MB
)
FLAGS = ("return_portrait_image", "return_portrait_location", "return_idcard_type",
         "return_text_location")  # fmt: skip

TH_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.",
             "พ.ย.", "ธ.ค.")  # fmt: skip
PEOPLE = (
    ("นาย สมชาย ใจดี", "Mr.", "Somchai", "Jaidee"),
    ("นางสาว สุดา แสงทอง", "Miss", "Suda", "Saengthong"),
    ("นาง มาลี ศรีสุข", "Mrs.", "Malee", "Srisuk"),
    ("นาย ประเสริฐ วงศ์ใหญ่", "Mr.", "Prasert", "Wongyai"),
)
RELIGIONS = ("พุทธ", "อิสลาม", "คริสต์")
ADDRESSES = (
    "99/1 หมู่ที่ 4 ต.บางกระสอ อ.เมืองนนทบุรี จ.นนทบุรี",
    "12 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพมหานคร",
    "45 หมู่ที่ 2 ต.สุเทพ อ.เมืองเชียงใหม่ จ.เชียงใหม่",
)


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``side`` is front/back (or empty: detect); the ``return_*`` flags are booleans."""
    _cards.check_side(body, codes)
    for name in FLAGS:
        optional_bool(body, name, codes.invalid)


def date_th(day: datetime.date) -> str:
    """``5 ก.พ. 2493``: the Thai form, in the Buddhist era (Gregorian year + 543)."""
    return f"{day.day} {TH_MONTHS[day.month - 1]} {day.year + 543}"


def id_number(dice: random.Random) -> str:
    """A 13-digit Thai ID with its check digit, grouped ``X XXXX XXXXX XX X``."""
    body = str(dice.randint(1, 8)) + _cards.digits(dice, 11)
    check_digit = (11 - sum(int(d) * (13 - i) for i, d in enumerate(body)) % 11) % 10
    number = body + str(check_digit)
    return f"{number[0]} {number[1:5]} {number[5:10]} {number[10:12]} {number[12]}"


def _front(dice: random.Random) -> dict[str, Any]:
    name_th, title, first, last = _cards.pick(dice, PEOPLE)
    born = _cards.date_between(dice, 1950, 2005)
    issued = _cards.date_between(dice, 2015, 2023)
    # A Thai card expires on the holder's birthday some years after issue.
    expires = born.replace(year=issued.year + 8)
    return {
        "type": _cards.pick(dice, ("normal", "normal", "normal", "pink")),
        "id_number": id_number(dice),
        "name_th": name_th,
        "name_en": f"{title} {first} {last}",
        "first_name_en": f"{title} {first}",
        "last_name_en": last,
        "date_of_birth_th": date_th(born),
        "date_of_birth_en": _cards.date_en(born),
        "religion_th": _cards.pick(dice, RELIGIONS),
        "address_th": _cards.pick(dice, ADDRESSES),
        "date_of_issue_th": date_th(issued),
        "date_of_issue_en": _cards.date_en(issued),
        "date_of_expiry_th": date_th(expires),
        "date_of_expiry_en": _cards.date_en(expires),
        "serial_number": _grouped(dice, 4, 2, 5),
        "ref_number": _cards.digits(dice, 12),
    }


def _grouped(dice: random.Random, *sizes: int) -> str:
    # The digit groups of the examples' placeholders, e.g. "XXXX-XX-XXXXX".
    return "-".join(_cards.digits(dice, size) for size in sizes)


def _back(dice: random.Random) -> dict[str, Any]:
    laser = _cards.letters(dice, 2) + _grouped(dice, 2, 7, 2)
    return {"card_number": _grouped(dice, 4, 3, 2), "laser_number": laser}


def answer(body: Mapping[str, Any], image: ImageInfo) -> dict[str, Any]:
    """The fields of the requested (or detected) side, plus what the flags ask for."""
    side = _cards.side(body, image)
    dice = _cards.rng(image, "thailand:" + side)
    fields = _front(dice) if side == "front" else _back(dice)
    # "type" and "side" are not read text: the confidence table has no entry for them.
    texts = {name: value for name, value in fields.items() if name != "type"}
    result: dict[str, Any] = {"side": side, **fields, "confidence": _cards.confidences(dice, texts)}
    _cards.add_portrait(result, body, image)
    if body.get("return_idcard_type") is True:
        # The options list did not survive in the seed; "normal" is its example's value.
        result["idcard_type"] = "normal"
    if body.get("return_text_location") is True:
        result["text_location"] = _cards.text_locations(dice, image, list(texts))
    return {"result": result}
