"""The request pipeline every call goes through, typed methods, ``call``, ``map`` and IAM alike.

One attempt: wait for the limiter and a wire slot (inside the call's deadline) ->
authenticate and sign just before the bytes go out -> send through the transport -> the
answer becomes a typed result or a typed error at one boundary (:mod:`aiocloudocr._answers`).
Between attempts the retry policy (data) decides; a wire slot is never held while sleeping.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import attrs
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from yarl import URL

from aiocloudocr._answers import REQUEST_ID_HEADER, error_for
from aiocloudocr._gate import Gate
from aiocloudocr._http import DEFAULT_MAX_RESPONSE_BYTES, HttpRequest, HttpResponse, Transport
from aiocloudocr._limiter import Limiter
from aiocloudocr.auth.authenticators import Authenticator
from aiocloudocr.errors import (
    APIError,
    AuthenticationError,
    CloudOcrError,
    RequestTimeout,
    TransportError,
)
from aiocloudocr.retry import TOKEN_REJECTED_CODES, RetryPolicy, full_jitter

logger = logging.getLogger("aiocloudocr")


@attrs.frozen(kw_only=True)
class Call:
    """One logical request, built and checked; the pipeline may send it several times."""

    operation: str
    service: str
    method: str
    endpoint: URL
    path: str
    body: bytes = attrs.field(default=b"", repr=False)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    query: tuple[tuple[str, str], ...] = ()
    authenticate: bool = True
    limiter: Limiter | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def url(self) -> str:
        """The full URL; ``path`` is already percent-encoded."""
        return _target(self.endpoint, self.path, self.query)[0]

    @property
    def host_header(self) -> str:
        """Host as sent and signed: with ``:port`` only when the URL names a non-default one."""
        return _target(self.endpoint, self.path, self.query)[1]


@functools.lru_cache(maxsize=256)
def _target(endpoint: URL, path: str, query: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    # A bulk run sends thousands of requests to one or two URLs: build each string once.
    url = endpoint.with_path(path, encoded=True)
    host = endpoint.raw_host or ""
    port = endpoint.explicit_port
    default = 443 if endpoint.scheme == "https" else 80
    host_header = f"{host}:{port}" if port is not None and port != default else host
    return str(url.with_query(query) if query else url), host_header


@attrs.frozen(kw_only=True)
class Delivery:
    """A successful answer and what it took to get it."""

    response: HttpResponse
    attempts: int
    elapsed: float

    @property
    def request_id(self) -> str | None:
        """The service's ``X-Request-Id``."""
        return self.response.headers.get(REQUEST_ID_HEADER)


@attrs.define
class _Run:
    """One call's way through the pipeline: what it sends, under which policy, and how many
    attempts it has made."""

    call: Call
    policy: RetryPolicy
    deadline: float | None
    timeout: float | None
    attempts: int = 0


def _retryable(run: _Run, error: BaseException) -> bool:
    # An error of another operation (the IAM token fetch inside an attempt) was already
    # retried by its own pipeline; retrying it here would multiply attempts.
    same = getattr(error, "operation", run.call.operation) == run.call.operation
    return same and run.policy.is_retryable(error)


class _RetryWithFreshCredentials(Exception):
    def __init__(self, error: APIError) -> None:
        super().__init__(error.message)
        self.error = error


@attrs.define
class Pipeline:
    """Sends calls, retrying; with ``slots``, at most that semaphore's value on the wire."""

    _transport: Transport
    _auth: Authenticator | None
    policy: RetryPolicy
    _semaphore: asyncio.Semaphore | None = attrs.field(default=None, alias="slots")
    timeout: float = 60.0
    connect_timeout: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    _sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _monotonic: Callable[[], float] = time.monotonic
    _clock: Callable[[], float] = time.time
    _rand: Callable[[], float] = full_jitter
    _gate: Gate | None = attrs.field(default=None, alias="gate")

    def _secrets(self) -> tuple[str, ...]:
        return self._auth.secrets if self._auth is not None else ()

    async def send(
        self, call: Call, *, policy: RetryPolicy | None = None, timeout: float | None = None
    ) -> Delivery:
        """Send ``call`` until it succeeds or the policy gives up; raise the last error."""
        gate = self._gate if call.authenticate else None
        if gate is not None and not gate.is_open(call.operation):
            return await self._send_through_gate(gate, call, policy, timeout)
        return await self._send(call, policy, timeout)

    async def _send_through_gate(
        self, gate: Gate, call: Call, policy: RetryPolicy | None, timeout: float | None
    ) -> Delivery:
        probe = await gate.enter(call.operation)
        try:
            return await self._send(call, policy, timeout)
        finally:
            if probe:
                gate.leave(call.operation)

    async def _send(
        self, call: Call, policy: RetryPolicy | None, timeout: float | None
    ) -> Delivery:
        policy = policy or self.policy
        started = self._monotonic()
        deadline = None if policy.deadline is None else started + policy.deadline
        run = _Run(call=call, policy=policy, deadline=deadline, timeout=timeout)
        try:
            try:
                response = await self._attempts(run)
            except Exception as error:
                if policy.max_attempts <= 1 or not _retryable(run, error):
                    raise
                # The retry loop is built only once an attempt has failed: building it for
                # every call cost more than the rest of our per-request work.
                response = await self._retry(run, error)
        except CloudOcrError as error:
            own = getattr(error, "operation", call.operation) == call.operation
            if isinstance(error, (APIError, TransportError)) and own:
                error.attempts = run.attempts
            if isinstance(error, AuthenticationError) and self._gate is not None:
                # Refused for good (a token refresh did not help; an IAM login failed; a key
                # revoked mid-run): remembered, so no other call sends with it.
                self._gate.record(call.operation, error)
            raise
        return Delivery(
            response=response, attempts=run.attempts, elapsed=self._monotonic() - started
        )

    async def _attempts(self, run: _Run) -> HttpResponse:
        """One attempt, and once more at once when a refused token could be refreshed."""
        refreshed = False
        while True:
            run.attempts += 1
            try:
                return await self._attempt(run.call, run.attempts, run.deadline, run.timeout)
            except _RetryWithFreshCredentials as retry:
                if refreshed:
                    raise retry.error from None
                refreshed = True

    def _past_deadline(self, run: _Run, delay: float) -> bool:
        # A stated wait (Retry-After) is honoured whole, or not at all: never past the
        # deadline, and never cut short into a request that would only be refused again.
        return run.deadline is not None and self._monotonic() + delay >= run.deadline

    async def _retry(self, run: _Run, first: BaseException) -> HttpResponse:
        policy = run.policy
        # The first failed attempt counts as tenacity's attempt 0; its wait comes first.
        delay = policy.delay(first, 1, self._rand)
        if self._past_deadline(run, delay):
            raise first
        self._log_wait(run.call, delay, run.attempts, first)
        await self._sleep(delay)

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number + 1 >= policy.max_attempts:
                return True
            return self._past_deadline(run, state.upcoming_sleep)

        def wait(state: RetryCallState) -> float:
            assert state.outcome is not None
            error = state.outcome.exception()
            assert error is not None
            return policy.delay(error, state.attempt_number + 1, self._rand)

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            self._log_wait(run.call, state.upcoming_sleep, run.attempts, error)

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception(functools.partial(_retryable, run)),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        async for state in retrying:
            with state:
                return await self._attempts(run)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _acquire_slot(self, call: Call, deadline: float | None) -> None:
        semaphore = self._semaphore
        if semaphore is None:
            return
        if deadline is None or not semaphore.locked():
            await semaphore.acquire()
            return
        try:
            await asyncio.wait_for(semaphore.acquire(), max(deadline - self._monotonic(), 0.0))
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestTimeout(
                "no wire slot came free before the call's deadline", operation=call.operation
            ) from None

    async def _attempt(
        self, call: Call, attempt: int, deadline: float | None, timeout: float | None
    ) -> HttpResponse:
        limiter = call.limiter
        if limiter is not None:
            await limiter.acquire(deadline=deadline)
        outcome: BaseException | None = None
        latency: float | None = None
        headers: dict[str, str] = {}
        try:
            await self._acquire_slot(call, deadline)
            try:
                headers = await self._signed_headers(call)
                sent = self._monotonic()
                response = await self._exchange(call, headers, attempt, deadline, timeout)
                latency = self._monotonic() - sent
            finally:
                if self._semaphore is not None:
                    self._semaphore.release()
            if 200 <= response.status < 300:
                self._learn(call, None)
                return response
            error = error_for(
                status=response.status,
                headers=response.headers,
                body=response.body,
                operation=call.operation,
                service=call.service,
                secrets=self._secrets(),
                now=self._clock(),
                reason=response.reason,
            )
            outcome = error
        except BaseException as exc:
            outcome = exc
            raise
        finally:
            if limiter is not None:
                limiter.release(outcome, latency)
        self._log(call, attempt, response, error.code)
        if not isinstance(error, AuthenticationError):
            # An authentication refusal is learnt when the call ends: a token refresh may
            # still turn it around.
            self._learn(call, error)
        token_refused = error.code in TOKEN_REJECTED_CODES or response.status == 401
        auth = self._auth if call.authenticate else None
        if token_refused and auth is not None and auth.rejected(headers):
            raise _RetryWithFreshCredentials(error)
        raise error

    def _learn(self, call: Call, error: APIError | None) -> None:
        gate = self._gate
        if gate is not None and call.authenticate and not gate.is_open(call.operation):
            gate.record(call.operation, error)

    async def _signed_headers(self, call: Call) -> dict[str, str]:
        # Signed (or given its token) only now, with the wire slot in hand: a long wait in
        # the limiter never sends an expired token or a stale X-Sdk-Date.
        headers = {"Host": call.host_header, **call.headers}
        if call.authenticate and self._auth is not None:
            await self._auth.authenticate(
                method=call.method, path=call.path, query=call.query, headers=headers,
                body=call.body,
            )  # fmt: skip
        return headers

    async def _exchange(
        self,
        call: Call,
        headers: dict[str, str],
        attempt: int,
        deadline: float | None,
        timeout: float | None,
    ) -> HttpResponse:
        total = self.timeout if timeout is None else timeout
        if deadline is not None:
            total = min(total, deadline - self._monotonic())
            if total <= 0:
                raise RequestTimeout("the call's deadline passed", operation=call.operation)
        request = HttpRequest(
            method=call.method,
            url=call.url,
            headers=headers,
            body=call.body,
            timeout=total,
            connect_timeout=self.connect_timeout,
            max_response_bytes=self.max_response_bytes,
        )
        sent = self._monotonic()
        try:
            response = await self._transport.send(request)
        except CloudOcrError as error:
            _tag(error, call)
            self._log(call, attempt, None, None, sent, type(error).__name__)
            raise
        except Exception as exc:
            self._log(call, attempt, None, None, sent, type(exc).__name__)
            raise TransportError(
                f"the transport failed: {type(exc).__name__}", operation=call.operation
            ) from exc
        if logger.isEnabledFor(logging.DEBUG) and 200 <= response.status < 300:
            self._log(call, attempt, response, None, sent)
        return response

    def _log(
        self,
        call: Call,
        attempt: int,
        response: HttpResponse | None,
        code: str | None,
        sent: float | None = None,
        failure: str | None = None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        latency = "-" if sent is None else f"{(self._monotonic() - sent) * 1000:.1f}"
        logger.debug(
            "%s status=%s code=%s attempt=%d latency_ms=%s request_id=%s",
            call.operation,
            response.status if response is not None else failure,
            code or "-",
            attempt,
            latency,
            response.headers.get(REQUEST_ID_HEADER, "-") if response is not None else "-",
        )

    def _log_wait(
        self, call: Call, delay: float, attempts: int, error: BaseException | None
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s retry in %.3fs after attempt %d: %s",
                call.operation, delay, attempts, type(error).__name__,
            )  # fmt: skip


def _tag(error: CloudOcrError, call: Call) -> None:
    """Name the call's operation and service on an error raised below the pipeline."""
    if getattr(error, "operation", "set") is None:
        error.operation = call.operation  # type: ignore[attr-defined]
    if getattr(error, "service", "set") is None:
        error.service = call.service  # type: ignore[attr-defined]
