"""A single-flight cache for one IAM token, refreshed ahead of its expiry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import attrs

from aiocloudocr.auth.iam import IssuedToken
from aiocloudocr.errors import CloudOcrError

logger = logging.getLogger("aiocloudocr")


@attrs.define
class TokenCache:
    """Holds one token; concurrent callers share one fetch; an old token bridges a failed refresh.

    ``refresh_ahead`` is how long before expiry a new token is fetched (at most half the
    token's lifetime). ``clock`` returns epoch seconds and is injectable for tests.
    """

    _fetch: Callable[[], Awaitable[IssuedToken]]
    _clock: Callable[[], float]
    _refresh_ahead: float = 600.0
    _token: IssuedToken | None = attrs.field(default=None, init=False)
    _inflight: asyncio.Future[IssuedToken] | None = attrs.field(default=None, init=False)
    fetches: int = attrs.field(default=0, init=False)

    def __repr__(self) -> str:
        state = "empty" if self._token is None else f"expires_at={self._token.expires_at:.0f}"
        return f"<TokenCache {state} fetches={self.fetches}>"

    @property
    def current(self) -> IssuedToken | None:
        """The cached token, if any (it may be near expiry)."""
        return self._token

    def _fresh(self, token: IssuedToken, now: float) -> bool:
        ahead = min(self._refresh_ahead, token.lifetime / 2)
        return now < token.expires_at - ahead

    async def get(self) -> IssuedToken:
        """Return a valid token, fetching one (once, for all waiting callers) when needed."""
        token = self._token
        if token is not None and self._fresh(token, self._clock()):
            return token
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._refresh())
            self._inflight.add_done_callback(_consume_exception)
        try:
            return await asyncio.shield(self._inflight)
        except CloudOcrError:
            if token is not None and self._clock() < token.expires_at:
                logger.warning("IAM token refresh failed; using the cached token until it expires")
                return token
            raise

    async def _refresh(self) -> IssuedToken:
        try:
            self.fetches += 1
            token = await self._fetch()
            self._token = token
            return token
        finally:
            self._inflight = None

    def invalidate(self, value: str) -> None:
        """Drop the cached token if it is still ``value`` (a newer one is kept)."""
        if self._token is not None and self._token.value == value:
            self._token = None


def _consume_exception(future: asyncio.Future[IssuedToken]) -> None:
    # Waiters may all have been cancelled; don't let asyncio report the exception as lost.
    if not future.cancelled():
        future.exception()
