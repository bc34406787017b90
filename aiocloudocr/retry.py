"""Retry policy as data, and the pure functions that apply it."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

from aiocloudocr.errors import APIError, ConnectError, RequestTimeout, _documented_class


class _FrozenCodes(Mapping[str, frozenset[str]]):
    """A read-only, hashable, picklable service -> codes mapping (policy data stays frozen)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Iterable[str]]) -> None:
        self._data = {service: frozenset(codes) for service, codes in data.items()}

    def __getitem__(self, service: str) -> frozenset[str]:
        return self._data[service]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))


# Codes that mean "try again later" in every table that lists them: throttling and transient
# platform or backend failures. Every other code the tables list is final (the class of each
# code, with its table line, is in errors.py).
RETRYABLE_CODES = frozenset(
    {
        "APIG.0308",  # 002 l.874, 003 l.1065 throttling threshold reached
        "ModelArts.4107",  # 002 l.837, 003 l.1075 platform failed to get a temporary AK/SK
        "ModelArts.4301",  # 002 l.844 platform failed to get the service's admin token
        "ModelArts.4302",  # 002 l.845 gateway forwarding error
        "ModelArts.4401",  # 002 l.846 max concurrency (the limiter lowers concurrency)
        "ModelArts.4402",  # 002 l.847 backend service timeout
        "ModelArts.4403",  # 002 l.848 backend unavailable, or its failure rate is high
        "ModelArts.4502",  # 002 l.849 backend service failed to respond
        "ModelArts.4505",  # 002 l.852 backend internal error
        "AIS.0003",  # 003 l.1014 internal service error
        "AIS.0506",  # 003 l.1055 internal error
        "AIP.0500",  # 003 l.1090 internal service error (status 500)
    }
)
# Codes retried only for the service whose table gives them a transient meaning.
SERVICE_RETRYABLE_CODES: Mapping[str, frozenset[str]] = _FrozenCodes(
    {
        # 002 l.867 Backend timeout; the Image table's APIG.0201 (003 l.1062) is an oversized
        # request body, which no retry can cure.
        "ocr": frozenset({"APIG.0201"}),
        "image": frozenset(),
        "iam": frozenset(),
    }
)
# For answers without a code any table lists: 408 (002 l.774: "may repeat the request without
# modifications at a later time"), 429 and the transient 5xx. 503 stays retried although the
# status table calls it "service invalid": gateways answer it for overload and maintenance.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Codes that say the token was refused: drop it and retry once with a fresh one.
TOKEN_REJECTED_CODES = frozenset(
    {
        "APIG.0301",  # 002 l.870, 003 l.1061 IAM authentication information incorrect
        "ModelArts.0203",  # 002 l.828, 003 l.1066 invalid token
        "ModelArts.4101",  # 002 l.829, 003 l.1067 token header empty
        "ModelArts.4102",  # 002 l.830, 003 l.1068 token parse error
        "ModelArts.4103",  # 002 l.831, 003 l.1069 invalid token header
        "AIS.0002",  # 003 l.1011 authentication token abnormal
        "AIP.0001",  # 003 l.1089 authentication token abnormal (status 403)
    }
)

_NOTHING: frozenset[str] = frozenset()
# A Retry-After further away than this is not a wait any caller could mean.
_ABSURD_RETRY_AFTER = 366 * 86400.0
# 2**64 times any sane initial backoff is past any sane cap; the bound avoids OverflowError.
_MAX_EXPONENT = 64


def _freeze(value: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    return value if isinstance(value, _FrozenCodes) else _FrozenCodes(value)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """What is retried, how often, and how long to wait.

    A service error is retried when its code is in ``retry_codes`` or in
    ``service_retry_codes`` for the service that answered; a code the error-code tables list
    is otherwise final, whatever its HTTP status, and so is any other ``AIS.*``/``AIP.*``
    code. Only an error without a listed code is retried for its status, when that is in
    ``retry_statuses``; so is a code whose meaning differs between services (APIG.0201) when
    the error names no service. Other failures are retried when they are ``retry_exceptions``.

    Waits are capped exponential backoff with full jitter, unless the service sent a
    ``Retry-After``: a finite, non-negative one up to ``max_retry_after`` (a day by default)
    is the wait, whole; larger values are treated as nonsense and ignored for backoff.
    ``deadline`` bounds the whole call, waits included: the caller gives up rather than
    sleep past it.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    deadline: float | None = 300.0
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 86400.0
    retry_codes: frozenset[str] = RETRYABLE_CODES
    service_retry_codes: Mapping[str, frozenset[str]] = attrs.field(
        default=SERVICE_RETRYABLE_CODES, converter=_freeze
    )
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES
    retry_exceptions: tuple[type[BaseException], ...] = (ConnectError, RequestTimeout)

    def is_retryable(self, error: BaseException) -> bool:
        """Whether ``error`` is worth another attempt."""
        if not isinstance(error, APIError):
            return isinstance(error, self.retry_exceptions)
        code = error.code
        if code is not None:
            if code in self.retry_codes:
                return True
            service = error.service
            if service is not None and code in self.service_retry_codes.get(service, _NOTHING):
                return True
            if _documented_class(code, service) is not None or code.startswith(("AIS.", "AIP.")):
                return False
        return error.status in self.retry_statuses

    def delay(self, error: BaseException, attempt: int, rand: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = getattr(error, "retry_after", None)
        if (
            isinstance(retry_after, (int, float))
            and math.isfinite(retry_after)
            and 0.0 <= retry_after <= self.max_retry_after
        ):
            return float(retry_after)
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        ceiling = min(self.max_backoff, self.initial_backoff * 2.0**exponent)
        return float(ceiling * rand())


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that makes exactly one attempt."""


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date) into seconds from ``now``.

    None when there is none or it is nonsense: not a number nor a date, negative, not
    finite, or further away than a year. A date in the past means now (0.0).
    """
    if not value:
        return None
    text = value.strip()
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until(text, now)
        if seconds is None:
            return None
        seconds = max(seconds, 0.0)
    if not math.isfinite(seconds) or not 0.0 <= seconds <= _ABSURD_RETRY_AFTER:
        return None
    return abs(seconds)  # abs: "-0" is zero


def _seconds_until(text: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        # RFC 5322's "-0000" zone: the time is UTC, not local time.
        when = when.replace(tzinfo=timezone.utc)
    try:
        return when.timestamp() - now
    except (OverflowError, ValueError):
        return None


def full_jitter() -> float:
    """A uniform random factor in [0, 1) for full-jitter backoff."""
    return random.random()
