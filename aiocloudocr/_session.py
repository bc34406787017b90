"""The session state clients made by ``with_options`` share: the transport, the IAM client
and its token cache, the project id, and the wire and preparation slots."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import attrs

from aiocloudocr._config import ClientConfig
from aiocloudocr._gate import Gate
from aiocloudocr._hooks import HookObserver
from aiocloudocr._http import Transport
from aiocloudocr._iam import IamClient
from aiocloudocr._observe import Observer
from aiocloudocr._otel import observer as otel_observer
from aiocloudocr._pipeline import Pipeline, log_from_env
from aiocloudocr.auth.authenticators import (
    AkSkAuthenticator,
    Authenticator,
    PasswordAuthenticator,
    StaticTokenAuthenticator,
)
from aiocloudocr.auth.credentials import AkSkCredentials, PasswordCredentials
from aiocloudocr.auth.token_cache import TokenCache
from aiocloudocr.errors import ConfigurationError


@attrs.define
class Session:
    """Connections, tokens and the project id, shared by a client and its ``with_options``."""

    transport: Transport
    owns_transport: bool
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    iam: IamClient = attrs.field(init=False)
    token_cache: TokenCache | None = attrs.field(default=None, init=False)
    project_id: str | None = None
    closed: bool = False
    gate: Gate = attrs.field(factory=Gate)
    _project_lookup: asyncio.Lock = attrs.field(factory=asyncio.Lock, init=False)
    # Per concurrency bound: a with_options() client with the same bound shares them, so
    # cloning never doubles what goes on the wire.
    _slots: dict[int, tuple[asyncio.Semaphore, asyncio.Semaphore]] = attrs.field(
        factory=dict, init=False
    )

    @classmethod
    def open(
        cls,
        config: ClientConfig,
        transport: Transport,
        *,
        owns_transport: bool,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> Session:
        """The session for ``config``: an IAM client on the same transport, a token cache."""
        log_from_env()
        session = cls(transport, owns_transport, clock, sleep, project_id=config.project_id)
        credentials = config.credentials
        iam_auth = None
        if isinstance(credentials, AkSkCredentials):
            iam_auth = AkSkAuthenticator(credentials, clock)
        iam = IamClient(session.pipeline(config, iam_auth, None), config.endpoints.get("iam"))
        session.iam = iam
        if isinstance(credentials, PasswordCredentials):
            session.token_cache = TokenCache(
                lambda: iam.issue_token(credentials, now=clock()), clock
            )
        return session

    def slots_for(self, concurrency: int) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        """The (wire, preparation) semaphores for a concurrency bound."""
        pair = self._slots.get(concurrency)
        if pair is None:
            pair = self._slots[concurrency] = (
                asyncio.Semaphore(concurrency),
                asyncio.Semaphore(2 * concurrency),
            )
        return pair

    def authenticator(self, config: ClientConfig) -> Authenticator:
        """How requests of ``config`` authenticate."""
        credentials = config.credentials
        if isinstance(credentials, AkSkCredentials):
            return AkSkAuthenticator(credentials, self.clock)
        if isinstance(credentials, PasswordCredentials):
            assert self.token_cache is not None
            return PasswordAuthenticator(credentials, self.token_cache)
        return StaticTokenAuthenticator(credentials)

    def pipeline(
        self, config: ClientConfig, auth: Authenticator | None, slots: asyncio.Semaphore | None
    ) -> Pipeline:
        """A pipeline over this session's transport with ``config``'s timeouts and policy;
        with ``slots`` (the client's own pipeline) behind the session's gate."""
        return Pipeline(
            self.transport, auth, config.retry, slots=slots, timeout=config.timeout,
            connect_timeout=config.connect_timeout, max_response_bytes=config.max_response_bytes,
            sleep=self.sleep, clock=self.clock, gate=None if slots is None else self.gate,
            observers=self.observers(config, auth),
        )  # fmt: skip

    def observers(self, config: ClientConfig, auth: Authenticator | None) -> tuple[Observer, ...]:
        """What hears the calls of ``config``'s pipelines: OpenTelemetry, the user's hooks."""
        found: list[Observer] = []
        otel = otel_observer(config.tracing)
        if otel is not None:
            found.append(otel)
        on_request, on_response = config.on_request, config.on_response
        if on_request is not None or on_response is not None:
            credentials, session = config.credentials, self

            def secrets() -> tuple[str, ...]:
                # Everything the client may send: the credentials' own secrets, every token
                # its authentication has sent, and the token the cache holds now.
                cache = session.token_cache
                current = cache.current if cache is not None else None
                held = (current.value,) if current is not None else ()
                sent = auth.secrets if auth is not None else ()
                return credentials.secrets + sent + held

            found.append(HookObserver(on_request, on_response, secrets))
        return tuple(found)

    async def resolve_project_id(self, config: ClientConfig) -> str:
        """The project id for request paths: given, read from the token, or looked up."""
        if self.project_id:
            return self.project_id
        if self.token_cache is not None:
            token = await self.token_cache.get()
            if token.project_id:
                return token.project_id
        if isinstance(config.credentials, AkSkCredentials) and config.region is not None:
            # As the official SDK does: the project named after the region, looked up once
            # and kept for the session's life; concurrent first calls share the lookup.
            async with self._project_lookup:
                if not self.project_id:
                    self.project_id = await self.iam.find_project_id(config.region)
                return self.project_id
        raise ConfigurationError(
            "no project id: pass project_id= or set HUAWEICLOUD_SDK_PROJECT_ID "
            "(My Credentials > Projects in the console lists it)"
        )

    async def aclose(self) -> None:
        """Close the transport if the session created it."""
        self.closed = True
        if self.owns_transport:
            await self.transport.aclose()
