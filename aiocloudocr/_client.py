"""The client: one per application, shared by every task that calls the service."""

from __future__ import annotations

import asyncio
import os
import time
import warnings
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

import attrs
from yarl import URL

from aiocloudocr._batch import BatchRun, ProgressCallback
from aiocloudocr._config import ClientConfig, options_from_env
from aiocloudocr._hooks import RequestHook, ResponseHook
from aiocloudocr._http import HttpResponse, Transport
from aiocloudocr._images import ImageSource
from aiocloudocr._limiter import Limiter
from aiocloudocr._methods import OperationMethods
from aiocloudocr._requests import (
    body_of_request,
    body_of_source,
    check_fields,
    raw_call,
)
from aiocloudocr._sending import LimiterChoice, Sender
from aiocloudocr._session import Session
from aiocloudocr._transport import AiohttpTransport
from aiocloudocr.auth.credentials import Credentials, credentials_from_env
from aiocloudocr.auth.token_cache import TokenCache
from aiocloudocr.errors import ConfigurationError
from aiocloudocr.operations import AnyOperation, Operation, get_operation
from aiocloudocr.regions import ServiceName
from aiocloudocr.retry import RetryPolicy

RequestT = TypeVar("RequestT")
ResultT = TypeVar("ResultT")

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
# Options with_options() can change without new credentials state.
_CONFIG_FIELDS = frozenset(a.name for a in attrs.fields(ClientConfig))


class Client(OperationMethods):
    """Asyncio client for the OCR and Image Recognition APIs.

    Create one per application and share it: it holds one connection pool, one token cache
    and one concurrency bound. Use ``async with Client(...) as client`` or call
    :meth:`aclose` when done. ``transport`` replaces the HTTP layer (for example with
    :class:`aiocloudocr.testing.MockTransport`); ``session`` lends an aiohttp session instead.
    ``limiter`` replaces the in-process adaptive limiter with any :class:`Limiter` (one for
    every service, or a function of the service name), e.g. a cluster-wide quota.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        region: str | None = None,
        project_id: str | None = None,
        endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        enterprise_project_id: str | None = None,
        concurrency: int = 64,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: Any = None,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        user_agent: str | None = None,
        adaptive: bool = True,
        rate_limit: tuple[int, float] | None = None,
        headers: Mapping[str, str] | None = None,
        max_response_bytes: int | None = None,
        initial_concurrency: int = 8,
        limiter: LimiterChoice = None,
        proxy: str | None = None,
        trust_env: bool = True,
        tracing: bool | None = None,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
    ) -> None:
        config = ClientConfig.build(
            credentials_from_env() if credentials is None else credentials,
            region=region, endpoint=endpoint, endpoints=endpoints, project_id=project_id,
            user_agent=user_agent, retry=retry, headers=headers,
            enterprise_project_id=enterprise_project_id, concurrency=concurrency,
            timeout=timeout, connect_timeout=connect_timeout, adaptive=adaptive,
            rate_limit=rate_limit, initial_concurrency=initial_concurrency, proxy=proxy,
            trust_env=trust_env, tracing=tracing, on_request=on_request, on_response=on_response,
            **({} if max_response_bytes is None else {"max_response_bytes": max_response_bytes}),
        )  # fmt: skip
        if transport is not None and session is not None:
            raise ConfigurationError("pass transport= or session=, not both")
        owns = transport is None
        if transport is None:
            transport = AiohttpTransport(
                connection_limit=config.concurrency,
                user_agent=config.user_agent,
                session=session,
                trust_env=config.trust_env,
                proxy=config.proxy,
            )
        shared = Session.open(config, transport, owns_transport=owns, clock=clock, sleep=sleep)
        self._given_limiter = limiter
        self._setup(config, shared, limiters={})

    def _setup(self, config: ClientConfig, shared: Session, limiters: dict[str, Limiter]) -> None:
        self._config, self._shared = config, shared
        self._sender = Sender(config, shared, self._given_limiter, limiters)
        self._pipeline = self._sender.pipeline

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Client:
        """Build a client from environment variables (credentials, region, endpoint, project).

        Reads the credentials as :func:`credentials_from_env` does, the region from
        ``HUAWEICLOUD_SDK_REGION`` (or ``CLOUD_SDK_REGION``, ``AIOCLOUDOCR_REGION``), an
        endpoint for every service from ``AIOCLOUDOCR_ENDPOINT``, the IAM endpoint from
        ``HUAWEICLOUD_SDK_IAM_ENDPOINT`` and the project id from
        ``HUAWEICLOUD_SDK_PROJECT_ID``. Keyword options override what the environment says.
        """
        return cls(**options_from_env(os.environ if environ is None else environ, options))

    def with_options(self, **changes: Any) -> Client:
        """A client with some options changed that shares this one's connections, token
        cache, project id and limiters (``timeout=``, ``retry=``, ``headers=``, ...).

        Closing either closes the shared connections; close the original only.
        """
        unknown = sorted(set(changes) - _CONFIG_FIELDS)
        if unknown or "credentials" in changes or "endpoints" in changes:
            raise ConfigurationError(
                f"with_options cannot change {', '.join(unknown) or 'credentials or endpoints'}; "
                "create a new Client for other credentials or endpoints"
            )
        config = attrs.evolve(self._config, **changes)
        clone = object.__new__(type(self))
        clone._given_limiter = self._given_limiter
        clone._setup(config, self._shared, self._sender.limiters)
        return clone

    @property
    def config(self) -> ClientConfig:
        """The client's resolved configuration (frozen)."""
        return self._config

    def __repr__(self) -> str:
        config = self._config
        kind = type(config.credentials).__name__
        where = config.region or ", ".join(f"{k}={v}" for k, v in config.endpoints.items())
        state = "closed" if self._shared.closed else "open"
        return (
            f"<aiocloudocr.Client {kind} {where} project_id={self._shared.project_id!r} "
            f"concurrency={config.concurrency} {state}>"
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections (unless the transport or session was lent by the caller)."""
        await self._shared.aclose()

    def __del__(self) -> None:
        shared = getattr(self, "_shared", None)
        transport = getattr(shared, "transport", None)
        if (
            isinstance(transport, AiohttpTransport)
            and transport.owns_session
            and not transport.session_closed
        ):
            warnings.warn(
                "aiocloudocr.Client was garbage-collected unclosed; use 'async with' or aclose()",
                ResourceWarning,
                stacklevel=2,
            )

    @property
    def region(self) -> str | None:
        """The region, when one was given."""
        return self._config.region

    @property
    def enterprise_project_id(self) -> str | None:
        """The enterprise project id sent with every request, if any."""
        return self._config.enterprise_project_id

    @property
    def credentials(self) -> Credentials:
        """The credentials in use (their repr masks secrets)."""
        return self._config.credentials

    @property
    def concurrency(self) -> int:
        """The most requests on the wire at once."""
        return self._config.concurrency

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy calls use unless they pass their own."""
        return self._config.retry

    @property
    def token_cache(self) -> TokenCache | None:
        """The IAM token cache when using password credentials."""
        return self._shared.token_cache

    def endpoint(self, service: ServiceName) -> URL:
        """The base URL used for ``service``."""
        return self._config.endpoint(service)

    def limiter(self, service: ServiceName = "ocr") -> Limiter | None:
        """The limiter for ``service``: the one given as ``limiter=``, else the adaptive
        limiter shared in-process by clients with the same credential, endpoint and project;
        None with ``adaptive=False``.

        Its ``state()`` shows the current rate, concurrency and throttle counts.
        """
        return self._sender.limiter(service)

    async def project_id(self) -> str:
        """The project id for request paths (for a project-name token: read from the token)."""
        return await self._shared.resolve_project_id(self._config)

    @overload
    async def call(
        self,
        operation: Operation[RequestT, ResultT],
        request: RequestT,
        *,
        timeout: float | None = ...,
        retry: RetryPolicy | None = ...,
        check: bool = ...,
        headers: Mapping[str, str] | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> ResultT: ...

    @overload
    async def call(
        self,
        operation: str,
        request: Any,
        *,
        timeout: float | None = ...,
        retry: RetryPolicy | None = ...,
        check: bool = ...,
        headers: Mapping[str, str] | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
    ) -> Any: ...

    async def call(
        self,
        operation: AnyOperation | str,
        request: Any,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        check: bool = True,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send ``request`` to ``operation`` (an Operation or its name) and return its result.

        With ``check`` (the default) an ``image`` the operation's documented limits reject
        raises :class:`ValidationError` and nothing is sent. ``headers`` are sent (and
        signed) with this request; ``extra_body`` members are merged into the JSON body.
        """
        op = get_operation(operation) if isinstance(operation, str) else operation
        body = body_of_request(op, request, check=check, extra_body=extra_body)
        return await self._sender.send(op, body, timeout=timeout, retry=retry, headers=headers)

    async def _run(
        self,
        op: AnyOperation,
        image: ImageSource | None,
        url: str | None,
        fields: Mapping[str, Any],
        *,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Build the operation's request from an image source and typed fields, then send it."""
        # Reading and encoding happen before a wire slot is free; bounding them keeps a
        # gather of thousands of calls from holding thousands of encoded images at once.
        # (acquire/release rather than ``async with``: a call waiting here is one coroutine
        # lighter, which the garbage collector notices when thousands wait.)
        preparing = self._sender.preparing
        await preparing.acquire()
        try:
            body = await body_of_source(op, image, url, fields, check=check, extra_body=extra_body)
            return await self._sender.send(op, body, timeout=timeout, retry=retry, headers=headers)
        finally:
            preparing.release()

    async def request(
        self,
        service: ServiceName,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> HttpResponse:
        """Send any request to the ``ocr``, ``image`` or ``iam`` service and return its 2xx
        answer: signed, limited, retried and mapped to errors like any operation.

        For a path (or API) the operation table does not know yet; ``{project_id}`` in
        ``path`` is filled in. ``json`` is sent as a JSON body, ``content`` as raw bytes (of
        ``content_type``, ``application/octet-stream`` by default).
        """
        call = await raw_call(
            self._sender, service, method, path, json=json, content=content,
            content_type=content_type, query=query, headers=headers,
        )  # fmt: skip
        return await self._sender.send_raw(call, timeout=timeout, retry=retry)

    def map(
        self,
        operation: AnyOperation | str,
        inputs: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int | None = None,
        ordered: bool = False,
        item_timeout: float | None = None,
        progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        retry_failed: bool = False,
        check: bool = True,
        total: int | None = None,
        **fields: Any,
    ) -> BatchRun:
        """Run ``operation`` over many inputs; ``async for outcome in client.map(...)``.

        ``inputs`` is a sync or async iterable of anything the operation accepts (paths,
        bytes, URLs, file objects, request objects, or ``(key, source)`` pairs), read lazily:
        at most ``2 * concurrency`` inputs are held at once. Every input yields exactly one
        :class:`Outcome` (completion order, or input order with ``ordered=True``); a bad
        input becomes a failed outcome and the run goes on. ``fields`` are the operation's
        request fields, applied to every input. With ``checkpoint`` each outcome is appended
        to a JSON Lines file as it completes, and a re-run skips the inputs it records as done
        (failed ones too, unless ``retry_failed``). ``item_timeout`` bounds each input's time,
        retries included.
        """
        op = get_operation(operation) if isinstance(operation, str) else operation
        check_fields(op, fields)
        return BatchRun(
            client=self,
            operation=op,
            inputs=inputs,
            fields=fields,
            concurrency=concurrency or self._config.concurrency,
            ordered=ordered,
            item_timeout=item_timeout,
            progress=progress,
            checkpoint=None if checkpoint is None else Path(checkpoint),
            retry_failed=retry_failed,
            check=check,
            total=total,
        )
