"""The default transport, and the only module that talks aiohttp.

aiohttp's exceptions become ours here and nowhere else. Bodies are read in chunks and
decompressed here (not by aiohttp) so that an answer larger than the cap, compressed or not,
is refused after reading at most about the cap, never inflated whole into memory.
"""

from __future__ import annotations

import asyncio
import functools
import urllib.request
import zlib
from typing import Any

import aiohttp
import attrs
from yarl import URL

from aiocloudocr._http import HttpRequest, HttpResponse
from aiocloudocr.errors import (
    ConfigurationError,
    ConnectError,
    InvalidResponseError,
    RequestTimeout,
    TransportError,
)

_CHUNK = 64 * 1024
# What we can decode ourselves; aiohttp would otherwise advertise br/zstd when installed.
_ACCEPT_ENCODING = "gzip, deflate"


def _decoder(encoding: str) -> Any:
    """A zlib decompressor for a Content-Encoding, or None for an identity body."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    return False


def _env_proxy(url: URL) -> str | None:
    """The proxy HTTP(S)_PROXY names for ``url``, unless NO_PROXY exempts its host."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(url.scheme)
    # proxy_bypass_environment is CPython's NO_PROXY matcher (the one requests and aiohttp
    # use); typeshed does not list it.
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not proxy or bypass(url.host or "", proxies):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


@functools.lru_cache(maxsize=256)
def _url(text: str) -> URL:
    return URL(text, encoded=True)


@attrs.define
class AiohttpTransport:
    """Sends requests over one long-lived ``aiohttp.ClientSession``.

    The session is created lazily inside the running loop with a connection pool of
    ``connection_limit``, unless one is passed in (then its owner closes it). With
    ``trust_env`` (the default) proxies come from ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``
    (read once per host; proxy credentials go in the proxy URL); ``proxy`` names one
    explicitly (``http://user:password@host:port``).
    """

    _connection_limit: int = attrs.field(default=100, alias="connection_limit")
    _user_agent: str = attrs.field(default="aiocloudocr", alias="user_agent")
    _session: aiohttp.ClientSession | None = attrs.field(default=None, alias="session")
    # trust_env: HTTP(S)_PROXY and NO_PROXY from the environment, as curl and requests
    # read them; proxy: one explicit proxy URL for every request.
    _trust_env: bool = attrs.field(default=True, alias="trust_env")
    _proxy: str | None = attrs.field(default=None, alias="proxy", repr=False)
    _env_proxies: dict[tuple[str, str, int | None], str | None] = attrs.field(
        factory=dict, init=False, repr=False
    )
    _owns_session: bool = attrs.field(default=True, init=False)
    _timeouts: dict[tuple[float, float], aiohttp.ClientTimeout] = attrs.field(
        factory=dict, init=False, repr=False
    )
    closed: bool = attrs.field(default=False, init=False)

    def __attrs_post_init__(self) -> None:
        self._owns_session = self._session is None

    @property
    def owns_session(self) -> bool:
        """Whether closing the transport closes the session."""
        return self._owns_session

    @property
    def session_closed(self) -> bool:
        """Whether there is no open session behind this transport."""
        return self._session is None or self._session.closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ConfigurationError("the client is closed; create a new one")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._connection_limit, limit_per_host=0, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self._user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
                raise_for_status=False,
                auto_decompress=False,
                # The environment's proxies are resolved here, once per host (_proxy_for):
                # aiohttp's own trust_env reads the environment and ~/.netrc in a thread for
                # every request, and would add ~/.netrc credentials to signed requests.
                trust_env=False,
            )
        return self._session

    def _timeout(self, total: float, connect: float) -> aiohttp.ClientTimeout:
        # One object per distinct value: a bulk run uses one or two, not one per request.
        key = (total, connect)
        timeout = self._timeouts.get(key)
        if timeout is None:
            if len(self._timeouts) > 64:
                self._timeouts.clear()
            timeout = aiohttp.ClientTimeout(total=total, sock_connect=min(connect, total))
            self._timeouts[key] = timeout
        return timeout

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send one request and read its whole answer; map transport failures to ours."""
        session = self._get_session()
        url = _url(request.url)
        try:
            async with session.request(
                request.method,
                url,
                headers=request.headers,
                data=request.body or None,
                timeout=self._timeout(request.timeout, request.connect_timeout),
                allow_redirects=False,
                auto_decompress=False,
                proxy=self._proxy_for(url),
            ) as response:
                body = await _read_capped(response, request.max_response_bytes)
                return HttpResponse(
                    status=response.status,
                    reason=response.reason or "",
                    headers=response.headers,
                    body=body,
                )
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestTimeout(
                f"no response from {url.host} within {request.timeout:g}s"
            ) from None
        except aiohttp.InvalidURL as exc:
            raise ConfigurationError(f"invalid endpoint URL {exc.url!s}") from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise ConnectError(
                f"connection to {url.host}:{url.port} failed: {type(exc).__name__}: {exc}"
            ) from exc
        except aiohttp.ClientError as exc:
            raise TransportError(
                f"HTTP failure talking to {url.host}: {type(exc).__name__}: {exc}"
            ) from exc

    def _proxy_for(self, url: URL) -> str | None:
        if self._proxy is not None or not self._trust_env:
            return self._proxy
        key = (url.scheme, url.host or "", url.port)
        if key not in self._env_proxies:
            if len(self._env_proxies) > 256:
                self._env_proxies.clear()
            self._env_proxies[key] = _env_proxy(url)
        return self._env_proxies[key]

    async def aclose(self) -> None:
        """Close the session if this transport created it."""
        self.closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    close = aclose


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    def too_large(detail: str) -> InvalidResponseError:
        return InvalidResponseError(
            f"the answer body is larger than the {cap:,}-byte cap ({detail}); raise "
            "max_response_bytes if such answers are expected",
            status=response.status,
            request_id=response.headers.get("X-Request-Id"),
        )

    declared = response.content_length
    encoding = response.headers.get("Content-Encoding")
    decoder = None if encoding is None else _decoder(encoding)
    if decoder is None and declared is not None:
        if declared > cap:
            raise too_large(f"Content-Length {declared:,}")
        # The usual answer: plain, of a stated length within the cap. aiohttp's parser stops
        # at Content-Length, so reading it whole cannot pass the cap.
        return await response.read()
    if decoder is False:
        raise InvalidResponseError(
            "the answer uses a Content-Encoding the client did not ask for: "
            f"{response.headers.get('Content-Encoding')!r}",
            status=response.status,
        )
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.content.iter_chunked(_CHUNK):
            if decoder is not None:
                # max_length bounds what one compressed chunk may inflate to.
                data = decoder.decompress(chunk, cap - size + 1)
                if decoder.unconsumed_tail:
                    raise too_large("after decompression")
            else:
                data = chunk
            size += len(data)
            if size > cap:
                raise too_large("after decompression" if decoder is not None else "streamed")
            parts.append(data)
        if decoder is not None:
            tail = decoder.flush()
            size += len(tail)
            if size > cap:
                raise too_large("after decompression")
            parts.append(tail)
    except zlib.error as exc:
        raise InvalidResponseError(
            f"the compressed answer is corrupt: {exc}", status=response.status
        ) from None
    return parts[0] if len(parts) == 1 else b"".join(parts)
