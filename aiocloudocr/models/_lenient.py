"""Tolerant readers of result fields: an odd value becomes ``None`` (or empty), never an error.

A result the service has been paid for must not be lost to one oddly typed or missing
field, so every field of every result model is read by one of these (the converter
registers them as its structure hooks). Each takes the JSON value, and a type argument it
ignores so that it can serve as a cattrs hook as it is. Well-formed values keep their
documented Python type; numbers sent as strings are read as numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def number(value: Any, _: Any = None) -> float | None:
    """A finite float from a JSON number or numeric string; ``None`` for anything else."""
    if type(value) is float:
        # value - value is 0.0 for every finite float and NaN for NaN and the infinities.
        return value if value - value == 0.0 else None
    if type(value) is int:  # bool is a subclass of int, not int itself: it falls through
        try:
            return float(value)
        except OverflowError:
            return None
    if type(value) is str:
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if parsed - parsed == 0.0 else None
    return None


def whole_number(value: Any, _: Any = None) -> int | None:
    """An int from a JSON integer, an integral float or such a string; else ``None``."""
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            pass
    parsed = number(value)
    return int(parsed) if parsed is not None and parsed.is_integer() else None


def text(value: Any, _: Any = None) -> str | None:
    """A string as sent, a number as its decimal text; ``None`` for anything else."""
    if type(value) is str:
        return value
    if type(value) is int or type(value) is float:
        return str(value)
    return None


def mapping(value: Any, _: Any = None) -> dict[str, Any] | None:
    """A JSON object (kept as sent) or ``None``."""
    return dict(value) if isinstance(value, Mapping) else None


def scores(value: Any, _: Any = None) -> dict[str, float] | None:
    """A ``{field: confidence}`` object; entries whose value is not a number are left out."""
    if not isinstance(value, Mapping):
        return None
    read = {key: number(score) for key, score in value.items()}
    return {key: score for key, score in read.items() if score is not None}


def points(value: Any, _: Any = None) -> tuple[tuple[int, int], ...] | None:
    """A list of ``[x, y]`` vertices; ``None`` unless every vertex is a pair of numbers.

    A vertex list with one bad vertex is dropped whole: a box missing a corner is not a box.
    """
    if type(value) is not list:
        return None
    # Text locations are the bulk of an OCR answer: one plain loop, faster than cattrs'
    # generic tuple path (and than a generator expression).
    read = []
    try:
        for point in value:
            if type(point) is not list:
                return None
            x, y = point
            read.append((int(x), int(y)))
    except (TypeError, ValueError, OverflowError):
        return None
    return tuple(read)


def points_or_empty(value: Any, _: Any = None) -> tuple[tuple[int, int], ...]:
    """Like :func:`points`, with ``()`` (the field's default) in place of ``None``."""
    return points(value) or ()


def texts(value: Any, _: Any = None) -> tuple[str, ...] | None:
    """A list of strings; ``None`` if it is not one (items stay aligned with their scores)."""
    if type(value) is not list or not all(type(item) is str for item in value):
        return None
    return tuple(value)


def numbers(value: Any, _: Any = None) -> tuple[float, ...] | None:
    """A list of numbers (or numeric strings); ``None`` if any item is not one."""
    if type(value) is not list:
        return None
    read: list[float] = []
    for item in value:
        parsed = number(item)
        if parsed is None:
            return None
        read.append(parsed)
    return tuple(read)
