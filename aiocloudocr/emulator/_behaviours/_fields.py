"""Checks of optional request fields; a field set to JSON null counts as absent."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from aiocloudocr.emulator._errors import ApiError


def optional_bool(body: Mapping[str, Any], name: str, code: str) -> bool | None:
    """The boolean ``body[name]``, ``None`` if absent; anything else is rejected."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, code)
    return value


def optional_choice(
    body: Mapping[str, Any], name: str, choices: Collection[str], code: str
) -> str | None:
    """The string ``body[name]`` if it is one of ``choices``, ``None`` if absent."""
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or value not in choices):
        raise ApiError(400, code)
    return value


def optional_number(
    body: Mapping[str, Any],
    name: str,
    low: float,
    high: float,
    code: str,
    *,
    integer: bool = False,
) -> float | None:
    """The number ``body[name]`` within ``[low, high]`` (whole if ``integer``), or ``None``."""
    value = body.get(name)
    if value is None:
        return None
    # JSON true/false arrive as bool, which Python counts as int: not a number here.
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise ApiError(400, code)
    if not low <= value <= high:
        raise ApiError(400, code)
    return float(value)


def optional_choices(
    body: Mapping[str, Any], name: str, choices: Collection[str], code: str
) -> tuple[str, ...]:
    """The list ``body[name]`` of strings among ``choices``; empty if absent."""
    value = body.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item in choices for item in value
    ):
        raise ApiError(400, code)
    return tuple(value)
