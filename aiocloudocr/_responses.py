"""Turning an HTTP answer into an exception: pure functions over status, headers and body."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aiocloudocr._redact import scrub
from aiocloudocr.errors import APIError, error_class_for
from aiocloudocr.retry import parse_retry_after

REQUEST_ID_HEADER = "X-Request-Id"
_BODY_EXCERPT = 200


def _pick(payload: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = payload.get(name)
        if value is not None and value != "":
            return str(value)
    return None


def parse_error_body(status: int, body: bytes, reason: str = "") -> tuple[str | None, str]:
    """Return ``(code, message)`` from an error body in any of the service's shapes.

    Shapes: ``error_code``/``error_msg`` (OCR, Image), ``errorCode``/``errorMsg`` and
    ``code``/``message`` (seen from gateways), and IAM's ``{"error": {...}}``. Anything else
    falls back to the status and an excerpt of the body.
    """
    payload: Any = None
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    if isinstance(payload, Mapping):
        inner = payload.get("error")
        if isinstance(inner, Mapping):
            payload = {**payload, **inner}
        code = _pick(payload, "error_code", "errorCode", "code")
        message = _pick(payload, "error_msg", "errorMsg", "message", "title")
        if code is not None or message is not None:
            return code, message or f"HTTP {status} {reason}".strip()
    text = body[:_BODY_EXCERPT].decode("utf-8", "replace").strip()
    fallback = f"HTTP {status} {reason}".strip()
    return None, f"{fallback}: {text}" if text else fallback


def error_from_response(
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    operation: str,
    secrets: Iterable[str] = (),
    now: float = 0.0,
    reason: str = "",
) -> APIError:
    """Build the typed exception for a non-2xx answer, with secrets scrubbed from its text."""
    code, message = parse_error_body(status, body, reason)
    cls = error_class_for(status, code)
    return cls(
        scrub(message, secrets),
        status=status,
        code=code,
        request_id=headers.get(REQUEST_ID_HEADER),
        operation=operation,
        retry_after=parse_retry_after(headers.get("Retry-After"), now),
    )
