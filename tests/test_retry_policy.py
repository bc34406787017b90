"""Retry policy decisions and waits, as pure functions."""

from __future__ import annotations

import pytest

from aiocloudocr import (
    APIError,
    ConnectError,
    RequestTimeout,
    RetryPolicy,
    ThrottledError,
    ValidationError,
)
from aiocloudocr.errors import error_class_for
from aiocloudocr.retry import RETRYABLE_CODES, parse_retry_after

POLICY = RetryPolicy()


def _error(status: int, code: str | None) -> APIError:
    return error_class_for(status, code)("msg", status=status, code=code)


@pytest.mark.parametrize("code", sorted(RETRYABLE_CODES))
def test_retryable_codes(code: str) -> None:
    """Throttling and transient backend codes are retried."""
    assert POLICY.is_retryable(_error(400, code))


@pytest.mark.parametrize(
    "code", ["AIS.0101", "AIS.0102", "AIS.0103", "AIS.0015", "ModelArts.4204", "APIG.0101"]
)
def test_request_errors_are_not_retried(code: str) -> None:
    """Errors about the request itself are final."""
    assert not POLICY.is_retryable(_error(400, code))


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_without_code(status: int) -> None:
    """429 and 5xx without a code of their own are retried."""
    assert POLICY.is_retryable(_error(status, None))


def test_transport_errors_retryable_validation_not() -> None:
    """Connection failures and timeouts are retried; client-side validation never is."""
    assert POLICY.is_retryable(ConnectError("x"))
    assert POLICY.is_retryable(RequestTimeout("x"))
    assert not POLICY.is_retryable(ValidationError("x"))


def test_backoff_is_capped_full_jitter() -> None:
    """Waits grow exponentially up to the cap, scaled by the jitter factor."""
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=8.0)
    error = _error(500, None)
    assert [policy.delay(error, n, lambda: 1.0) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    assert policy.delay(error, 3, lambda: 0.25) == 1.0


def test_retry_after_is_honoured_within_cap() -> None:
    """A Retry-After wins over backoff, capped at max_retry_after."""
    policy = RetryPolicy(max_retry_after=10.0)
    error = ThrottledError("slow down", status=429, code="APIG.0308", retry_after=3.0)
    assert policy.delay(error, 1, lambda: 0.0) == 3.0
    error.retry_after = 3600.0
    assert policy.delay(error, 1, lambda: 0.0) == 10.0


def test_parse_retry_after_forms() -> None:
    """Retry-After parses as seconds or as an HTTP date relative to now."""
    assert parse_retry_after("2", now=0.0) == 2.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:30 GMT", now=10.0) == 20.0
    assert parse_retry_after("garbage", now=0.0) is None
    assert parse_retry_after(None, now=0.0) is None
    assert parse_retry_after("-5", now=0.0) == 0.0


def test_throttle_limit_is_read_from_message() -> None:
    """The APIG.0308 message states the limit and its window."""
    error = ThrottledError(
        "The throttling threshold has been reached: policy user over ratelimit,"
        "limit:20,time:1 minute",
        status=429,
        code="APIG.0308",
    )
    assert error.rate_limit == (20, 60.0)
    assert ThrottledError("Max concurrency error.", status=429).rate_limit is None
