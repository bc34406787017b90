"""The public exception tree.

Every exception the library raises derives from :class:`CloudOcrError`. Errors answered by the
service are :class:`APIError` subclasses chosen from the error-code tables of the API reference
(OCR: AIS.01xx, ModelArts.*, APIG.*; Image: AIS.00xx/02xx/05xx, AIP.*). Errors are picklable and
never hold a token, a secret key or a password: messages that come back from the wire are
scrubbed of the caller's secrets before an error is built.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CloudOcrError",
    "ConfigurationError",
    "ConnectError",
    "ImageError",
    "InvalidResponseError",
    "NotFoundError",
    "NotSubscribedError",
    "PermissionDeniedError",
    "RequestTimeout",
    "ServerError",
    "ThrottledError",
    "TransportError",
    "URLFetchError",
    "ValidationError",
    "error_class_for",
]


def _rebuild(cls: type[CloudOcrError], state: dict[str, Any]) -> CloudOcrError:
    error = cls.__new__(cls)
    state = dict(state)
    args = state.pop("_args", ())
    error.__dict__.update(state)
    Exception.__init__(error, *args)
    return error


class CloudOcrError(Exception):
    """Root of every exception raised by aiocloudocr."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors break Exception's default pickling; rebuild from state.
        return (_rebuild, (type(self), {**self.__dict__, "_args": self.args}))


class ConfigurationError(CloudOcrError, ValueError):
    """The client is configured incompletely or inconsistently (nothing was sent)."""


class ValidationError(CloudOcrError, ValueError):
    """A request the service would reject, caught before sending it (nothing was sent).

    ``code`` is the error code the service would have answered with (e.g. ``AIS.0101``),
    ``field`` the request field at fault when there is one.
    """

    def __init__(self, message: str, *, code: str = "AIS.0101", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        where = f" (field {self.field!r})" if self.field else ""
        return f"[{self.code}] {self.message}{where}"


class TransportError(CloudOcrError):
    """The request did not get an HTTP answer: connection failure or timeout."""

    def __init__(self, message: str, *, operation: str | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.attempts = attempts

    def __str__(self) -> str:
        op = f"{self.operation}: " if self.operation else ""
        return f"{op}{self.message} (attempts {self.attempts})"


class ConnectError(TransportError, ConnectionError):
    """The connection could not be made, or was dropped before a response arrived."""


class RequestTimeout(TransportError, TimeoutError):
    """No response arrived within the attempt timeout or the call's deadline."""


class APIError(CloudOcrError):
    """The service answered with an error.

    Carries the HTTP ``status``, the service's ``code`` and ``message``, the ``request_id``
    from the ``X-Request-Id`` response header, the ``operation`` name and the number of
    ``attempts`` made.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        operation: str | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.operation = operation
        self.attempts = attempts
        self.retry_after = retry_after

    def __str__(self) -> str:
        details = [f"status {self.status}"]
        if self.operation:
            details.append(f"operation {self.operation}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        details.append(f"attempts {self.attempts}")
        code = f"[{self.code}] " if self.code else ""
        return f"{code}{self.message} ({', '.join(details)})"


class BadRequestError(APIError):
    """The service rejected the request as malformed or invalid."""


class ImageError(BadRequestError):
    """The service rejected the image: format, size, dimensions, encoding or quality."""


class AuthenticationError(APIError):
    """The credentials were rejected: bad or expired token, failed signature, wrong password."""


class PermissionDeniedError(APIError):
    """The credentials are valid but may not call this API (restricted or frozen account)."""


class NotSubscribedError(PermissionDeniedError):
    """The API is not subscribed for this project and region (ModelArts.4204)."""


class NotFoundError(APIError):
    """The API does not exist at this path, method or region (APIG.0101)."""


_RATE_LIMIT = re.compile(
    r"limit:\s*(\d+)\s*,\s*time:\s*(\d+(?:\.\d+)?)\s*(millisecond|second|minute|hour|day)", re.I
)
_UNIT_SECONDS = {
    "millisecond": 0.001, "second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0,
}  # fmt: skip


class ThrottledError(APIError):
    """The service throttled the call: rate limit (APIG.0308, 429) or concurrency (4401)."""

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """The ``(requests, per_seconds)`` limit the service stated, when it stated one."""
        match = _RATE_LIMIT.search(self.message)
        if match is None:
            return None
        return int(match.group(1)), float(match.group(2)) * _UNIT_SECONDS[match.group(3).lower()]


class URLFetchError(BadRequestError):
    """The service could not fetch the image ``url`` (external URL or OBS)."""


class ServerError(APIError):
    """The service failed on its side (5xx, backend timeout or unavailability)."""


class InvalidResponseError(APIError):
    """The service answered 2xx with a body that is not the documented result."""


_BY_CODE: dict[str, type[APIError]] = {
    # Request errors (OCR and Image tables).
    **dict.fromkeys(
        [
            "AIS.0101", "AIS.0010", "AIS.0011", "AIS.0012", "AIS.0013", "AIS.0014",
            "AIS.0020", "AIS.0021", "AIS.0203", "AIS.0501", "ModelArts.4104",
            "ModelArts.4105", "ModelArts.4201", "ModelArts.4202", "AIP.0005", "AIP.0006",
            "AIP.0007", "AIP.0009", "AIP.0010", "AIP.0012", "AIP.0016",
        ],
        BadRequestError,
    ),
    **dict.fromkeys(
        [
            "AIS.0102", "AIS.0103", "AIS.0104", "AIS.0105", "AIS.0015", "AIS.0201",
            "AIS.0202", "AIS.0204", "AIS.0205", "AIS.0502", "AIS.0503", "AIS.0504",
        ],
        ImageError,
    ),
    **dict.fromkeys(
        [
            "APIG.0301", "ModelArts.0203", "ModelArts.4101", "ModelArts.4102",
            "ModelArts.4103", "AIS.0002", "AIS.0026", "AIP.0001", "AIP.0003",
        ],
        AuthenticationError,
    ),
    **dict.fromkeys(
        ["ModelArts.4106", "ModelArts.4203", "AIS.0004", "AIS.0027", "AIS.0032"],
        PermissionDeniedError,
    ),
    **dict.fromkeys(["ModelArts.4204", "AIS.0007", "AIP.0015"], NotSubscribedError),
    **dict.fromkeys(["APIG.0101", "ModelArts.4504", "AIP.0004"], NotFoundError),
    **dict.fromkeys(["APIG.0308", "ModelArts.4401"], ThrottledError),
    **dict.fromkeys(
        [
            "ModelArts.4601", "ModelArts.4603", "ModelArts.4702", "ModelArts.4703",
            "ModelArts.4704", "ModelArts.4705", "ModelArts.4706", "AIS.0022", "AIS.0023",
            "AIS.0024", "AIS.0025", "AIS.0029",
        ],
        URLFetchError,
    ),
    **dict.fromkeys(
        [
            "APIG.0201", "ModelArts.4107", "ModelArts.4301", "ModelArts.4302",
            "ModelArts.4402", "ModelArts.4403", "ModelArts.4502", "ModelArts.4503",
            "ModelArts.4505", "ModelArts.4506", "ModelArts.4508", "AIS.0003", "AIS.0206",
            "AIS.0505", "AIS.0506", "AIP.0500",
        ],
        ServerError,
    ),
}  # fmt: skip

_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: NotFoundError,
    413: BadRequestError,
    429: ThrottledError,
}


def error_class_for(status: int, code: str | None) -> type[APIError]:
    """Return the exception class for an error answer: by its code, else by its status."""
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code]
    if code is not None and code.startswith("APIG.03"):
        return AuthenticationError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else BadRequestError
