"""Retry policy as data, and the pure functions that apply it."""

from __future__ import annotations

import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import attrs

from aiocloudocr.errors import APIError, ConnectError, RequestTimeout

# Codes that mean "try again later": throttling and transient backend failures.
RETRYABLE_CODES = frozenset(
    {
        "APIG.0308",
        "ModelArts.4401",
        "ModelArts.4402",
        "ModelArts.4403",
        "ModelArts.4503",
        "ModelArts.4505",
        "APIG.0201",
    }
)
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Codes that say the token was refused: drop it and retry once with a fresh one.
TOKEN_REJECTED_CODES = frozenset(
    {
        "APIG.0301",
        "ModelArts.0203",
        "ModelArts.4101",
        "ModelArts.4102",
        "ModelArts.4103",
        "AIS.0002",
    }
)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """What is retried, how often, and how long to wait.

    A failure is retried when its code is in ``retry_codes``, or when it has no code of its
    own request-error families and its HTTP status is in ``retry_statuses``, or when it is
    one of ``retry_exceptions``. Waits are capped exponential backoff with full jitter;
    a ``Retry-After`` from the service is honoured up to ``max_retry_after``. ``deadline``
    bounds the whole call, waits included.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    deadline: float | None = 300.0
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    retry_codes: frozenset[str] = RETRYABLE_CODES
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES
    retry_exceptions: tuple[type[BaseException], ...] = (ConnectError, RequestTimeout)

    def is_retryable(self, error: BaseException) -> bool:
        """Whether ``error`` is worth another attempt."""
        if isinstance(error, APIError):
            if error.code in self.retry_codes:
                return True
            if error.code and error.code.startswith(("AIS.", "AIP.")):
                return False
            return error.status in self.retry_statuses
        return isinstance(error, self.retry_exceptions)

    def delay(self, error: BaseException, attempt: int, rand: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after: float | None = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(min(max(retry_after, 0.0), self.max_retry_after))
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
        return float(ceiling * rand())


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that makes exactly one attempt."""


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date) into seconds from ``now``."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - now, 0.0)


def full_jitter() -> float:
    """A uniform random factor in [0, 1) for full-jitter backoff."""
    return random.random()
