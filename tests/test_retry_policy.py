"""Retry policy decisions and waits, as pure functions."""

from __future__ import annotations

import math

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
from aiocloudocr.retry import parse_retry_after

POLICY = RetryPolicy()


def _error(status: int, code: str | None) -> APIError:
    return error_class_for(status, code)("msg", status=status, code=code)


@pytest.mark.parametrize(
    "code",
    [
        "APIG.0308",  # 002 l.874, 003 l.1065 throttling threshold reached
        "ModelArts.4401",  # 002 l.846 Max concurrency error
        "ModelArts.4402",  # 002 l.847 Backend service timeout error
        "ModelArts.4403",  # 002 l.848 Backend service unavailable error
        "ModelArts.4505",  # 002 l.852 Backend service internal error
    ],
)
def test_retryable_codes(code: str) -> None:
    """Throttling and transient backend codes are retried."""
    assert POLICY.is_retryable(_error(400, code))


@pytest.mark.parametrize(
    "code", ["AIS.0101", "AIS.0102", "AIS.0103", "AIS.0015", "ModelArts.4204", "APIG.0101"]
)
def test_request_errors_are_not_retried(code: str) -> None:
    """Errors about the request itself are final."""
    assert not POLICY.is_retryable(_error(400, code))


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_without_code(status: int) -> None:
    """408, 429 and 5xx without a code of their own are retried."""
    assert POLICY.is_retryable(_error(status, None))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 501, 505])
def test_final_statuses_without_code(status: int) -> None:
    """Other statuses without a code are final."""
    assert not POLICY.is_retryable(_error(status, None))


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


def test_backoff_survives_huge_attempt_numbers() -> None:
    """A very late attempt waits the cap instead of overflowing."""
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=8.0)
    assert policy.delay(_error(500, None), 5000, lambda: 1.0) == 8.0


def test_sane_retry_after_is_used_whole() -> None:
    """A Retry-After within max_retry_after is the wait, even one longer than any backoff."""
    policy = RetryPolicy(max_backoff=8.0)
    error = ThrottledError("slow down", status=429, code="APIG.0308", retry_after=3.0)
    assert policy.delay(error, 1, lambda: 0.0) == 3.0
    error.retry_after = 3600.0
    assert policy.delay(error, 1, lambda: 0.0) == 3600.0
    error.retry_after = 0.0
    assert policy.delay(error, 1, lambda: 1.0) == 0.0


def test_default_max_retry_after_is_a_day() -> None:
    """Up to a day is believed; the docstring says larger values are nonsense."""
    assert RetryPolicy().max_retry_after == 86400.0
    assert "nonsense" in (RetryPolicy.__doc__ or "")


@pytest.mark.parametrize("retry_after", [math.nan, math.inf, -math.inf, -1.0, 86400.5, 1e9])
def test_absurd_retry_after_falls_back_to_backoff(retry_after: float) -> None:
    """A Retry-After that is not finite, negative or past the cap is ignored for backoff."""
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=8.0)
    error = ThrottledError("slow down", status=429, code="APIG.0308", retry_after=retry_after)
    assert policy.delay(error, 3, lambda: 1.0) == 4.0
    assert policy.delay(error, 3, lambda: 0.5) == 2.0


def test_retry_after_beyond_a_lower_cap_is_ignored_not_cut() -> None:
    """max_retry_after bounds what is believed: beyond it the wait is backoff, not the cap."""
    policy = RetryPolicy(max_retry_after=10.0, initial_backoff=1.0, max_backoff=8.0)
    error = ThrottledError("slow down", status=429, code="APIG.0308", retry_after=10.0)
    assert policy.delay(error, 1, lambda: 1.0) == 10.0
    error.retry_after = 11.0
    assert policy.delay(error, 1, lambda: 1.0) == 1.0


def test_parse_retry_after_forms() -> None:
    """Retry-After parses as seconds or as an HTTP date relative to now."""
    assert parse_retry_after("2", now=0.0) == 2.0
    assert parse_retry_after(" 0 ", now=0.0) == 0.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:30 GMT", now=10.0) == 20.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:05 GMT", now=10.0) == 0.0
    assert parse_retry_after(None, now=0.0) is None
    assert parse_retry_after("", now=0.0) is None


@pytest.mark.parametrize(
    "value",
    [
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "-5",
        "-0.5",
        "garbage",
        "1e999",
        "9" * 5000,
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Thu, 32 Jan 2026 00:00:00 GMT",
    ],
)
def test_parse_retry_after_rejects_nonsense(value: str) -> None:
    """Non-finite, negative, unparsable and absurdly far Retry-After values read as None."""
    assert parse_retry_after(value, now=1_700_000_000.0) is None


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


@pytest.mark.parametrize(
    "stated",
    [
        "limit:0,time:1 minute",
        "limit:20,time:0 minute",
        "limit:20,time:0.0 second",
        "limit:-5,time:1 minute",
        "limit:20,time:-1 minute",
        "limit:XX,time:1 minute",
        f"limit:{'9' * 5000},time:1 minute",
        f"limit:20,time:{'9' * 5000} day",
        "limit:20,time:100000 day",
        "limit:20,time:0.0001 millisecond",
    ],
)
def test_absurd_stated_limits_read_as_none(stated: str) -> None:
    """A zero, negative, unreadable or absurd limit or window is no limit at all."""
    message = f"The throttling threshold has been reached: policy user over ratelimit,{stated}"
    assert ThrottledError(message, status=429, code="APIG.0308").rate_limit is None


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("limit:5,time:1 second", (5, 1.0)),
        ("limit:3,time:500 millisecond", (3, 0.5)),
        ("limit:1000,time:1 day", (1000, 86400.0)),
        ("limit:10,time:2 hour", (10, 7200.0)),
    ],
)
def test_sane_stated_limits(stated: str, expected: tuple[int, float]) -> None:
    """Limits in every unit the gateway uses are read."""
    assert ThrottledError(stated, status=429, code="APIG.0308").rate_limit == expected
