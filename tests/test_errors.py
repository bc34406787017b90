"""The exception tree: classification, text, pickling, secret scrubbing."""

from __future__ import annotations

import pickle
from types import ModuleType

import pytest

import aiocloudocr
from aiocloudocr import errors
from aiocloudocr._answers import error_for, parse_error_body


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "AIS.0101", errors.BadRequestError),
        (400, "AIS.0103", errors.ImageError),
        (401, "APIG.0301", errors.AuthenticationError),
        (400, "ModelArts.4204", errors.NotSubscribedError),
        (404, "APIG.0101", errors.NotFoundError),
        (429, "APIG.0308", errors.ThrottledError),
        (429, "ModelArts.4401", errors.ThrottledError),
        (400, "ModelArts.4603", errors.URLFetchError),
        (500, "ModelArts.4505", errors.ServerError),
        (503, None, errors.ServerError),
        (401, None, errors.AuthenticationError),
        (418, None, errors.BadRequestError),
        (408, None, errors.ServerError),
        (500, "AIP.0500", errors.ServerError),
        (503, "ModelArts.4503", errors.NotFoundError),
        (400, "Unknown.9999", errors.BadRequestError),
    ],
)
def test_classification(status: int, code: str | None, cls: type[errors.APIError]) -> None:
    """Codes from the seeds' tables pick the class; the status decides otherwise."""
    assert errors.error_class_for(status, code) is cls


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"error_code": "AIS.0103", "error_msg": "bad size"}', ("AIS.0103", "bad size")),
        (b'{"errorCode": "X.1", "errorMsg": "m"}', ("X.1", "m")),
        (b'{"code": "X.2", "message": "m2"}', ("X.2", "m2")),
        (b'{"error": {"code": 401, "message": "wrong password", "title": "Unauthorized"}}',
         ("401", "wrong password")),
        (b"<html>bad gateway</html>", (None, "HTTP 502 Bad Gateway: <html>bad gateway</html>")),
        (b"", (None, "HTTP 502 Bad Gateway")),
    ],
)  # fmt: skip
def test_error_body_shapes(body: bytes, expected: tuple[str | None, str]) -> None:
    """Every error body shape the service family uses yields a code and a message."""
    assert parse_error_body(502, body, "Bad Gateway") == expected


def test_api_error_carries_everything_and_pickles() -> None:
    """An API error has status, code, message, request id, operation, and survives pickle."""
    error = error_for(
        status=429,
        headers={"X-Request-Id": "req-1", "Retry-After": "2"},
        body=b'{"error_code": "APIG.0308", "error_msg": "limit:10,time:1 minute"}',
        operation="web_image",
    )
    assert isinstance(error, errors.ThrottledError)
    assert (error.status, error.code, error.request_id, error.operation, error.retry_after) == (
        429, "APIG.0308", "req-1", "web_image", 2.0,
    )  # fmt: skip
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is errors.ThrottledError
    assert clone.__dict__ == error.__dict__
    assert str(clone) == str(error)
    assert "req-1" in str(error) and "APIG.0308" in str(error)


@pytest.mark.parametrize(
    "error",
    [
        errors.ValidationError("bad", code="AIS.0103", field="image"),
        errors.ConnectError("down", operation="web_image", attempts=3),
        errors.RequestTimeout("slow", operation="web_image"),
        errors.ConfigurationError("nope"),
    ],
)
def test_other_errors_pickle(error: errors.CloudOcrError) -> None:
    """Every error type survives a pickle round trip with its fields."""
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)


@pytest.mark.parametrize(
    ("service", "cls"),
    [("ocr", errors.ServerError), ("image", errors.BadRequestError), (None, errors.ServerError)],
)
def test_classification_by_service(service: str | None, cls: type[errors.APIError]) -> None:
    """APIG.0201 is a backend timeout for OCR, an oversized body for Image, else by status."""
    assert errors.error_class_for(504, "APIG.0201", service=service) is cls


def test_service_is_stored_and_pickled_but_not_in_the_text() -> None:
    """An error keeps its service through pickle; its text is what it was before."""
    error = errors.ServerError("Backend timeout.", status=504, code="APIG.0201", service="ocr")
    plain = errors.ServerError("Backend timeout.", status=504, code="APIG.0201")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is errors.ServerError and clone.__dict__ == error.__dict__
    assert clone.service == "ocr" and plain.service is None
    assert str(clone) == str(plain) == "[APIG.0201] Backend timeout. (status 504, attempts 1)"


def test_an_error_pickled_before_the_service_field_still_loads() -> None:
    """Pickled state without ``service`` (an older release) rebuilds with service None."""
    error = errors.ThrottledError("x", status=429, code="APIG.0308")
    state = {k: v for k, v in error.__dict__.items() if k != "service"}
    old = pickle.loads(pickle.dumps(error))
    old.__dict__.clear()
    old.__dict__.update(state)
    clone = pickle.loads(pickle.dumps(old))
    assert isinstance(clone, errors.ThrottledError) and clone.service is None


def test_secrets_are_scrubbed_from_service_messages() -> None:
    """A service message that echoes a secret has it masked."""
    secret = "MIIsupersecrettoken"
    error = error_for(
        status=401,
        headers={},
        body=b'{"error_code": "APIG.0301", "error_msg": "token MIIsupersecrettoken expired"}',
        operation="web_image",
        secrets=[secret],
    )
    assert secret not in str(error) and secret not in repr(error)
    assert secret.encode() not in pickle.dumps(error)


def test_all_is_sorted_and_complete() -> None:
    """__all__ has no duplicates and names every public object (ruff RUF022 keeps it sorted)."""
    assert len(set(aiocloudocr.__all__)) == len(aiocloudocr.__all__)
    public = {
        name
        for name in dir(aiocloudocr)
        if not name.startswith("_") and not isinstance(getattr(aiocloudocr, name), ModuleType)
    }
    assert public <= set(aiocloudocr.__all__)
