"""The one boundary where the service's answers become our types.

Every HTTP answer goes through :func:`error_for` (non-2xx) or :func:`result_for` (2xx):
foreign data in, a typed result or a typed :class:`~aiocloudocr.errors.APIError` out. No
exception of any other kind leaves these functions, whatever the body holds (deep nesting,
huge numbers, wrong types), and every text taken from the answer is scrubbed of every secret
the client has sent, before it is cut to length.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from multidict import CIMultiDict

from aiocloudocr.errors import APIError, InvalidResponseError, error_class_for
from aiocloudocr.models._base import ResponseMeta
from aiocloudocr.models.converter import parse_result
from aiocloudocr.retry import parse_retry_after

REQUEST_ID_HEADER = "X-Request-Id"
_MAX_MESSAGE = 500
_MASK = "***"
# A secret echoed only in part still identifies it: a run of at least this many of its
# leading characters is masked too.
_PREFIX = 12


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every secret, and every echoed prefix of one, masked."""
    for secret in secrets:
        if len(secret) < 6:
            continue  # very short values would mask innocent text; real secrets are long
        if secret in text:
            text = text.replace(secret, _MASK)
        if len(secret) >= 2 * _PREFIX:
            text = _mask_prefixes(text, secret)
    return text


def _mask_prefixes(text: str, secret: str) -> str:
    head = secret[:_PREFIX]
    start = text.find(head)
    while start != -1:
        end = start + _PREFIX
        while end < len(text) and end - start < len(secret) and text[end] == secret[end - start]:
            end += 1
        text = text[:start] + _MASK + text[end:]
        start = text.find(head, start + len(_MASK))
    return text


def _shorten(text: str, limit: int = _MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_json(body: bytes) -> Any:
    """Parse a JSON body; ``None`` when it is empty or not JSON a client can use."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError, MemoryError):
        # RecursionError: deeply nested arrays; ValueError also covers bad UTF-8 and
        # integers longer than Python's digit limit.
        return None


def _pick(payload: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = payload.get(name)
        if value is not None and value != "" and isinstance(value, (str, int, float)):
            return str(value)
    return None


def parse_error_body(status: int, body: bytes, reason: str = "") -> tuple[str | None, str]:
    """Return ``(code, message)`` from an error body in any of the service's shapes.

    Shapes: ``error_code``/``error_msg`` (OCR, Image), ``errorCode``/``errorMsg`` and
    ``code``/``message`` (seen from gateways), and IAM's ``{"error": {...}}``. Anything else
    falls back to the status and the body text. The message is not scrubbed here.
    """
    payload = load_json(body)
    if isinstance(payload, Mapping):
        inner = payload.get("error")
        if isinstance(inner, Mapping):
            payload = {**payload, **inner}
        code = _pick(payload, "error_code", "errorCode", "code")
        message = _pick(payload, "error_msg", "errorMsg", "message", "title")
        if code is not None or message is not None:
            return code, message or f"HTTP {status} {reason}".strip()
    text = body.decode("utf-8", "replace").strip()
    fallback = f"HTTP {status} {reason}".strip()
    return None, f"{fallback}: {text}" if text else fallback


def error_for(
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    operation: str,
    service: str | None = None,
    secrets: Iterable[str] = (),
    now: float = 0.0,
    reason: str = "",
) -> APIError:
    """Build the typed exception for a non-2xx answer, its text free of every secret."""
    code, message = parse_error_body(status, body, reason)
    secrets = tuple(secrets)
    if code is not None:
        code = _shorten(scrub(code, secrets), 64)
    cls = error_class_for(status, code, service=service)
    return cls(
        _shorten(scrub(message, secrets)),
        status=status,
        code=code,
        request_id=_request_id(headers, secrets),
        operation=operation,
        service=service,
        retry_after=parse_retry_after(headers.get("Retry-After"), now),
    )


# Response headers that carry credentials by design; never shown to users.
_HIDDEN_HEADERS = frozenset({"x-subject-token", "set-cookie", "authorization", "x-auth-token"})


class VisibleHeaders(Mapping[str, str]):
    """An answer's headers as users may see them: case-insensitive, credential headers left
    out, any value holding a secret masked.

    Read lazily (most callers never look, and a bulk run makes millions of these); a pickle
    or a copy holds only the visible values, never the secrets it masks with.
    """

    __slots__ = ("_headers", "_secrets", "_source")

    def __init__(
        self, headers: Mapping[str, str], secrets: Iterable[str] | Callable[[], Iterable[str]]
    ) -> None:
        # ``secrets`` may be a function: asked only when a header is read, so a bulk run
        # whose callers never look pays nothing for them.
        self._headers = headers
        self._source = secrets
        self._secrets: tuple[str, ...] | None = None

    def _show(self, value: str) -> str:
        secrets = self._secrets
        if secrets is None:
            source = self._source
            found = source() if callable(source) else source
            secrets = self._secrets = tuple(s for s in found if len(s) >= 6)
        if any(secret in value for secret in secrets):
            return scrub(value, secrets)
        return value

    def __getitem__(self, name: str) -> str:
        if name.lower() in _HIDDEN_HEADERS:
            raise KeyError(name)
        return self._show(self._headers[name])

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._headers if name.lower() not in _HIDDEN_HEADERS)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def materialize(self) -> CIMultiDict[str]:
        """The visible headers as a plain case-insensitive mapping."""
        shown: CIMultiDict[str] = CIMultiDict()
        for name, value in self._headers.items():
            if name.lower() not in _HIDDEN_HEADERS:
                shown.add(name, self._show(value))
        return shown

    def __reduce__(self) -> tuple[Any, ...]:
        return (CIMultiDict, (list(self.materialize().items()),))

    def __repr__(self) -> str:
        return f"<VisibleHeaders {dict(self.materialize())!r}>"


def visible_headers(
    headers: Mapping[str, str], secrets: Iterable[str] | Callable[[], Iterable[str]]
) -> VisibleHeaders:
    """An answer's headers as users may see them (see :class:`VisibleHeaders`)."""
    return VisibleHeaders(headers, secrets)


def _request_id(headers: Mapping[str, str], secrets: Iterable[str]) -> str | None:
    value = headers.get(REQUEST_ID_HEADER)
    return None if value is None else _shorten(scrub(value, secrets), 128)


def result_for(
    *,
    result_type: type[Any],
    body: bytes,
    meta: ResponseMeta,
    operation: str,
    service: str | None = None,
) -> Any:
    """Build the typed result of a 2xx answer, or raise :class:`InvalidResponseError`."""
    payload = load_json(body)
    if not isinstance(payload, dict) or "result" not in payload:
        reason = "body is not JSON" if payload is None else "no 'result' member"
        raise _invalid(reason, meta, operation, service)
    try:
        return parse_result(payload["result"], result_type, meta)
    except Exception as exc:
        reason = _shorten(f"{type(exc).__name__}: {exc}", 300)
        raise _invalid(reason, meta, operation, service) from None


def _invalid(
    reason: str, meta: ResponseMeta, operation: str, service: str | None
) -> InvalidResponseError:
    return InvalidResponseError(
        f"the {operation} answer is not the documented result: {reason}",
        status=meta.status,
        request_id=meta.request_id,
        operation=operation,
        service=service,
        attempts=meta.attempts,
    )
