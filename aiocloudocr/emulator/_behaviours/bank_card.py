"""UAE Bank Card OCR (seed 002, 3.3): field checks and a card that is a function of the image."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import MB, ImageLimits
from aiocloudocr.emulator._behaviours import _cards
from aiocloudocr.emulator._behaviours._fields import optional_bool
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

# "Only images in JPG, PNG, BMP, or TIFF format": JPG is Pillow's JPEG.
LIMITS = ImageLimits(
    formats=frozenset({"JPEG", "PNG", "BMP", "TIFF"}), min_side=15, max_side=8192, max_bytes=10 * MB
)
# (type, number prefix): the documented types; other schemes are "Unrecognized".
SCHEMES = (("Visa", "4"), ("MasterCard", "5"), ("Unrecognized", "62"))
BANKS = ("", "Emirates NBD", "First Abu Dhabi Bank", "Abu Dhabi Commercial Bank", "Mashreq")
HOLDERS = ("SALIM RASHID", "FATIMA AL MANSOORI", "AHMED HASSAN", "PRIYA SHARMA")


def check(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``return_text_location`` (sent by the reference SDK) is a boolean."""
    optional_bool(body, "return_text_location", codes.invalid)


def luhn_number(dice: random.Random, prefix: str, length: int = 16) -> str:
    """A card number starting with ``prefix`` whose last digit is its Luhn check digit."""
    partial = prefix + _cards.digits(dice, length - len(prefix) - 1)
    total = 0
    for index, digit in enumerate(reversed(partial)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return partial + str(-total % 10)


def answer(body: Mapping[str, Any], image: ImageInfo) -> dict[str, Any]:
    """The documented fields (and ``bank_name``, as in the example) with confidences.

    An unnamed bank is ``""`` with confidence 0.0, exactly as the documented example has it.
    """
    dice = _cards.rng(image, "bank_card")
    kind, prefix = _cards.pick(dice, SCHEMES)
    number = luhn_number(dice, prefix)
    issued = dice.randint(15, 24)
    month = dice.randint(1, 12)
    fields = {
        "bank_name": _cards.pick(dice, BANKS),
        "card_number": " ".join(number[i : i + 4] for i in range(0, 16, 4)),
        "issue_date": f"{month:02d}/{issued}",
        "expiry_date": f"{month:02d}/{issued + dice.randint(3, 5)}",
        "type": kind,
        "card_holder": _cards.pick(dice, HOLDERS),
    }
    confidence = {name: round(dice.uniform(0.8, 1.0), 4) if value else 0.0
                  for name, value in fields.items()}  # fmt: skip
    return {"result": {**fields, "confidence": confidence}}
