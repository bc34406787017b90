"""The only module that talks to aiohttp; its exceptions become ours here and nowhere else."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
import attrs
from multidict import CIMultiDictProxy
from yarl import URL

from aiocloudocr.errors import ConfigurationError, ConnectError, RequestTimeout, TransportError


@attrs.frozen(kw_only=True)
class RawResponse:
    """Status, headers and the whole body of one HTTP answer."""

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    body: bytes = attrs.field(repr=False)


@attrs.define
class Transport:
    """Sends one request over a long-lived ``aiohttp.ClientSession``.

    The session is created lazily inside the running loop, unless the caller injected one
    (then the caller owns it and closes it).
    """

    _connection_limit: int
    _user_agent: str
    _session: aiohttp.ClientSession | None = attrs.field(default=None, alias="session")
    _owns_session: bool = attrs.field(default=True, init=False)
    closed: bool = attrs.field(default=False, init=False)

    def __attrs_post_init__(self) -> None:
        self._owns_session = self._session is None

    @property
    def owns_session(self) -> bool:
        """Whether closing the transport closes the session."""
        return self._owns_session

    def _get_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ConfigurationError("the client is closed; create a new one")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._connection_limit, limit_per_host=0, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self._user_agent},
                raise_for_status=False,
            )
        return self._session

    async def send(
        self,
        method: str,
        url: URL,
        *,
        headers: Mapping[str, str],
        body: bytes,
        timeout: aiohttp.ClientTimeout,
        operation: str,
    ) -> RawResponse:
        """Send one request and read the whole answer; map transport failures to ours."""
        session = self._get_session()
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=body or None,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                data = await response.read()
                return RawResponse(
                    status=response.status,
                    reason=response.reason or "",
                    headers=response.headers,
                    body=data,
                )
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestTimeout(
                f"no response from {url.host} within {timeout.total:g}s", operation=operation
            ) from None
        except aiohttp.InvalidURL as exc:
            raise ConfigurationError(f"invalid endpoint URL {exc.url!s}") from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise ConnectError(
                f"connection to {url.host}:{url.port} failed: {type(exc).__name__}: {exc}",
                operation=operation,
            ) from exc
        except aiohttp.ClientError as exc:
            raise TransportError(
                f"HTTP failure talking to {url.host}: {type(exc).__name__}: {exc}",
                operation=operation,
            ) from exc

    async def close(self) -> None:
        """Close the session if this transport created it."""
        self.closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    @property
    def session_closed(self) -> bool:
        """Whether there is no open session behind this transport."""
        return self._session is None or self._session.closed
