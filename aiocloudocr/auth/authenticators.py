"""How each kind of credentials authenticates one HTTP attempt."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Protocol

import attrs

from aiocloudocr.auth import signer
from aiocloudocr.auth.credentials import AkSkCredentials, PasswordCredentials, TokenCredentials
from aiocloudocr.auth.token_cache import TokenCache

AUTH_TOKEN_HEADER = "X-Auth-Token"  # noqa: S105 (a header name)
SECURITY_TOKEN_HEADER = "X-Security-Token"  # noqa: S105 (a header name)


class Authenticator(Protocol):
    """Adds authentication to the headers of one attempt (called again on every retry)."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value sent so far, scrubbed from anything shown to users."""

    async def authenticate(
        self,
        *,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: MutableMapping[str, str],
        body: bytes,
    ) -> None:
        """Add the authentication headers to ``headers`` (which already hold Host)."""

    def rejected(self, headers: MutableMapping[str, str]) -> bool:
        """The service rejected these credentials; return whether fresh ones may succeed."""


def sdk_date(epoch: float) -> str:
    """Format epoch seconds as an ``X-Sdk-Date`` value."""
    return _sdk_date_of(int(epoch))


@functools.lru_cache(maxsize=4)
def _sdk_date_of(second: int) -> str:
    # A bulk run signs hundreds of requests within one second: formatted once per second.
    return time.strftime(signer.DATE_FORMAT, time.gmtime(second))


@attrs.define
class AkSkAuthenticator:
    """Signs every attempt with SDK-HMAC-SHA256 and a fresh X-Sdk-Date."""

    _credentials: AkSkCredentials = attrs.field(repr=False)
    _clock: Callable[[], float] = time.time

    @property
    def secrets(self) -> tuple[str, ...]:
        """The SK and security token."""
        return self._credentials.secrets

    async def authenticate(
        self,
        *,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: MutableMapping[str, str],
        body: bytes,
    ) -> None:
        """Add X-Sdk-Date, X-Security-Token and the signature headers."""
        headers[signer.DATE_HEADER] = sdk_date(self._clock())
        if self._credentials.security_token:
            headers[SECURITY_TOKEN_HEADER] = self._credentials.security_token
        headers.update(
            signer.sign_headers(
                method=method,
                path=path,
                query=query,
                headers=headers,
                body=body,
                access_key=self._credentials.access_key,
                secret_key=self._credentials.secret_key,
            )
        )

    def rejected(self, headers: MutableMapping[str, str]) -> bool:
        """A rejected signature does not get better by signing again."""
        return False


@attrs.define
class StaticTokenAuthenticator:
    """Sends a caller-supplied token as it is."""

    _credentials: TokenCredentials = attrs.field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The token."""
        return self._credentials.secrets

    async def authenticate(
        self,
        *,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: MutableMapping[str, str],
        body: bytes,
    ) -> None:
        """Add X-Auth-Token."""
        headers[AUTH_TOKEN_HEADER] = self._credentials.token

    def rejected(self, headers: MutableMapping[str, str]) -> bool:
        """A fixed token cannot be renewed here."""
        return False


@attrs.define
class PasswordAuthenticator:
    """Sends the cached IAM token; drops it when the service says it is invalid.

    Every token it has ever sent stays a secret: an answer to an old request may echo a
    token that has been rotated since.
    """

    _credentials: PasswordCredentials = attrs.field(repr=False)
    cache: TokenCache
    _sent: dict[str, None] = attrs.field(factory=dict, init=False, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The password and every token sent or cached."""
        current = self.cache.current
        held = (current.value,) if current is not None and current.value not in self._sent else ()
        return self._credentials.secrets + tuple(self._sent) + held

    async def authenticate(
        self,
        *,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: MutableMapping[str, str],
        body: bytes,
    ) -> None:
        """Add X-Auth-Token from the cache (fetching a token on first use or near expiry)."""
        token = (await self.cache.get()).value
        if token not in self._sent:
            if len(self._sent) >= 64:  # a client that lives for months: keep the newest
                del self._sent[next(iter(self._sent))]
            self._sent[token] = None
        headers[AUTH_TOKEN_HEADER] = token

    def rejected(self, headers: MutableMapping[str, str]) -> bool:
        """Forget the token that was refused so the next attempt fetches a new one."""
        sent = headers.get(AUTH_TOKEN_HEADER)
        if sent:
            self.cache.invalidate(sent)
        return True
