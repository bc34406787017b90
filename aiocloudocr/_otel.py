"""OpenTelemetry traces and metrics of every call, when ``opentelemetry-api`` is installed.

One INTERNAL span per call, ``aiocloudocr.<operation>``, made current while the call runs
(an IAM login it needs nests under it), with one CLIENT span per HTTP attempt under it that
follows the stable HTTP client semantic conventions (name ``POST``; ``http.request.method``,
``server.address``, ``server.port``, ``url.full``, ``http.response.status_code``,
``error.type``, ``http.request.resend_count``). Waits, throttled answers and retries are
events of the call's span. Metrics (meter ``aiocloudocr``): ``http.client.request.duration``,
``aiocloudocr.throttled``, ``aiocloudocr.retries`` and ``aiocloudocr.in_flight``.

Nothing here is imported by ``import aiocloudocr``: the package is imported when a client is
created with tracing on (the default when it is importable). Spans never carry a header or a
body, and no text that was not already scrubbed of secrets.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aiocloudocr._answers import REQUEST_ID_HEADER
from aiocloudocr._version import __version__
from aiocloudocr.errors import APIError, ConfigurationError, ThrottledError

if TYPE_CHECKING:
    from contextvars import Token

    from opentelemetry.context import Context
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, TracerProvider

    from aiocloudocr._http import HttpRequest, HttpResponse
    from aiocloudocr._observe import WaitKind
    from aiocloudocr._pipeline import Call, Delivery

NAME = "aiocloudocr"
# The stable HTTP semantic conventions' advice for http.client.request.duration (seconds).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


def available() -> bool:
    """Whether ``opentelemetry-api`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("opentelemetry.trace") is not None
    except (ImportError, ValueError):
        return False


def observer(tracing: bool | None) -> OtelObserver | None:
    """The observer for ``Client(tracing=...)``: None when off, or when auto and the package
    is missing; ``tracing=True`` without it is a configuration error."""
    if tracing not in (True, False, None):
        raise ConfigurationError(
            f"tracing must be True, False or None (automatic), got {tracing!r}"
        )
    if tracing is False:
        return None
    if not available():
        if tracing:
            raise ConfigurationError(
                "tracing=True needs OpenTelemetry: pip install 'aiocloudocr[otel]'"
            )
        return None
    return default_observer()


@functools.cache
def default_observer() -> OtelObserver:
    """One observer per process on the global tracer and meter providers (proxies until the
    application sets its own, so the order of set-up does not matter)."""
    return OtelObserver()


def error_type(error: BaseException) -> str:
    """``error.type``: the service's error code, else the HTTP status, else the exception's
    fully qualified class name."""
    if isinstance(error, APIError):
        return error.code or str(error.status)
    cls = type(error)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


@functools.lru_cache(maxsize=256)
def _server(method: str, host: str, port: int) -> Mapping[str, Any]:
    # Shared by every call to one endpoint (and handed to the SDK as is): read-only.
    return MappingProxyType(
        {"http.request.method": method, "server.address": host, "server.port": port}
    )


class OtelObserver:
    """Opens the spans and records the metrics of every call (see the module docstring)."""

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        from opentelemetry import context, metrics, trace

        self.attach, self.detach = context.attach, context.detach
        self.in_context = trace.set_span_in_context
        self.client_kind = trace.SpanKind.CLIENT
        self.error_status = functools.partial(trace.Status, trace.StatusCode.ERROR)
        self.tracer = trace.get_tracer(NAME, __version__, tracer_provider)
        meter = metrics.get_meter(NAME, __version__, meter_provider)
        # On the global providers, while the application has set neither (both still the
        # API's stand-ins), every span and measurement would be dropped: calls skip the
        # work and the pipeline's observed path. Checked per call, so a provider set later
        # is followed from its next call on.
        self._idle: Callable[[], bool] | None = None
        if tracer_provider is None and meter_provider is None:
            self._idle = _idle_check()
        description = "Duration of HTTP client requests."
        try:
            self.duration = meter.create_histogram(
                "http.client.request.duration", unit="s", description=description,
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            )  # fmt: skip
        except TypeError:  # opentelemetry-api before 1.23 takes no advice
            self.duration = meter.create_histogram(
                "http.client.request.duration", unit="s", description=description
            )
        self.throttled = meter.create_counter(
            "aiocloudocr.throttled", unit="{response}", description="Throttled answers."
        )
        self.retries = meter.create_counter(
            "aiocloudocr.retries", unit="{retry}", description="Retries after a failed attempt."
        )
        self.in_flight = meter.create_up_down_counter(
            "aiocloudocr.in_flight", unit="{request}", description="Requests on the wire."
        )

    def __repr__(self) -> str:
        return f"<aiocloudocr OtelObserver tracer={self.tracer!r}>"

    def call_started(self, call: Call) -> CallTrace | None:
        """Open the call's span and make it current (None while nothing would record it)."""
        idle = self._idle
        if idle is not None and idle():
            return None
        return CallTrace(self, call)


def _idle_check() -> Callable[[], bool] | None:
    """A check that neither global provider is set, or None when it cannot be told cheaply.

    ``get_tracer_provider()`` and ``get_meter_provider()`` look the environment up on every
    call while unset; the API keeps the providers set in two module globals, read here
    directly (with a provider named in the environment, which the API loads on first use,
    or an API without those globals, every call is traced).
    """
    import os

    from opentelemetry import trace

    try:
        from opentelemetry.metrics import _internal as metrics
    except ImportError:
        return None
    if "OTEL_PYTHON_TRACER_PROVIDER" in os.environ or "OTEL_PYTHON_METER_PROVIDER" in os.environ:
        return None
    if not (hasattr(trace, "_TRACER_PROVIDER") and hasattr(metrics, "_METER_PROVIDER")):
        return None

    def idle() -> bool:
        return trace._TRACER_PROVIDER is None and metrics._METER_PROVIDER is None

    return idle


class CallTrace:
    """One call's span, its attempts' spans and its metrics.

    A call whose span does not record (no SDK configured, or sampled out) opens no attempt
    spans and adds no events, but its metrics are recorded all the same.
    """

    __slots__ = ("_attempt", "_context", "_on_wire", "_owner", "_server", "_span", "_token", "call")

    def __init__(self, owner: OtelObserver, call: Call) -> None:
        self._owner = owner
        self.call = call
        endpoint = call.endpoint
        self._server = _server(call.method, endpoint.raw_host or "", endpoint.port or 0)
        self._attempt: Span | None = None
        self._on_wire = False
        span = owner.tracer.start_span(
            f"aiocloudocr.{call.operation}",
            attributes={
                "aiocloudocr.operation": call.operation,
                "aiocloudocr.service": call.service,
            },
        )
        self._span: Span | None = None
        self._context: Context | None = None
        self._token: Token[Context] | None = None
        if span.is_recording():
            self._span = span
            self._context = owner.in_context(span)
            # Current for the call's length: spans of what runs inside it (an IAM login, an
            # instrumented transport) become its children. Detached in call_ended, which the
            # pipeline calls in the same task on every way out.
            self._token = owner.attach(self._context)

    def attempt_started(self, attempt: int, request: HttpRequest) -> None:
        """Open the attempt's CLIENT span."""
        owner = self._owner
        if self._span is not None:
            attributes = dict(self._server)
            attributes["url.full"] = request.url
            if attempt > 1:
                attributes["http.request.resend_count"] = attempt - 1
            self._attempt = owner.tracer.start_span(
                request.method, context=self._context, kind=owner.client_kind, attributes=attributes
            )
        self._on_wire = True
        owner.in_flight.add(1, self._server)

    def attempt_ended(
        self,
        attempt: int,
        response: HttpResponse | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """Close the attempt's span; record its duration, and a throttled answer."""
        if not self._on_wire:
            return
        self._on_wire = False
        owner = self._owner
        owner.in_flight.add(-1, self._server)
        measured = dict(self._server)
        span, self._attempt = self._attempt, None
        if response is not None:
            measured["http.response.status_code"] = response.status
        if error is not None:
            measured["error.type"] = error_type(error)
        if span is not None:
            if response is not None:
                request_id = error.request_id if isinstance(error, APIError) else None
                request_id = request_id or response.headers.get(REQUEST_ID_HEADER)
                span.set_attributes(
                    {
                        "http.response.status_code": response.status,
                        "aiocloudocr.request_id": request_id,
                    }
                    if request_id
                    else {"http.response.status_code": response.status}
                )
            if error is not None:
                self._failed(span, error, measured["error.type"])
            span.end()
        if isinstance(error, ThrottledError):
            self._throttled(error)
        owner.duration.record(duration, measured)

    def _failed(self, span: Span, error: BaseException, kind: str) -> None:
        attributes: dict[str, Any] = {"error.type": kind}
        if isinstance(error, APIError):
            if error.code:
                attributes["aiocloudocr.error_code"] = error.code
            if error.request_id:
                attributes["aiocloudocr.request_id"] = error.request_id
        span.set_attributes(attributes)
        # The description is the class and the (already scrubbed) message of our own errors,
        # and only the class of anyone else's: their text was never scrubbed.
        message = error.message if isinstance(error, APIError) else None
        description = type(error).__name__ + (f": {message}" if message else "")
        span.set_status(self._owner.error_status(description))

    def _throttled(self, error: ThrottledError) -> None:
        code = error.code or str(error.status)
        self._owner.throttled.add(
            1, {"aiocloudocr.operation": self.call.operation, "error.type": code}
        )
        if self._span is None:
            return
        event: dict[str, Any] = {"code": code}
        stated = error.rate_limit
        if stated is not None:
            event["limit.requests"], event["limit.seconds"] = stated
        if error.retry_after is not None:
            event["retry_after"] = error.retry_after
        self._span.add_event("throttled", event)

    def waited(self, kind: WaitKind, seconds: float) -> None:
        """A ``limiter.wait`` or ``slot.wait`` event."""
        if self._span is not None:
            self._span.add_event(f"{kind}.wait", {"seconds": seconds})

    def retrying(self, delay: float, error: BaseException | None, attempt: int) -> None:
        """A ``retry`` event; count the retry."""
        kind = "unknown" if error is None else error_type(error)
        self._owner.retries.add(
            1, {"aiocloudocr.operation": self.call.operation, "error.type": kind}
        )
        if self._span is not None:
            self._span.add_event("retry", {"delay": delay, "attempt": attempt, "error.type": kind})

    def call_ended(self, delivery: Delivery | None, error: BaseException | None) -> None:
        """Close the call's span (and an attempt's, if one was cut short); detach it."""
        span = self._span
        if span is None:
            return
        try:
            if self._attempt is not None:
                self._attempt.end()
                self._attempt = None
            if delivery is not None:
                request_id = delivery.request_id
                span.set_attributes(
                    {
                        "aiocloudocr.attempts": delivery.attempts,
                        "aiocloudocr.request_id": request_id,
                    }
                    if request_id
                    else {"aiocloudocr.attempts": delivery.attempts}
                )
            elif error is not None:
                attempts = getattr(error, "attempts", None)
                if isinstance(attempts, int):
                    span.set_attribute("aiocloudocr.attempts", attempts)
                if isinstance(error, Exception):
                    self._failed(span, error, error_type(error))
                else:  # cancelled (or the process is stopping): not a failure of the call
                    span.set_attribute("error.type", error_type(error))
            span.end()
        finally:
            if self._token is not None:
                self._owner.detach(self._token)
