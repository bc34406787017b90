"""The public exception tree.

Every exception the library raises derives from :class:`CloudOcrError`. Errors answered by the
service are :class:`APIError` subclasses chosen from the error-code tables of the API reference
(OCR: AIS.01xx, ModelArts.*, APIG.*; Image: AIS.00xx/02xx/05xx, AIP.*), read for the service that
answered, since one code can mean different things to two services. Errors are picklable and
never hold a token, a secret key or a password: messages that come back from the wire are
scrubbed of the caller's secrets before an error is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    "RunAbortedError",
    "ServerError",
    "ThrottledError",
    "TransportError",
    "URLFetchError",
    "ValidationError",
    "error_class_for",
    "is_final",
    "is_systemic",
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
    from the ``X-Request-Id`` response header, the ``operation`` name, the ``service`` that
    answered (``"ocr"``, ``"image"``, ``"iam"``; it decides what a code means) and the number
    of ``attempts`` made.
    """

    # A class-level default, so that errors pickled before the field existed still load.
    service: str | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        operation: str | None = None,
        service: str | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.operation = operation
        self.service = service
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
    """The API or the service behind it does not exist at this path, method or region, or is
    not running (APIG.0101, AIP.0004, ModelArts.4503/4504/4506/4508)."""


# Bounded digit runs: a longer number is not a limit anyone states, and int() of thousands of
# digits raises. No sign is accepted, so a negative limit or time reads as no limit.
_RATE_LIMIT = re.compile(
    r"limit:\s*(\d{1,9})\s*,\s*time:\s*(\d{1,9}(?:\.\d{1,9})?)\s*"
    r"(millisecond|second|minute|hour|day)",
    re.I,
)
_UNIT_SECONDS = {
    "millisecond": 0.001, "second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0,
}  # fmt: skip
# The gateway's throttling windows run from a millisecond to a day; a window outside those is
# not one the limiter could pace by (and a zero one would divide by zero).
_MIN_WINDOW = 0.001
_MAX_WINDOW = 86400.0


class ThrottledError(APIError):
    """The service throttled the call: rate limit (APIG.0308, 429) or concurrency (4401)."""

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """The ``(requests, per_seconds)`` limit the service stated, when it stated a sane one.

        None when no limit is stated, or when the limit or the window is zero, negative or
        absurd (a window shorter than a millisecond or longer than a day).
        """
        match = _RATE_LIMIT.search(self.message)
        if match is None:
            return None
        limit = int(match.group(1))
        window = float(match.group(2)) * _UNIT_SECONDS[match.group(3).lower()]
        if limit < 1 or not _MIN_WINDOW <= window <= _MAX_WINDOW:
            return None
        return limit, window


class URLFetchError(BadRequestError):
    """The service could not fetch the image ``url`` (external URL or OBS)."""


class ServerError(APIError):
    """The service failed on its side (5xx, 408, backend timeout or unavailability)."""


class InvalidResponseError(APIError):
    """The service answered 2xx with a body that is not the documented result."""


# The error-code tables of the API reference, one entry per table line, in table order.
# Each comment gives the seed file and line, the meaning, and whether the default RetryPolicy
# retries the code (retry.py holds that decision as data). A code decides the class whatever
# HTTP status it comes with; the status decides only for codes the tables do not list.

# 002_15702c4e4f63f6c1.txt, section 4.2 (OCR).
_OCR_CODES: dict[str, type[APIError]] = {
    "AIS.0101": BadRequestError,  # 002 l.821 invalid input parameter: final
    "AIS.0102": ImageError,  # 002 l.824 image format not supported: final
    "AIS.0103": ImageError,  # 002 l.825 image size out of bounds: final
    "AIS.0104": ImageError,  # 002 l.826 image not supported or poor quality: final
    "AIS.0105": ImageError,  # 002 l.827 recognition (algorithm) failed on this image: final
    "ModelArts.0203": AuthenticationError,  # 002 l.828 invalid token: final (token refresh)
    "ModelArts.4101": AuthenticationError,  # 002 l.829 token header empty: final (refresh)
    "ModelArts.4102": AuthenticationError,  # 002 l.830 token parse error: final (refresh)
    "ModelArts.4103": AuthenticationError,  # 002 l.831 invalid token header: final (refresh)
    "ModelArts.4104": BadRequestError,  # 002 l.832 invalid request content length: final
    "ModelArts.4105": BadRequestError,  # 002 l.835 request body is not JSON: final
    "ModelArts.4106": PermissionDeniedError,  # 002 l.836 account restricted: final
    "ModelArts.4107": ServerError,  # 002 l.837 platform failed to get temp AK/SK: retried
    "ModelArts.4201": BadRequestError,  # 002 l.838 URL lacks the service id: final
    "ModelArts.4202": BadRequestError,  # 002 l.839 URL format invalid: final
    "ModelArts.4203": PermissionDeniedError,  # 002 l.840 access denied: final
    "ModelArts.4204": NotSubscribedError,  # 002 l.841 API not subscribed: final
    "ModelArts.4301": ServerError,  # 002 l.844 platform failed to get its admin token: retried
    "ModelArts.4302": ServerError,  # 002 l.845 gateway forwarding error: retried
    "ModelArts.4401": ThrottledError,  # 002 l.846 max concurrency: retried
    "ModelArts.4402": ServerError,  # 002 l.847 backend service timeout: retried
    "ModelArts.4403": ServerError,  # 002 l.848 backend unavailable / high failure rate: retried
    "ModelArts.4502": ServerError,  # 002 l.849 backend failed to respond: retried
    "ModelArts.4503": NotFoundError,  # 002 l.850 backend service does not exist: final
    "ModelArts.4504": NotFoundError,  # 002 l.851 backend API not found: final
    "ModelArts.4505": ServerError,  # 002 l.852 backend internal error: retried
    "ModelArts.4506": NotFoundError,  # 002 l.853 subservice does not exist: final
    "ModelArts.4508": NotFoundError,  # 002 l.854 service does not exist or is stopped: final
    "ModelArts.4601": URLFetchError,  # 002 l.857 external URL not allowed: final
    "ModelArts.4603": URLFetchError,  # 002 l.858 download from the URL failed: final
    "ModelArts.4702": URLFetchError,  # 002 l.859 OBS agency query failed: final
    "ModelArts.4703": URLFetchError,  # 002 l.860 OBS URL invalid: final
    "ModelArts.4704": URLFetchError,  # 002 l.861 OBS file could not be read: final
    "ModelArts.4705": URLFetchError,  # 002 l.862 OBS file oversized: final
    "ModelArts.4706": URLFetchError,  # 002 l.863 OBS file does not exist: final
    "APIG.0101": NotFoundError,  # 002 l.866 API does not exist / not published: final
    "APIG.0201": ServerError,  # 002 l.867 Backend timeout: retried (OCR only)
    "APIG.0301": AuthenticationError,  # 002 l.870 IAM authentication failed: final (refresh)
    "APIG.0308": ThrottledError,  # 002 l.874 throttling threshold reached: retried
}

# 003_82211af6dbe1416e.txt, section 6.2 (Image Recognition); the table's status in brackets.
_IMAGE_CODES: dict[str, type[APIError]] = {
    "AIS.0002": AuthenticationError,  # 003 l.1011 [400] token abnormal: final (refresh)
    "AIS.0003": ServerError,  # 003 l.1014 [400] internal service error: retried
    "AIS.0004": NotSubscribedError,  # 003 l.1015 [400] unauthorized = not subscribed: final
    "AIS.0007": NotSubscribedError,  # 003 l.1016 [400] service not enabled: final
    "AIS.0010": BadRequestError,  # 003 l.1017 [400] header missing: final
    "AIS.0011": BadRequestError,  # 003 l.1018 [400] parameter missing: final
    "AIS.0012": BadRequestError,  # 003 l.1019 [400] parameter not supported: final
    "AIS.0013": BadRequestError,  # 003 l.1020 [400] method not allowed: final
    "AIS.0014": BadRequestError,  # 003 l.1021 [400] JSON format incorrect: final
    "AIS.0015": ImageError,  # 003 l.1024 [400] Base64 decoding failed: final
    "AIS.0020": BadRequestError,  # 003 l.1025 [400] request body too large: final
    "AIS.0021": ImageError,  # 003 l.1026 [400] file type not supported: final
    "AIS.0022": URLFetchError,  # 003 l.1027 [400] URL invalid: final
    "AIS.0023": URLFetchError,  # 003 l.1028 [400] OBS file oversized: final
    "AIS.0024": URLFetchError,  # 003 l.1029 [400] OBS signature expired or refused: final
    "AIS.0025": URLFetchError,  # 003 l.1030 [400] OBS file empty: final
    "AIS.0026": AuthenticationError,  # 003 l.1031 [400] token is not project-scoped: final
    "AIS.0027": PermissionDeniedError,  # 003 l.1034 [400] account frozen: final
    "AIS.0028": PermissionDeniedError,  # 003 l.1035 [400] job owned by another user: final
    "AIS.0029": URLFetchError,  # 003 l.1036 [400] download from the Internet failed: final
    "AIS.0030": BadRequestError,  # 003 l.1037 [400] job not found or expired: final
    "AIS.0031": ThrottledError,  # 003 l.1038 [400] too many uncompleted jobs: final
    "AIS.0032": PermissionDeniedError,  # 003 l.1041 [400] free calls used up: final
    "AIS.0201": ImageError,  # 003 l.1042 [400] input image could not be obtained: final
    "AIS.0202": ImageError,  # 003 l.1043 [400] image format not supported: final
    "AIS.0203": BadRequestError,  # 003 l.1044 [400] input parameter invalid: final
    "AIS.0204": ImageError,  # 003 l.1045 [400] color depth not supported: final
    "AIS.0205": ImageError,  # 003 l.1046 [400] resolution too high: final
    "AIS.0206": ServerError,  # 003 l.1047 [400] algorithm failed ("check the config"): final
    "AIS.0501": BadRequestError,  # 003 l.1050 [400] input parameter invalid: final
    "AIS.0502": ImageError,  # 003 l.1051 [400] image format not supported: final
    "AIS.0503": ImageError,  # 003 l.1052 [400] image damaged: final
    "AIS.0504": ImageError,  # 003 l.1053 [400] image size out of bounds: final
    "AIS.0505": ServerError,  # 003 l.1054 [400] algorithm failed ("check the config"): final
    "AIS.0506": ServerError,  # 003 l.1055 [400] internal error: retried
    "APIG.0101": NotFoundError,  # 003 l.1058 [400] API does not exist / not published: final
    "APIG.0301": AuthenticationError,  # 003 l.1061 [400] IAM authentication failed: final
    "APIG.0201": BadRequestError,  # 003 l.1062 [400] request body oversized: final (Image only)
    "APIG.0308": ThrottledError,  # 003 l.1065 [400] sent too fast: retried
    "ModelArts.0203": AuthenticationError,  # 003 l.1066 [400] invalid token: final
    "ModelArts.4101": AuthenticationError,  # 003 l.1067 [400] token empty: final
    "ModelArts.4102": AuthenticationError,  # 003 l.1068 [400] token parse failed: final
    "ModelArts.4103": AuthenticationError,  # 003 l.1069 [400] token invalid: final
    "ModelArts.4104": BadRequestError,  # 003 l.1070 [400] body length invalid: final
    "ModelArts.4105": BadRequestError,  # 003 l.1071 [400] body JSON incorrect: final
    "ModelArts.4106": PermissionDeniedError,  # 003 l.1072 [400] account restricted: final
    "ModelArts.4107": ServerError,  # 003 l.1075 [400] temp AK/SK exception: retried
    "ModelArts.4201": BadRequestError,  # 003 l.1076 [400] URL lacks the service id: final
    "ModelArts.4202": BadRequestError,  # 003 l.1077 [400] URL format invalid: final
    "ModelArts.4203": PermissionDeniedError,  # 003 l.1078 [400] no access permission: final
    "ModelArts.4204": NotSubscribedError,  # 003 l.1079 [400] API not subscribed: final
    "ModelArts.4601": URLFetchError,  # 003 l.1080 [400] external URL invalid: final
    "ModelArts.4603": URLFetchError,  # 003 l.1081 [400] download from the URL failed: final
    "ModelArts.4702": URLFetchError,  # 003 l.1084 [400] OBS agency query failed: final
    "ModelArts.4703": URLFetchError,  # 003 l.1085 [400] OBS URL invalid: final
    "ModelArts.4704": URLFetchError,  # 003 l.1086 [400] OBS file could not be read: final
    "ModelArts.4705": URLFetchError,  # 003 l.1087 [400] OBS file oversized: final
    "ModelArts.4706": URLFetchError,  # 003 l.1088 [400] OBS file does not exist: final
    "AIP.0001": AuthenticationError,  # 003 l.1089 [403] token abnormal: final (refresh)
    "AIP.0500": ServerError,  # 003 l.1090 [500] internal service error: retried
    "AIP.0003": AuthenticationError,  # 003 l.1091 [401] unauthorized (project id): final
    "AIP.0004": NotFoundError,  # 003 l.1092 [400] service does not exist: final
    "AIP.0005": BadRequestError,  # 003 l.1093 [400] header missing: final
    "AIP.0006": BadRequestError,  # 003 l.1096 [400] parameter missing: final
    "AIP.0007": BadRequestError,  # 003 l.1097 [400] parameter incorrect: final
    "AIP.0008": NotFoundError,  # 003 l.1098 [405] method not allowed (as status 405): final
    "AIP.0009": BadRequestError,  # 003 l.1099 [400] JSON format incorrect: final
    "AIP.0010": BadRequestError,  # 003 l.1100 [400] parameter out of range: final
    "AIP.0011": BadRequestError,  # 003 l.1101 [400] service already subscribed: final
    "AIP.0012": BadRequestError,  # 003 l.1102 [400] input parameter incorrect: final
    "AIP.0013": BadRequestError,  # 003 l.1103 [400] subscription parameter wrong: final
    "AIP.0014": BadRequestError,  # 003 l.1104 [400] data already exists: final
    "AIP.0015": NotSubscribedError,  # 003 l.1107 [400] service not subscribed: final
    "AIP.0016": BadRequestError,  # 003 l.1108 [400] request parameter wrong: final
    "AIP.0017": BadRequestError,  # 003 l.1109 [400] task id does not exist: final
    "AIP.0018": URLFetchError,  # 003 l.1110 [400] agency (OBS access) unavailable: final
    "AIP.0019": BadRequestError,  # 003 l.1111 [400] multi-input not supported: final
}

# The tables by service. IAM documents no error codes of its own: its answers are decided by
# their HTTP status.
_SERVICE_CODES: dict[str, dict[str, type[APIError]]] = {
    "ocr": _OCR_CODES,
    "image": _IMAGE_CODES,
    "iam": {},
}


def _unambiguous(tables: Iterable[dict[str, type[APIError]]]) -> dict[str, type[APIError]]:
    """The codes that mean the same in every table listing them (APIG.0201 does not)."""
    merged: dict[str, type[APIError]] = {}
    conflicting: set[str] = set()
    for table in tables:
        for code, cls in table.items():
            if merged.setdefault(code, cls) is not cls:
                conflicting.add(code)
    return {code: cls for code, cls in merged.items() if code not in conflicting}


# For an answer whose service is not known, and for codes of another service's table.
_ANY_SERVICE_CODES = _unambiguous(_SERVICE_CODES.values())

# Statuses of the reference's status-code tables (002 l.739-795, 003 l.917-981) that name a
# class of their own; other 4xx are BadRequestError and other 5xx ServerError.
_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: NotFoundError,
    408: ServerError,  # 002 l.774, 003 l.958: server timed out waiting; may repeat unchanged
    413: BadRequestError,
    429: ThrottledError,
}


def _documented_class(code: str, service: str | None) -> type[APIError] | None:
    """The class the tables give ``code`` for ``service``; None when no table decides it."""
    table = _SERVICE_CODES.get(service) if service is not None else None
    if table is not None and code in table:
        return table[code]
    return _ANY_SERVICE_CODES.get(code)


def error_class_for(status: int, code: str | None, service: str | None = None) -> type[APIError]:
    """Return the exception class for an error answer: by its code, else by its status.

    A code means what the ``service``'s table says (APIG.0201 is a backend timeout for OCR but
    an oversized body for Image); a code listed with one meaning in any table means that for
    every service; with no service, a code whose meaning differs between tables is decided by
    the status.
    """
    if code is not None:
        documented = _documented_class(code, service)
        if documented is not None:
            return documented
        if code.startswith("APIG.03"):
            return AuthenticationError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else BadRequestError


class RunAbortedError(CloudOcrError):
    """A bulk run stopped early: an error that no other input can avoid (``cause``).

    Raised by ``client.map`` once the requests already in flight have finished (their
    outcomes were yielded and checkpointed); no further request was sent. ``message`` says
    what to fix; ``done`` counts the outcomes yielded before the stop.
    """

    def __init__(self, message: str, *, cause: BaseException, done: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.done = done

    def __str__(self) -> str:
        return self.message


def is_systemic(error: BaseException) -> bool:
    """Whether ``error`` is no input's fault and would fail every other input too.

    Credentials refused, permission denied, the API not subscribed or not found (wrong
    region, project or endpoint), and configuration errors. Throttling, service failures and
    transport errors are transient; image and field errors belong to one input.
    """
    return isinstance(
        error, (AuthenticationError, PermissionDeniedError, NotFoundError, ConfigurationError)
    )


def is_final(error: BaseException) -> bool:
    """Whether an input that failed with ``error`` would fail the same way if sent again.

    True for the input's own faults (a bad image or field, caught before sending or answered
    by the service, and URLs the service could not fetch); False for systemic errors and for
    transient ones that outlasted the retries, which a resumed run tries again.
    """
    if is_systemic(error):
        return False
    return isinstance(error, (ValidationError, BadRequestError))
