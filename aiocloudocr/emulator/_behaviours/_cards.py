"""Shared pieces of the card and passport results: seeded choices, dates, boxes, portraits."""

from __future__ import annotations

import base64
import datetime
import io
import random
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from PIL import Image

from aiocloudocr.emulator._behaviours._fields import optional_choice
from aiocloudocr.emulator._images import ImageInfo, ServiceCodes

T = TypeVar("T")
Quad = list[list[int]]

SIDES = ("front", "back")
EN_MONTHS = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.",
             "Nov.", "Dec.")  # fmt: skip


def rng(image: ImageInfo, purpose: str) -> random.Random:
    """A random stream that depends only on the image bytes and ``purpose``."""
    return random.Random(image.digest + purpose.encode())


def digits(dice: random.Random, count: int) -> str:
    """``count`` random decimal digits."""
    return "".join(str(dice.randrange(10)) for _ in range(count))


def letters(dice: random.Random, count: int) -> str:
    """``count`` random capital letters."""
    return "".join(chr(ord("A") + dice.randrange(26)) for _ in range(count))


def pick(dice: random.Random, options: Sequence[T]) -> T:
    """One of ``options``."""
    return options[dice.randrange(len(options))]


def date_between(dice: random.Random, first_year: int, last_year: int) -> datetime.date:
    """A day in ``first_year``-``last_year``; the 28th at the latest, so any month works."""
    return datetime.date(
        dice.randint(first_year, last_year), dice.randint(1, 12), dice.randint(1, 28)
    )


def date_en(day: datetime.date) -> str:
    """``5 Feb. 1950``: the documented English date form of the Thai card."""
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def confidences(dice: random.Random, fields: Mapping[str, Any]) -> dict[str, float]:
    """A 0-1 confidence (4 decimals, as in the examples) for each non-empty field."""
    return {name: round(dice.uniform(0.6, 1.0), 4) for name, value in fields.items() if value}


def detected_side(image: ImageInfo) -> str:
    """The side "detected" on an image: a function of its bytes (about half are fronts)."""
    return SIDES[image.digest[0] % 2]


def side(body: Mapping[str, Any], image: ImageInfo) -> str:
    """The requested side; empty or absent means "detect it"."""
    return body.get("side") or detected_side(image)


def check_side(body: Mapping[str, Any], codes: ServiceCodes) -> None:
    """``side`` is absent, empty (auto-detect) or ``front``/``back``."""
    # Seed 001: "If the value of this parameter is empty or not included, the system will
    # automatically recognize ..."; seed 002 (Table 3-9) says the same of the UAE ID card.
    if body.get("side") != "":
        optional_choice(body, "side", SIDES, codes.invalid)


def quad(
    dice: random.Random, image: ImageInfo, left: float, top: float, right: float, bottom: float
) -> Quad:
    """Four corners (clockwise from top left) of a box given in fractions of the image.

    Every corner lies inside the image; the box is jittered a little so it looks measured.
    """
    max_x, max_y = image.width - 1, image.height - 1

    def at(fx: float, fy: float) -> list[int]:
        x = round(fx * max_x + dice.uniform(-0.01, 0.01) * max_x)
        y = round(fy * max_y + dice.uniform(-0.01, 0.01) * max_y)
        return [min(max(x, 0), max_x), min(max(y, 0), max_y)]

    return [at(left, top), at(right, top), at(right, bottom), at(left, bottom)]


def text_locations(dice: random.Random, image: ImageInfo, names: Sequence[str]) -> dict[str, Quad]:
    """One box per field, stacked top to bottom in the right 60 % of the card."""
    rows = max(len(names), 1)
    boxes: dict[str, Quad] = {}
    for index, name in enumerate(names):
        top = 0.05 + 0.9 * index / rows
        boxes[name] = quad(dice, image, 0.35, top, 0.95, top + 0.9 / rows * 0.8)
    return boxes


PORTRAIT_BOX = (0.05, 0.2, 0.3, 0.85)
"""Where the portrait sits on the emulated cards, in fractions of the image."""


def portrait_location(image: ImageInfo) -> Quad:
    """The portrait's corners (no jitter: the crop in :func:`portrait_image` matches it)."""
    left, top, right, bottom = PORTRAIT_BOX
    x0, x1 = round(left * (image.width - 1)), round(right * (image.width - 1))
    y0, y1 = round(top * (image.height - 1)), round(bottom * (image.height - 1))
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def portrait_image(image: ImageInfo) -> str:
    """The base64 JPEG of the input image cropped to :func:`portrait_location`."""
    (x0, y0), _, (x1, y1), _ = portrait_location(image)
    with Image.open(io.BytesIO(image.data)) as source:
        crop = source.convert("RGB").crop((x0, y0, x1 + 1, y1 + 1))
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=85)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def add_portrait(result: dict[str, Any], body: Mapping[str, Any], image: ImageInfo) -> None:
    """Add ``portrait_image`` / ``portrait_location`` when their ``return_*`` flag is true."""
    if body.get("return_portrait_image") is True:
        result["portrait_image"] = portrait_image(image)
    if body.get("return_portrait_location") is True:
        result["portrait_location"] = portrait_location(image)
