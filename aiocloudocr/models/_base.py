"""Shared pieces of the request and result models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import attrs

from aiocloudocr.errors import ValidationError


def extra_field() -> Any:
    """A field that keeps response keys this version does not know yet."""
    return attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class ResponseMeta:
    """How a result was obtained: request id, HTTP status, attempts, seconds it took, and the
    answer's headers (case-insensitive; tokens, cookies and any echoed secret removed)."""

    request_id: str | None
    status: int
    attempts: int
    elapsed: float
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class Result:
    """Base of every operation result: the raw ``result`` JSON and the response metadata.

    Parsing never fails over one field: a field the service leaves out or sends with an
    unexpected type is ``None`` (a list field: empty), numbers sent as strings are read as
    numbers, and a ``confidence`` mapping leaves out entries that are not numbers. ``raw``
    always holds the answer exactly as sent.
    """

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


def finite_number(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An attrs validator: ``None`` or any finite number (bools, NaN and infinities refused)."""
    if value is None:
        return
    # NaN and the infinities have no JSON form: json.dumps would send a body the service
    # cannot parse.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value - value != 0:
        raise ValidationError(
            f"{attribute.name} must be a finite number, got {value!r}", field=attribute.name
        )


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
    """Raise unless exactly one of ``image`` and ``url`` is given (AIS.0101 otherwise).

    An empty string is not a source (the docs' examples send ``"url": ""`` beside an image),
    but an empty ``image`` with no url is reported as what it is: an empty image.
    """
    if bool(image) == bool(url):
        if image == "":
            raise ValidationError("the image is empty (0 bytes)", field="image")
        which = "both" if image else "neither"
        raise ValidationError(f"set exactly one of image and url ({which} given)", field="image")
