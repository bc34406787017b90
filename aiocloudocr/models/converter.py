"""The one cattrs converter: request bodies out, typed results in.

Requests unstructure to the JSON body with unset (``None``) fields left out. Results keep
unknown response keys in their ``extra`` mapping, so fields the service adds later never
break parsing, and top-level results keep the raw ``result`` JSON in ``raw``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

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


def _structure_with_extra(cls: type[T]) -> Callable[[Any, type[T]], T]:
    fields = attrs.fields(cast(Any, cls))
    base = make_dict_structure_fn(cls, converter, **_renames(cls))
    known = frozenset(a.metadata.get("json_key", a.name) for a in fields) - _RESERVED

    def structure(data: Any, _: type[T]) -> T:
        if not isinstance(data, Mapping):
            raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
        picked = {key: value for key, value in data.items() if key in known}
        picked["extra"] = {key: value for key, value in data.items() if key not in known}
        return base(picked, cls)

    return structure


def _unstructure_without_none(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    base = make_dict_unstructure_fn(cls, converter, **_renames(cls))

    def unstructure(obj: Any) -> dict[str, Any]:
        return {key: value for key, value in base(obj).items() if value is not None}

    return unstructure


converter.register_structure_hook_factory(_has_extra, _structure_with_extra)
converter.register_unstructure_hook_factory(
    lambda cls: attrs.has(cls) and not _has_extra(cls), _unstructure_without_none
)


def _points(value: Any, _: Any) -> tuple[tuple[int, int], ...]:
    # Text locations are the bulk of an OCR answer; cattrs' generic tuple path is several
    # times slower for these lists of [x, y] pairs.
    return tuple((int(x), int(y)) for x, y in value)


_POINTS = tuple[tuple[int, int], ...]
converter.register_structure_hook_func(lambda cls: cls == _POINTS, _points)


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
    tail = json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode()
    head = b'{"image":"' + image.encode("ascii") + b'"'
    return head + (b"}" if tail == b"{}" else b"," + tail[1:])


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def _plain(text: str) -> bool:
    return text.isascii() and _NEEDS_ESCAPE.search(text) is None


def parse_result(payload: Any, result_type: type[T], meta: ResponseMeta | None = None) -> T:
    """Build a typed result from the ``result`` member of a response body."""
    result = converter.structure(payload, result_type)
    if isinstance(result, Result):
        result = attrs.evolve(result, raw=payload, meta=meta)
    return result
