"""The transport seam: neutral request and response types and the protocol a transport meets.

Nothing here knows aiohttp. The client builds an :class:`HttpRequest`, a :class:`Transport`
sends it and hands back an :class:`HttpResponse`; the default transport is
:class:`aiocloudocr.AiohttpTransport`, and :class:`aiocloudocr.testing.MockTransport` answers
from a function for unit tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The largest answer body read (after decompression); a larger one is refused early."""


def _case_insensitive(
    headers: Mapping[str, str],
) -> CIMultiDictProxy[str] | CIMultiDict[str]:
    if isinstance(headers, (CIMultiDictProxy, CIMultiDict)):
        return headers
    return CIMultiDict(headers)


@attrs.frozen(kw_only=True)
class HttpRequest:
    """One HTTP attempt, fully built and signed: what a transport puts on the wire.

    ``url`` is absolute and already percent-encoded (query included). ``timeout`` bounds the
    whole attempt in seconds, ``connect_timeout`` the connection set-up, and a transport
    refuses an answer body larger than ``max_response_bytes`` (decompressed).
    """

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    body: bytes = attrs.field(default=b"", repr=False)
    timeout: float = 60.0
    connect_timeout: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


@attrs.frozen(kw_only=True)
class HttpResponse:
    """One HTTP answer: status, case-insensitive headers and the whole (decoded) body."""

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_case_insensitive, repr=False)
    body: bytes = attrs.field(default=b"", repr=False)
    reason: str = ""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@runtime_checkable
class Transport(Protocol):
    """Sends one :class:`HttpRequest` and returns its :class:`HttpResponse`.

    A transport raises :class:`aiocloudocr.ConnectError` or :class:`aiocloudocr.RequestTimeout`
    when no answer arrives; the client maps any other exception to
    :class:`aiocloudocr.TransportError`. It never retries: the client does.
    """

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send one attempt and read its whole answer."""
        ...

    async def aclose(self) -> None:
        """Release connections (a no-op for transports that hold none)."""
        ...
