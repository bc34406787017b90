"""The one cattrs converter: request bodies out, typed results in.

Requests unstructure to the JSON body with unset (``None``) fields left out. Results keep
unknown response keys in their ``extra`` mapping, so fields the service adds later never
break parsing, and top-level results keep the raw ``result`` JSON in ``raw``.

Reading results is lenient: once the ``result`` is a JSON object, a missing or oddly typed
field becomes ``None`` (or its empty default) and never raises, so a paid answer is never
lost to one odd field (see :mod:`aiocloudocr.models._lenient`). Every field type a result
model uses has a tolerant hook here; a type without one would fall back to cattrs' strict
default, which the result-model tests catch.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from aiocloudocr.models import _lenient
from aiocloudocr.models._base import ResponseMeta, Result

T = TypeVar("T")

converter = cattrs.Converter()
_RESERVED = frozenset({"extra", "raw", "meta"})


def _has_extra(cls: type) -> bool:
    return attrs.has(cls) and any(a.name == "extra" for a in attrs.fields(cls))


def json_key(name: str) -> dict[str, str]:
    """Field metadata naming the JSON key of a field whose Python name differs (``class``)."""
    return {"json_key": name}


def _renames(cls: type) -> dict[str, Any]:
    return {
        a.name: override(rename=a.metadata["json_key"])
        for a in attrs.fields(cast(Any, cls))
        if "json_key" in a.metadata
    }


def _as_sent(value: Any, _: Any) -> Any:
    return value


def _structure_with_extra(cls: type[T]) -> Callable[[Any, type[T]], T]:
    fields = attrs.fields(cast(Any, cls))
    # Every field hook is tolerant, so the plain (not "detailed") generated function, which
    # is the faster one, never meets an error to report.
    base = make_dict_structure_fn(
        cls,
        converter,
        _cattrs_detailed_validation=False,
        extra=override(struct_hook=_as_sent),
        **_renames(cls),
    )
    known = frozenset(a.metadata.get("json_key", a.name) for a in fields) - _RESERVED

    def structure(data: Any, _: type[T]) -> T:
        if not _is_object(data):
            raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
        if known.issuperset(data):  # the usual answer: no key this version does not know
            return base({**data, "extra": {}}, cls)
        picked = {key: value for key, value in data.items() if key in known}
        picked["extra"] = {key: value for key, value in data.items() if key not in known}
        return base(picked, cls)

    return structure


def _is_object(value: Any) -> bool:
    # JSON objects arrive as dicts; the Mapping ABC check is slow, so it only runs for others.
    return type(value) is dict or isinstance(value, Mapping)


def _optional_arg(cls: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``None``."""
    args = get_args(cls)
    if get_origin(cls) not in (Union, types.UnionType) or len(args) != 2:
        return None
    if args[1] is type(None):
        return args[0]
    return args[1] if args[0] is type(None) else None


def _is_optional_record(cls: Any) -> bool:
    inner = _optional_arg(cls)
    return inner is not None and _has_extra(inner)


def _record_or_none(cls: Any) -> Callable[[Any, Any], Any]:
    record = _optional_arg(cls)
    structure = converter.get_structure_hook(record)

    def hook(value: Any, _: Any) -> Any:
        return structure(value, record) if _is_object(value) else None

    return hook


def _is_record_tuple(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is ... and _has_extra(args[0])


def _records(cls: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    record = get_args(cls)[0]
    structure = converter.get_structure_hook(record)

    def hook(value: Any, _: Any) -> tuple[Any, ...]:
        # Items that are not objects carry nothing to read; they stay in ``raw`` only.
        if type(value) is not list:
            return ()
        return tuple(structure(item, record) for item in value if _is_object(item))

    return hook


def _unstructure_without_none(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    base = make_dict_unstructure_fn(cls, converter, **_renames(cls))

    def unstructure(obj: Any) -> dict[str, Any]:
        return {key: value for key, value in base(obj).items() if value is not None}

    return unstructure


converter.register_structure_hook_factory(_has_extra, _structure_with_extra)
converter.register_structure_hook_factory(_is_optional_record, _record_or_none)
converter.register_structure_hook_factory(_is_record_tuple, _records)
converter.register_unstructure_hook_factory(
    lambda cls: attrs.has(cls) and not _has_extra(cls), _unstructure_without_none
)

_POINTS = tuple[tuple[int, int], ...]
# The field types of the result models (matched exactly, as their annotations resolve).
_FIELD_HOOKS: tuple[tuple[Any, Callable[[Any, Any], Any]], ...] = (
    (str | None, _lenient.text),
    (float | None, _lenient.number),
    (int | None, _lenient.whole_number),
    (Mapping[str, float] | None, _lenient.scores),
    (Mapping[str, Any] | None, _lenient.mapping),
    (_POINTS, _lenient.points_or_empty),
    (_POINTS | None, _lenient.points),
    (tuple[str, ...] | None, _lenient.texts),
    (tuple[float, ...] | None, _lenient.numbers),
)


def _is_exactly(expected: Any) -> Callable[[Any], bool]:
    def predicate(cls: Any) -> bool:
        return bool(cls == expected)

    return predicate


for _type, _hook in _FIELD_HOOKS:
    converter.register_structure_hook_func(_is_exactly(_type), _hook)


def request_body(request: Any) -> dict[str, Any]:
    """Return the JSON body for a request object, leaving out unset fields."""
    body: dict[str, Any] = converter.unstructure(request)
    return body


def encode_body(body: dict[str, Any], *, plain_image: bool = False) -> bytes:
    """Serialise a request body to compact UTF-8 JSON.

    A base64 ``image`` (hundreds of KB) is spliced in as it is rather than run through the
    JSON encoder, which would scan it for characters base64 never contains; any text that
    would need escaping takes the ordinary path. ``plain_image`` says the caller made the
    base64 text itself, which spares a scan of it.
    """
    image = body.get("image")
    if not isinstance(image, str) or not (plain_image or _plain(image)):
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    rest = {key: value for key, value in body.items() if key != "image"}
    return splice_image(image.encode("ascii"), rest)


def splice_image(image_b64: bytes, rest: dict[str, Any]) -> bytes:
    """The JSON body ``{"image": <image_b64>, **rest}`` with the base64 bytes copied in as
    they are (base64 never needs JSON escaping), without a round trip through ``str``."""
    if not rest:  # the usual Web Image request: the image alone
        return b"".join((b'{"image":"', image_b64, b'"}'))
    tail = json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode()
    return b"".join((b'{"image":"', image_b64, b'",', tail[1:]))


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def _plain(text: str) -> bool:
    return text.isascii() and _NEEDS_ESCAPE.search(text) is None


def parse_result(payload: Any, result_type: type[T], meta: ResponseMeta | None = None) -> T:
    """Build a typed result from the ``result`` member of a response body."""
    result = converter.structure(payload, result_type)
    if isinstance(result, Result):
        # Set on the instance just built (before anyone sees it) rather than built a second
        # time with attrs.evolve; neither field takes part in equality or hashing.
        object.__setattr__(result, "raw", payload)
        object.__setattr__(result, "meta", meta)
    return result
