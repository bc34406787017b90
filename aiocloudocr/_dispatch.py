"""Bounded, retrying dispatch: authenticate and sign per attempt, hold a slot only on the wire."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
import attrs
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from yarl import URL

from aiocloudocr._responses import REQUEST_ID_HEADER, error_from_response
from aiocloudocr._transport import RawResponse, Transport
from aiocloudocr.auth.authenticators import Authenticator
from aiocloudocr.errors import APIError, CloudOcrError, RequestTimeout, TransportError
from aiocloudocr.limiter import AdaptiveLimiter
from aiocloudocr.retry import TOKEN_REJECTED_CODES, RetryPolicy, full_jitter

logger = logging.getLogger("aiocloudocr")


@attrs.frozen(kw_only=True)
class HttpRequest:
    """One logical request; the dispatcher may send it several times."""

    operation: str
    method: str
    endpoint: URL
    path: str
    body: bytes = attrs.field(repr=False)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    authenticate: bool = True
    query: tuple[tuple[str, str], ...] = ()
    limiter: AdaptiveLimiter | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def url(self) -> URL:
        """The full URL; ``path`` is already percent-encoded."""
        url = self.endpoint.with_path(self.path, encoded=True)
        return url.with_query(self.query) if self.query else url

    @property
    def host_header(self) -> str:
        """Host as sent and signed: with ``:port`` only when the URL names a non-default one."""
        host = self.endpoint.raw_host or ""
        port = self.endpoint.explicit_port
        default = 443 if self.endpoint.scheme == "https" else 80
        return f"{host}:{port}" if port is not None and port != default else host


@attrs.frozen(kw_only=True)
class Delivery:
    """A successful answer and what it took to get it."""

    response: RawResponse
    attempts: int
    elapsed: float

    @property
    def request_id(self) -> str | None:
        """The service's ``X-Request-Id``."""
        return self.response.headers.get(REQUEST_ID_HEADER)


class _RetryWithFreshCredentials(Exception):
    def __init__(self, error: APIError) -> None:
        super().__init__(error.message)
        self.error = error


@attrs.define
class Dispatcher:
    """Sends requests with at most ``concurrency`` on the wire, retrying per the policy."""

    _transport: Transport
    _auth: Authenticator | None
    _concurrency: int
    policy: RetryPolicy
    timeout: float = 60.0
    connect_timeout: float = 10.0
    _sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _monotonic: Callable[[], float] = time.monotonic
    _clock: Callable[[], float] = time.time
    _rand: Callable[[], float] = full_jitter
    _semaphore: asyncio.Semaphore = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._semaphore = asyncio.Semaphore(self._concurrency)

    @property
    def concurrency(self) -> int:
        """The most requests this dispatcher keeps on the wire at once."""
        return self._concurrency

    def _secrets(self) -> tuple[str, ...]:
        return self._auth.secrets if self._auth is not None else ()

    async def send(
        self,
        request: HttpRequest,
        *,
        policy: RetryPolicy | None = None,
        timeout: float | None = None,
    ) -> Delivery:
        """Send ``request`` until it succeeds or the policy gives up; raise the last error."""
        policy = policy or self.policy
        started = self._monotonic()
        deadline = None if policy.deadline is None else started + policy.deadline
        attempts = 0

        async def attempt() -> RawResponse:
            nonlocal attempts
            refreshed = False
            while True:
                attempts += 1
                try:
                    return await self._send_once(request, attempts, deadline, timeout)
                except _RetryWithFreshCredentials as retry:
                    if refreshed:
                        raise retry.error from None
                    refreshed = True

        def retryable(error: BaseException) -> bool:
            # An error of another operation (the IAM token fetch inside an attempt) was
            # already retried by its own send; retrying it here would multiply attempts.
            same = getattr(error, "operation", request.operation) == request.operation
            return same and policy.is_retryable(error)

        def log_wait(delay: float, error: BaseException | None) -> None:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s retry in %.3fs after attempt %d: %s",
                    request.operation, delay, attempts, type(error).__name__,
                )  # fmt: skip

        async def retry_after(first: BaseException) -> RawResponse:
            # The first failed attempt counts as tenacity's attempt 0; its wait comes first.
            delay = policy.delay(first, 1, self._rand)
            if deadline is not None and self._monotonic() + delay >= deadline:
                raise first
            log_wait(delay, first)
            await self._sleep(delay)

            def stop(state: RetryCallState) -> bool:
                if state.attempt_number + 1 >= policy.max_attempts:
                    return True
                return deadline is not None and self._monotonic() + state.upcoming_sleep >= deadline

            def wait(state: RetryCallState) -> float:
                assert state.outcome is not None
                error = state.outcome.exception()
                assert error is not None
                return policy.delay(error, state.attempt_number + 1, self._rand)

            def before_sleep(state: RetryCallState) -> None:
                log_wait(state.upcoming_sleep, state.outcome.exception() if state.outcome else None)

            retrying = AsyncRetrying(
                stop=stop,
                wait=wait,
                retry=retry_if_exception(retryable),
                sleep=self._sleep,
                before_sleep=before_sleep,
                reraise=True,
            )
            async for state in retrying:
                with state:
                    return await attempt()
            raise AssertionError("unreachable: tenacity reraises the last error")

        try:
            try:
                response = await attempt()
            except Exception as error:
                if policy.max_attempts <= 1 or not retryable(error):
                    raise
                # The retry loop is built only once an attempt has failed: building it for
                # every call cost more than the rest of our per-request work.
                response = await retry_after(error)
        except CloudOcrError as error:
            if isinstance(error, (APIError, TransportError)):
                error.attempts = attempts
            raise
        return Delivery(response=response, attempts=attempts, elapsed=self._monotonic() - started)

    async def _send_once(
        self, request: HttpRequest, attempt: int, deadline: float | None, timeout: float | None
    ) -> RawResponse:
        headers = {"Host": request.host_header, **request.headers}
        if request.authenticate and self._auth is not None:
            await self._auth.authenticate(
                method=request.method, path=request.path, query=request.query, headers=headers,
                body=request.body,
            )  # fmt: skip
        total = self.timeout if timeout is None else timeout
        if deadline is not None:
            total = min(total, deadline - self._monotonic())
            if total <= 0:
                raise RequestTimeout("the call's deadline passed", operation=request.operation)
        client_timeout = aiohttp.ClientTimeout(
            total=total, sock_connect=min(self.connect_timeout, total)
        )
        limiter = request.limiter
        if limiter is not None:
            await limiter.acquire()
        outcome: BaseException | None = None
        try:
            response, sent = await self._exchange(request, headers, client_timeout, attempt)
            if 200 <= response.status < 300:
                self._log(request, attempt, sent, response, None, None)
                return response
            api_error = error_from_response(
                status=response.status,
                headers=response.headers,
                body=response.body,
                operation=request.operation,
                secrets=self._secrets(),
                now=self._clock(),
                reason=response.reason,
            )
            outcome = api_error
        except BaseException as error:
            outcome = error
            raise
        finally:
            if limiter is not None:
                limiter.release(outcome)
        self._log(request, attempt, sent, response, api_error.code, None)
        token_refused = api_error.code in TOKEN_REJECTED_CODES or response.status == 401
        if (
            token_refused
            and request.authenticate
            and self._auth is not None
            and self._auth.rejected(headers)
        ):
            raise _RetryWithFreshCredentials(api_error)
        raise api_error

    async def _exchange(
        self,
        request: HttpRequest,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
        attempt: int,
    ) -> tuple[RawResponse, float]:
        async with self._semaphore:
            sent = self._monotonic()
            try:
                response = await self._transport.send(
                    request.method,
                    request.url,
                    headers=headers,
                    body=request.body,
                    timeout=timeout,
                    operation=request.operation,
                )
            except TransportError as error:
                self._log(request, attempt, sent, None, None, type(error).__name__)
                raise
        return response, sent

    def _log(
        self,
        request: HttpRequest,
        attempt: int,
        sent: float,
        response: RawResponse | None,
        code: str | None,
        failure: str | None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        logger.debug(
            "%s status=%s code=%s attempt=%d latency_ms=%.1f request_id=%s",
            request.operation,
            response.status if response is not None else failure,
            code or "-",
            attempt,
            (self._monotonic() - sent) * 1000,
            response.headers.get(REQUEST_ID_HEADER, "-") if response is not None else "-",
        )
