"""Building an operation's request body from what a caller passed, with the checks that spare
a paid request the service would refuse. Pure apart from reading an image file."""

from __future__ import annotations

import inspect
import json as _json
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiocloudocr._codecs import b64encode
from aiocloudocr._config import SERVICES
from aiocloudocr._images import (
    MB,
    ImageSource,
    check_image,
    decode_base64,
    encode_url,
    resolve_image,
)
from aiocloudocr._pipeline import Call
from aiocloudocr.auth.credentials import AkSkCredentials
from aiocloudocr.errors import CloudOcrError, ConfigurationError, ValidationError
from aiocloudocr.models.converter import encode_body, request_body, splice_image
from aiocloudocr.operations import AnyOperation

if TYPE_CHECKING:
    from aiocloudocr._sending import Sender

# Both auth methods accept request bodies up to 12 MB (API reference, "Authentication").
MAX_BODY_BYTES = 12 * MB
_STAND_IN = "AAAA"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def body_of_request(
    op: AnyOperation,
    request: Any,
    *,
    check: bool,
    extra_body: Mapping[str, Any] | None = None,
) -> bytes:
    """The JSON body for a ready request object of ``op`` (``extra_body`` merged in last)."""
    if not isinstance(request, op.request_type):
        raise ConfigurationError(
            f"{op.name} takes a {op.request_type.__name__}, got {type(request).__name__}"
        )
    image = getattr(request, "image", None)
    if check and op.limits is not None and isinstance(image, str) and image:
        check_image(decode_base64(image), op.limits)
    body = request_body(request)
    if extra_body:
        body.update(_extra(extra_body))
    return _checked(encode_body(body), check)


async def body_of_source(
    op: AnyOperation,
    image: ImageSource | None,
    url: str | None,
    fields: Mapping[str, Any],
    *,
    check: bool,
    extra_body: Mapping[str, Any] | None = None,
) -> bytes:
    """The JSON body for ``op`` from an image source (or a URL) and typed fields
    (``extra_body`` merged in last)."""
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
    if extra_body:
        body.update(_extra(extra_body))
    if data is not None and "image" in accepted:
        del body["image"]
        return _checked(splice_image(b64encode(data), body), check)
    return _checked(encode_body(body), check)


def _extra(extra_body: Mapping[str, Any]) -> Mapping[str, Any]:
    if "image" in extra_body or "url" in extra_body:
        raise ConfigurationError(
            "extra_body cannot set image or url: pass the image (or url=) as usual"
        )
    return extra_body


# Headers the client sets itself for every attempt (signing, tokens, framing).
_RESERVED_HEADERS = frozenset(
    {
        "host", "authorization", "x-sdk-date", "x-auth-token", "x-security-token",
        "x-sdk-content-sha256", "content-length", "transfer-encoding",
    }
)  # fmt: skip


def merge_headers(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the caller's ``extra`` headers (sent and signed); refuses the ones the
    client must set itself."""
    reserved = sorted(name for name in extra if name.lower() in _RESERVED_HEADERS)
    if reserved:
        raise ConfigurationError(
            f"headers cannot set {', '.join(reserved)}: the client sets them for each attempt"
        )
    merged = {k: v for k, v in base.items() if k.lower() not in {n.lower() for n in extra}}
    merged.update(extra)
    return merged


_PATH_SAFE = "/-_.~%{}:@!$&'()*+,;="


async def raw_call(
    sender: Sender,
    service: str,
    method: str,
    path: str,
    *,
    json: Any = None,
    content: bytes | None = None,
    content_type: str | None = None,
    query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Call:
    """The pipeline call for ``client.request(...)``: any path of the OCR, Image or IAM
    service, with the project id filled in, the body encoded and the caller's headers."""
    if service not in SERVICES:
        raise ConfigurationError(f"unknown service {service!r}; use 'ocr', 'image' or 'iam'")
    if json is not None and content is not None:
        raise ConfigurationError("pass json= or content=, not both")
    config = sender.config
    sent: dict[str, str] = dict(config.headers)
    body = b""
    if json is not None:
        body = _json.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
        sent["Content-Type"] = "application/json;charset=utf-8"
    elif content is not None:
        body = bytes(content)
        sent["Content-Type"] = content_type or "application/octet-stream"
    if config.enterprise_project_id and service != "iam":
        sent["Enterprise-Project-Id"] = config.enterprise_project_id
    session = sender.session
    project_id = await session.resolve_project_id(config) if "{project_id}" in path else None
    if project_id is not None:
        path = path.replace("{project_id}", quote(project_id, safe=""))
    if service != "iam":
        known = project_id or session.project_id
        if known and isinstance(config.credentials, AkSkCredentials):
            sent["X-Project-Id"] = known
    if headers:
        sent = merge_headers(sent, headers)
    pairs = tuple(query.items() if isinstance(query, Mapping) else query or ())
    method = method.upper()
    return Call(
        operation=f"{method} {path}",
        service=service,
        method=method,
        endpoint=config.endpoint(service),
        path=quote(path if path.startswith("/") else "/" + path, safe=_PATH_SAFE),
        body=body,
        headers=sent,
        query=tuple((str(k), str(v)) for k, v in pairs),
        limiter=None if service == "iam" else sender.limiter(service),
    )


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
