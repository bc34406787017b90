"""The request pipeline every call goes through, typed methods, ``call``, ``map`` and IAM alike.

One attempt: wait for the limiter and a wire slot (inside the call's deadline) ->
authenticate and sign just before the bytes go out -> send through the transport -> the
answer becomes a typed result or a typed error at one boundary (:mod:`aiocloudocr._answers`).
Between attempts the retry policy (data) decides; a wire slot is never held while sleeping.
Observers (:mod:`aiocloudocr._observe`: tracing, metrics, users' hooks) hear each step; a
pipeline without any pays one ``if`` per step.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping

import attrs
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from yarl import URL

from aiocloudocr._answers import REQUEST_ID_HEADER, error_for
from aiocloudocr._gate import Gate
from aiocloudocr._http import DEFAULT_MAX_RESPONSE_BYTES, HttpRequest, HttpResponse, Transport
from aiocloudocr._limiter import Limiter
from aiocloudocr._observe import Observer, WaitKind, Watch, watch_call
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

LOG_VAR = "AIOCLOUDOCR_LOG"
_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_log_var_read = False


def log_from_env(environ: Mapping[str, str] = os.environ) -> None:
    """Once per process (when the first client is created): with ``AIOCLOUDOCR_LOG=debug``
    or ``info``, log the ``aiocloudocr`` logger at that level to stderr, unless it already
    has handlers (the application configured logging itself)."""
    global _log_var_read
    if _log_var_read:
        return
    _log_var_read = True
    level = _LOG_LEVELS.get(environ.get(LOG_VAR, "").strip().lower())
    if level is None or logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
    handler.setLevel(level)
    logger.addHandler(handler)
    logger.setLevel(level)


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
    watch: Watch | None
    attempts: int = 0
    # The last exchange's seconds on the wire (what the limiter learns from).
    latency: float | None = None


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
    _observers: tuple[Observer, ...] = attrs.field(default=(), alias="observers")
    # Indices of observers that have raised: the first failure is logged at WARNING only.
    _observer_failures: set[int] = attrs.field(factory=set, init=False)

    def _secrets(self) -> tuple[str, ...]:
        return self._auth.secrets if self._auth is not None else ()

    def secrets(self) -> tuple[str, ...]:
        """Every secret this pipeline's authentication has sent (to scrub from answers)."""
        return self._secrets()

    async def send(
        self, call: Call, *, policy: RetryPolicy | None = None, timeout: float | None = None
    ) -> Delivery:
        """Send ``call`` until it succeeds or the policy gives up; raise the last error."""
        seen = (
            watch_call(self._observers, self._observer_failures, call) if self._observers else None
        )
        gate = self._gate if call.authenticate else None
        try:
            if gate is not None and not gate.is_open(call.operation):
                delivery = await self._send_through_gate(gate, call, policy, timeout, seen)
            else:
                delivery = await self._send(call, policy, timeout, seen)
        except BaseException as error:
            if seen is not None:
                seen.call_ended(None, error)
            raise
        if seen is not None:
            seen.call_ended(delivery, None)
        return delivery

    async def _send_through_gate(
        self,
        gate: Gate,
        call: Call,
        policy: RetryPolicy | None,
        timeout: float | None,
        seen: Watch | None,
    ) -> Delivery:
        probe = await gate.enter(call.operation)
        try:
            return await self._send(call, policy, timeout, seen)
        finally:
            if probe:
                gate.leave(call.operation)

    async def _send(
        self, call: Call, policy: RetryPolicy | None, timeout: float | None, seen: Watch | None
    ) -> Delivery:
        policy = policy or self.policy
        started = self._monotonic()
        deadline = None if policy.deadline is None else started + policy.deadline
        run = _Run(call=call, policy=policy, deadline=deadline, timeout=timeout, watch=seen)
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
                return await self._attempt(run)
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
        self._log_wait(run, delay, first)
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
            self._log_wait(run, state.upcoming_sleep, error)

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

    async def _timed(self, seen: Watch, kind: WaitKind, waiting: Awaitable[None]) -> None:
        started = self._monotonic()
        try:
            await waiting
        finally:
            seen.waited(kind, self._monotonic() - started)

    async def _attempt(self, run: _Run) -> HttpResponse:
        call, deadline, seen = run.call, run.deadline, run.watch
        limiter = call.limiter
        if limiter is not None:
            if seen is None:
                await limiter.acquire(deadline=deadline)
            else:
                await self._timed(seen, "limiter", limiter.acquire(deadline=deadline))
        outcome: BaseException | None = None
        latency: float | None = None
        headers: dict[str, str] = {}
        error: APIError | None = None
        try:
            if seen is None:
                await self._acquire_slot(call, deadline)
            else:
                await self._timed(seen, "slot", self._acquire_slot(call, deadline))
            try:
                headers = await self._signed_headers(call)
                response = await self._exchange(run, headers)
                latency = run.latency
            finally:
                if self._semaphore is not None:
                    self._semaphore.release()
            if 200 <= response.status < 300:
                self._learn(call, None)
            else:
                outcome = error = error_for(
                    status=response.status,
                    headers=response.headers,
                    body=response.body,
                    operation=call.operation,
                    service=call.service,
                    secrets=self._secrets(),
                    now=self._clock(),
                    reason=response.reason,
                )
        except BaseException as exc:
            outcome = exc
            raise
        finally:
            if limiter is not None:
                limiter.release(outcome, latency)
        if seen is not None:
            # After the limiter and the wire slot are free: a slow hook holds neither.
            pending = seen.attempt_ended(run.attempts, response, error, latency or 0.0)
            if pending is not None:
                await pending
        if error is None:
            return response
        self._log(call, run.attempts, response, error.code, latency)
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

    async def _exchange(self, run: _Run, headers: dict[str, str]) -> HttpResponse:
        call, deadline, attempt, seen = run.call, run.deadline, run.attempts, run.watch
        total = self.timeout if run.timeout is None else run.timeout
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
        if seen is not None:
            pending = seen.attempt_started(attempt, request)
            if pending is not None:
                await pending
        sent = self._monotonic()
        try:
            response = await self._transport.send(request)
        except CloudOcrError as error:
            _tag(error, call)
            latency = self._monotonic() - sent
            self._log(call, attempt, None, None, latency, type(error).__name__)
            if seen is not None:
                await _ended(seen, attempt, error, latency)
            raise
        except Exception as exc:
            latency = self._monotonic() - sent
            self._log(call, attempt, None, None, latency, type(exc).__name__)
            mapped = TransportError(
                f"the transport failed: {type(exc).__name__}", operation=call.operation
            )
            if seen is not None:
                await _ended(seen, attempt, mapped, latency)
            raise mapped from exc
        except BaseException as exc:  # cancelled: nothing may be awaited any more
            if seen is not None:
                pending = seen.attempt_ended(attempt, None, exc, self._monotonic() - sent)
                if pending is not None:
                    pending.close()
            raise
        run.latency = latency = self._monotonic() - sent
        if logger.isEnabledFor(logging.DEBUG) and 200 <= response.status < 300:
            self._log(call, attempt, response, None, latency)
        return response

    def _log(
        self,
        call: Call,
        attempt: int,
        response: HttpResponse | None,
        code: str | None,
        latency: float | None,
        failure: str | None = None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        latency_ms = None if latency is None else round(latency * 1000, 1)
        status = response.status if response is not None else None
        request_id = response.headers.get(REQUEST_ID_HEADER) if response is not None else None
        logger.debug(
            "%s status=%s code=%s attempt=%d latency_ms=%s request_id=%s",
            call.operation,
            failure if status is None else status,
            code or "-",
            attempt,
            "-" if latency_ms is None else f"{latency_ms:.1f}",
            request_id or "-",
            extra={
                "operation": call.operation, "service": call.service, "status": status,
                "code": code, "error": failure, "attempt": attempt, "latency_ms": latency_ms,
                "request_id": request_id,
            },
        )  # fmt: skip

    def _log_wait(self, run: _Run, delay: float, error: BaseException | None) -> None:
        if run.watch is not None:
            run.watch.retrying(delay, error, run.attempts)
        if logger.isEnabledFor(logging.DEBUG):
            call = run.call
            logger.debug(
                "%s retry in %.3fs after attempt %d: %s",
                call.operation, delay, run.attempts, type(error).__name__,
                extra={
                    "operation": call.operation, "service": call.service, "delay": delay,
                    "attempt": run.attempts, "error": type(error).__name__,
                },
            )  # fmt: skip


async def _ended(seen: Watch, attempt: int, error: BaseException, latency: float) -> None:
    pending = seen.attempt_ended(attempt, None, error, latency)
    if pending is not None:
        await pending


def _tag(error: CloudOcrError, call: Call) -> None:
    """Name the call's operation and service on an error raised below the pipeline."""
    if getattr(error, "operation", "set") is None:
        error.operation = call.operation  # type: ignore[attr-defined]
    if getattr(error, "service", "set") is None:
        error.service = call.service  # type: ignore[attr-defined]
