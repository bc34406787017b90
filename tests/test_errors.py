"""The exception tree: classification, text, pickling, secret scrubbing."""

from __future__ import annotations

import pickle
from types import ModuleType

import pytest

import aiocloudocr
from aiocloudocr import errors
from aiocloudocr._responses import error_from_response, parse_error_body


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
    error = error_from_response(
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


def test_secrets_are_scrubbed_from_service_messages() -> None:
    """A service message that echoes a secret has it masked."""
    secret = "MIIsupersecrettoken"
    error = error_from_response(
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
