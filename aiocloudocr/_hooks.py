"""Users' request and response hooks: ``Client(on_request=..., on_response=...)``.

Each hook is called for every attempt (retries, token refreshes and IAM logins included) with
a read-only view that never holds a secret: no body, credential headers masked or dropped,
and any header value holding a secret of the client's masked.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from aiocloudocr._answers import VisibleHeaders

if TYPE_CHECKING:
    from aiocloudocr._http import HttpRequest, HttpResponse
    from aiocloudocr._observe import WaitKind
    from aiocloudocr._pipeline import Call, Delivery

MASK = "***"
# Request headers that carry credentials: shown masked.
_MASKED = frozenset({"authorization", "x-auth-token", "x-security-token"})
_REQUEST_ID = "X-Request-Id"


def _read_only(headers: CIMultiDict[str]) -> Mapping[str, str]:
    return CIMultiDictProxy(headers)


@attrs.frozen(kw_only=True)
class RequestInfo:
    """One attempt as it goes on the wire, for ``on_request`` hooks (never a secret).

    ``headers`` are case-insensitive and read-only, with ``Authorization``, ``X-Auth-Token``,
    ``X-Security-Token`` and any value holding a secret of the client's shown as ``***``;
    the body is never shown, only its length (an IAM login's body holds the password).
    """

    operation: str
    service: str
    attempt: int
    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(repr=False)
    body_length: int


@attrs.frozen(kw_only=True)
class ResponseInfo:
    """One attempt's answer, for ``on_response`` hooks (never a secret).

    ``headers`` are case-insensitive and read-only, without ``X-Subject-Token`` and
    ``Set-Cookie``, with any value holding a secret of the client's shown as ``***``;
    ``error_code`` is the service's code for an error answer; ``elapsed`` is the attempt's
    seconds on the wire; ``request`` is the attempt it answers.
    """

    operation: str
    service: str
    attempt: int
    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    request_id: str | None
    error_code: str | None
    elapsed: float
    request: RequestInfo = attrs.field(repr=False)


RequestHook = Callable[[RequestInfo], "Awaitable[None] | None"]
"""``on_request``: a function or a coroutine function of a :class:`RequestInfo`."""
ResponseHook = Callable[[ResponseInfo], "Awaitable[None] | None"]
"""``on_response``: a function or a coroutine function of a :class:`ResponseInfo`."""


def _holds_secret(value: str, secrets: tuple[str, ...]) -> bool:
    return any(secret in value for secret in secrets)


def request_headers(headers: Mapping[str, str], secrets: tuple[str, ...]) -> Mapping[str, str]:
    """``headers`` of a request as hooks see them."""
    shown: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        masked = name.lower() in _MASKED or _holds_secret(value, secrets)
        shown.add(name, MASK if masked else value)
    return _read_only(shown)


def response_headers(headers: Mapping[str, str], secrets: tuple[str, ...]) -> Mapping[str, str]:
    """``headers`` of a response as hooks see them: as ``result.meta.headers`` shows them."""
    return _read_only(VisibleHeaders(headers, secrets).materialize())


def _awaitable(result: object) -> Awaitable[None] | None:
    # A sync hook's return value is ignored, whatever it is; an async hook's is awaited.
    return result if inspect.isawaitable(result) else None


@attrs.define
class HookObserver:
    """Calls the hooks for every attempt; ``secrets`` returns what the client holds now."""

    on_request: RequestHook | None
    on_response: ResponseHook | None
    secrets: Callable[[], Iterable[str]] = attrs.field(repr=False)

    def current_secrets(self) -> tuple[str, ...]:
        """The non-empty secrets to mask."""
        return tuple(secret for secret in self.secrets() if secret)

    def call_started(self, call: Call) -> CallHooks:
        """Follow one call."""
        return CallHooks(self, call)


class CallHooks:
    """The hooks' view of one call."""

    __slots__ = ("_call", "_owner", "_request")

    def __init__(self, owner: HookObserver, call: Call) -> None:
        self._owner = owner
        self._call = call
        self._request: RequestInfo | None = None

    def attempt_started(self, attempt: int, request: HttpRequest) -> Awaitable[None] | None:
        """Call ``on_request``."""
        call = self._call
        self._request = info = RequestInfo(
            operation=call.operation,
            service=call.service,
            attempt=attempt,
            method=request.method,
            url=request.url,
            headers=request_headers(request.headers, self._owner.current_secrets()),
            body_length=len(request.body),
        )
        hook = self._owner.on_request
        return None if hook is None else _awaitable(hook(info))

    def attempt_ended(
        self,
        attempt: int,
        response: HttpResponse | None,
        error: BaseException | None,
        duration: float,
    ) -> Awaitable[None] | None:
        """Call ``on_response`` when an answer arrived."""
        hook, request = self._owner.on_response, self._request
        if hook is None or response is None or request is None:
            return None
        secrets = self._owner.current_secrets()
        headers = response_headers(response.headers, secrets)
        request_id = headers.get(_REQUEST_ID)
        info = ResponseInfo(
            operation=request.operation,
            service=request.service,
            attempt=attempt,
            status=response.status,
            headers=headers,
            request_id=None if request_id == MASK else request_id,
            error_code=getattr(error, "code", None),
            elapsed=duration,
            request=request,
        )
        return _awaitable(hook(info))

    def waited(self, kind: WaitKind, seconds: float) -> None:
        """Not a hook's business."""

    def retrying(self, delay: float, error: BaseException | None, attempt: int) -> None:
        """Not a hook's business."""

    def call_ended(self, delivery: Delivery | None, error: BaseException | None) -> None:
        """Not a hook's business."""
