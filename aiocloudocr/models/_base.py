"""Shared pieces of the request and result models."""

from __future__ import annotations

from typing import Any, cast

import attrs

from aiocloudocr.errors import ValidationError


def extra_field() -> Any:
    """A field that keeps response keys this version does not know yet."""
    return attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class ResponseMeta:
    """How a result was obtained: request id, HTTP status, attempts and latency."""

    request_id: str | None
    status: int
    attempts: int
    elapsed: float


@attrs.frozen(kw_only=True)
class Result:
    """Base of every operation result: the raw ``result`` JSON and the response metadata."""

    raw: Any = attrs.field(factory=dict, repr=False, eq=False)
    meta: ResponseMeta | None = attrs.field(default=None, repr=False, eq=False)


def in_range(low: float, high: float, *, integer: bool = False) -> Any:
    """An attrs validator: ``None`` or a number (a whole one if ``integer``) in ``[low, high]``."""
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    noun = "whole number" if integer else "number"

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise ValidationError(
                f"{attribute.name} must be a {noun} from {low:g} to {high:g}, got {value!r}",
                field=attribute.name,
            )
        number = cast(float, value)
        if not low <= number <= high:  # NaN fails this too
            raise ValidationError(
                f"{attribute.name} must be from {low:g} to {high:g}, got {value!r}",
                field=attribute.name,
            )

    return check


def one_of(*allowed: object) -> Any:
    """An attrs validator: ``None`` or one of the allowed values."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise ValidationError(
                f"{attribute.name} must be one of {choices}, got {value!r}",
                field=attribute.name,
            )

    return check


def optional_bool(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An attrs validator: ``None`` or a bool."""
    if value is not None and not isinstance(value, bool):
        raise ValidationError(
            f"{attribute.name} must be true or false, got {value!r}", field=attribute.name
        )


def exactly_one_source(image: str | None, url: str | None) -> None:
    """Raise unless exactly one of ``image`` and ``url`` is given (AIS.0101 otherwise)."""
    if bool(image) == bool(url):
        which = "both" if image else "neither"
        raise ValidationError(f"set exactly one of image and url ({which} given)", field="image")
