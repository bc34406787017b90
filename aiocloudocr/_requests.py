"""Building an operation's request body from what a caller passed, with the checks that spare
a paid request the service would refuse. Pure apart from reading an image file."""

from __future__ import annotations

import base64
import inspect
import os
import warnings
from collections.abc import Mapping
from typing import Any

from aiocloudocr._images import (
    MB,
    ImageSource,
    check_image,
    decode_base64,
    encode_url,
    resolve_image,
)
from aiocloudocr.errors import CloudOcrError, ConfigurationError, ValidationError
from aiocloudocr.models.converter import encode_body, request_body, splice_image
from aiocloudocr.operations import AnyOperation

# Both auth methods accept request bodies up to 12 MB (API reference, "Authentication").
MAX_BODY_BYTES = 12 * MB
_STAND_IN = "AAAA"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def body_of_request(op: AnyOperation, request: Any, *, check: bool) -> bytes:
    """The JSON body for a ready request object of ``op``."""
    if not isinstance(request, op.request_type):
        raise ConfigurationError(
            f"{op.name} takes a {op.request_type.__name__}, got {type(request).__name__}"
        )
    image = getattr(request, "image", None)
    if check and op.limits is not None and isinstance(image, str) and image:
        check_image(decode_base64(image), op.limits)
    return _checked(encode_body(request_body(request)), check)


async def body_of_source(
    op: AnyOperation,
    image: ImageSource | None,
    url: str | None,
    fields: Mapping[str, Any],
    *,
    check: bool,
) -> bytes:
    """The JSON body for ``op`` from an image source (or a URL) and typed fields."""
    data: bytes | None = None
    if image is not None:
        if url is not None:
            raise ValidationError("set exactly one of image and url (both given)", field="image")
        try:
            resolved = await resolve_image(image)
        except CloudOcrError:
            raise
        except (OSError, ValueError, TypeError) as exc:
            raise ValidationError(f"cannot read the image: {exc}", field="image") from None
        data, url = resolved.data, resolved.url
    elif url is not None:
        url = encode_url(url)
    accepted = op.fields
    sources: dict[str, str | None] = {}
    if "image" in accepted:
        # The request is built (and its fields checked) with a stand-in; the real base64
        # bytes are spliced into the body below, never decoded to a str and encoded back.
        sources["image"] = None if data is None else _STAND_IN
    elif data is not None:
        raise ValidationError(f"{op.name} takes a url, not image data", field="image")
    if "url" in accepted:
        sources["url"] = url
    elif url is not None:
        raise ValidationError(
            f"{op.name} takes image data, not a URL: download the image and pass its bytes",
            field="url",
        )
    request = op.request_type(**sources, **fields)
    if check and op.limits is not None and data is not None:
        check_image(data, op.limits)
    body = request_body(request)
    if data is not None and "image" in accepted:
        del body["image"]
        return _checked(splice_image(base64.b64encode(data), body), check)
    return _checked(encode_body(body), check)


def _checked(payload: bytes, check: bool) -> bytes:
    if check and len(payload) > MAX_BODY_BYTES:
        raise ValidationError(
            f"the request body is {len(payload) / MB:.1f} MB; the service accepts at most "
            f"{MAX_BODY_BYTES / MB:g} MB: send a smaller image or a url",
            code="APIG.0201",
            field="image",
        )
    return payload


def check_fields(op: AnyOperation, fields: Mapping[str, Any]) -> None:
    """Refuse unknown or invalid request fields once, before a bulk run starts."""
    names = op.fields - {"image", "url"}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise ConfigurationError(
            f"{op.name} has no field {', '.join(unknown)}; its fields: {', '.join(sorted(names))}"
        )
    placeholder = {"url": "https://example.com/x.jpg"}
    if "url" not in op.fields:
        placeholder = {"image": "AAAA"}
    try:
        op.request_type(**placeholder, **fields)
    except ValidationError as error:
        if error.field not in ("image", "url"):
            raise


_warned: set[str] = set()


def warn_deprecated(op: AnyOperation) -> None:
    """Warn once per process that ``op`` is deprecated, attributed to the caller's code."""
    if op.name in _warned:
        return
    _warned.add(op.name)
    warnings.warn(
        f"{op.name} ({op.path}) is a deprecated API of the service",
        DeprecationWarning,
        stacklevel=_caller_stacklevel(),
    )


def _caller_stacklevel() -> int:
    # Python's default filters show a DeprecationWarning only when it is attributed to the
    # code that triggered it; an awaited coroutine's frames chain back to the caller's.
    # Level 1 is warn_deprecated itself, the frame that calls warnings.warn.
    here = inspect.currentframe()
    frame = here.f_back if here is not None else None
    level = 1
    while frame is not None:
        if not os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
            return level
        frame = frame.f_back
        level += 1
    return 1
