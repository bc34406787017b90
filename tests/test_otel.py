"""OpenTelemetry spans and metrics of calls against the emulator, with the real SDK in memory."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler
from opentelemetry.trace import SpanKind, StatusCode

import aiocloudocr._otel as otel_module
from aiocloudocr import (
    NO_RETRY,
    AkSkCredentials,
    APIError,
    Client,
    ConfigurationError,
    ImageError,
    PasswordCredentials,
    TokenCredentials,
    TransportError,
)
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, DEFAULT_USER, Fault
from tests.conftest import aksk_client
from tests.fakes import FakeSleep, make_png

PNG = make_png(40, 30)


class Telemetry:
    """The in-memory SDK the client reports to in a test."""

    def __init__(self, sampler: Sampler | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider(sampler=sampler)
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.observer = otel_module.OtelObserver(
            tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[self.reader])
        )
        self.tracer = provider.get_tracer("tests")

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        """Finished spans, oldest first (of one name, if given)."""
        spans = self.exporter.get_finished_spans()
        return [s for s in spans if name is None or s.name == name]

    def points(self, metric: str) -> list[Any]:
        """The data points of one metric (cumulative)."""
        data = self.reader.get_metrics_data()
        found = [
            m
            for rm in (data.resource_metrics if data else [])
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == metric
        ]
        return list(found[0].data.data_points) if found else []


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Telemetry:
    """Clients created in the test report to an in-memory SDK (not the global providers)."""
    telemetry = Telemetry()
    monkeypatch.setattr(otel_module, "default_observer", lambda: telemetry.observer)
    return telemetry


def children(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    """The spans whose parent is ``parent``."""
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


def attributes(span: ReadableSpan) -> dict[str, Any]:
    """A span's attributes as a plain dict."""
    return dict(span.attributes or {})


async def test_a_call_is_an_internal_span_over_one_client_span(
    emulator: Any, otel: Telemetry
) -> None:
    """One call: an INTERNAL span under the caller's, one CLIENT span per the HTTP conventions."""
    async with aksk_client(emulator.url) as client:
        with otel.tracer.start_as_current_span("caller") as caller:
            result = await client.web_image(PNG)
            assert trace.get_current_span() is caller
    assert result.meta is not None  # the call's span was detached
    spans = otel.spans()
    (outer,) = [s for s in spans if s.name == "caller"]
    (call,) = children(spans, outer)
    (attempt,) = children(spans, call)
    assert call.name == "aiocloudocr.web_image" and call.kind is SpanKind.INTERNAL
    assert attempt.name == "POST" and attempt.kind is SpanKind.CLIENT
    port = int(emulator.url.rsplit(":", 1)[1])
    assert attributes(attempt) == {
        "http.request.method": "POST",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.full": f"{emulator.url}/v2/{DEFAULT_PROJECT_ID}/ocr/web-image",
        "http.response.status_code": 200,
        "aiocloudocr.request_id": result.meta.request_id,
    }
    assert attributes(call) == {
        "aiocloudocr.operation": "web_image",
        "aiocloudocr.service": "ocr",
        "aiocloudocr.attempts": 1,
        "aiocloudocr.request_id": result.meta.request_id,
    }
    assert call.status.status_code is attempt.status.status_code is StatusCode.UNSET


async def test_a_retried_call_has_a_span_per_attempt_with_resend_counts(
    emulator: Any, otel: Telemetry, fake_sleep: FakeSleep
) -> None:
    """Two 503s then a 200: three CLIENT spans (resend_count 1, 2) and a retry event per wait."""
    emulator.inject("web_image", Fault(status=503, code="ModelArts.4403"), times=2)
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        result = await client.web_image(PNG)
    assert result.meta is not None and result.meta.attempts == 3
    (call,) = otel.spans("aiocloudocr.web_image")
    attempts = children(otel.spans(), call)
    assert [attributes(s).get("http.request.resend_count") for s in attempts] == [None, 1, 2]
    assert [attributes(s)["http.response.status_code"] for s in attempts] == [503, 503, 200]
    assert [attributes(s).get("error.type") for s in attempts] == [
        "ModelArts.4403", "ModelArts.4403", None,
    ]  # fmt: skip
    assert [s.status.status_code for s in attempts] == [StatusCode.ERROR] * 2 + [StatusCode.UNSET]
    retries = [dict(e.attributes or {}) for e in call.events if e.name == "retry"]
    assert retries == [
        {"delay": fake_sleep.waits[0], "attempt": 1, "error.type": "ModelArts.4403"},
        {"delay": fake_sleep.waits[1], "attempt": 2, "error.type": "ModelArts.4403"},
    ]
    assert call.status.status_code is StatusCode.UNSET
    assert attributes(call)["aiocloudocr.attempts"] == 3
    (counted,) = otel.points("aiocloudocr.retries")
    assert counted.value == 2
    assert dict(counted.attributes) == {
        "aiocloudocr.operation": "web_image", "error.type": "ModelArts.4403",
    }  # fmt: skip


async def test_a_throttled_answer_is_an_event_and_a_count(
    emulator: Any, otel: Telemetry, fake_sleep: FakeSleep
) -> None:
    """APIG.0308 stating its limit: a ``throttled`` event with the code and the limit."""
    emulator.inject(
        "web_image",
        Fault(status=429, code="APIG.0308", message="limit:50,time:1 second", retry_after=2),
    )
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        await client.web_image(PNG)
    (call,) = otel.spans("aiocloudocr.web_image")
    throttled = [dict(e.attributes or {}) for e in call.events if e.name == "throttled"]
    assert throttled == [
        {"code": "APIG.0308", "limit.requests": 50, "limit.seconds": 1.0, "retry_after": 2.0}
    ]
    assert [e.name for e in call.events if e.name in ("throttled", "retry")] == [
        "throttled", "retry",
    ]  # fmt: skip
    (counted,) = otel.points("aiocloudocr.throttled")
    assert counted.value == 1
    assert dict(counted.attributes) == {
        "aiocloudocr.operation": "web_image", "error.type": "APIG.0308",
    }  # fmt: skip


async def test_a_failed_call_has_error_status_and_type(emulator: Any, otel: Telemetry) -> None:
    """An error answer: both spans ERROR, ``error.type`` and ``aiocloudocr.error_code`` set."""
    emulator.inject("web_image", Fault(status=400, code="AIS.0103"))
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ImageError) as info:
            await client.web_image(PNG)
    (call,) = otel.spans("aiocloudocr.web_image")
    (attempt,) = children(otel.spans(), call)
    for span in (call, attempt):
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == f"ImageError: {info.value.message}"
        assert attributes(span)["error.type"] == "AIS.0103"
        assert attributes(span)["aiocloudocr.error_code"] == "AIS.0103"
        assert attributes(span)["aiocloudocr.request_id"] == info.value.request_id
    assert attributes(attempt)["http.response.status_code"] == 400


async def test_no_answer_is_an_error_named_by_its_class(emulator: Any, otel: Telemetry) -> None:
    """A dropped connection: ``error.type`` is the exception's qualified class, no status code."""
    emulator.inject("web_image", Fault(drop=True))
    async with aksk_client(emulator.url, retry=NO_RETRY) as client:
        with pytest.raises(TransportError) as info:
            await client.web_image(PNG)
    expected = f"aiocloudocr.errors.{type(info.value).__name__}"
    (call,) = otel.spans("aiocloudocr.web_image")
    (attempt,) = children(otel.spans(), call)
    for span in (call, attempt):
        assert span.status.status_code is StatusCode.ERROR
        assert attributes(span)["error.type"] == expected
        assert "http.response.status_code" not in attributes(span)
    (duration,) = otel.points("http.client.request.duration")
    assert dict(duration.attributes)["error.type"] == expected


async def test_map_items_are_children_of_the_span_where_the_map_is_iterated(
    emulator: Any, otel: Telemetry
) -> None:
    """Every item of a map gets its own call span under the iterating code's span."""
    async with aksk_client(emulator.url) as client:
        run = client.map("web_image", [make_png(32, 32, seed=i) for i in range(6)], concurrency=3)
        with otel.tracer.start_as_current_span("batch") as batch:
            outcomes = [outcome async for outcome in run]
    assert all(outcome.ok for outcome in outcomes) and len(outcomes) == 6
    spans = otel.spans()
    calls = otel.spans("aiocloudocr.web_image")
    assert len(calls) == 6
    assert children(spans, otel.spans("batch")[0]) == calls
    assert {s.context.trace_id for s in spans if s.context} == {batch.get_span_context().trace_id}
    for call in calls:
        assert [s.name for s in children(spans, call)] == ["POST"]


async def test_waits_for_the_limiter_and_a_wire_slot_are_events(
    emulator: Any, otel: Telemetry
) -> None:
    """With one request at a time, the second call's span records its wait (above 1 ms)."""
    for options in ({}, {"adaptive": False}):
        async with aksk_client(emulator.url, concurrency=1, tracing=False, **options) as client:
            await client.web_image(PNG)  # the first call of a client probes the service alone
            emulator.inject("web_image", Fault(stall=0.05, status=None))
            traced = client.with_options(tracing=None)
            await asyncio.gather(traced.web_image(PNG), traced.web_image(PNG))
    waits: list[tuple[str, Any]] = [
        (e.name, dict(e.attributes or {})["seconds"])
        for s in otel.spans("aiocloudocr.web_image")
        for e in s.events
    ]
    assert [name for name, _ in waits] == ["limiter.wait", "slot.wait"]
    assert all(0.03 < seconds < 5 for _, seconds in waits)


async def test_metrics_are_recorded_per_attempt(
    emulator: Any, otel: Telemetry, fake_sleep: FakeSleep
) -> None:
    """Request durations by status; nothing left in flight once the calls are done."""
    emulator.inject("web_image", Fault(status=503, code="ModelArts.4403"))
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        await asyncio.gather(*(client.web_image(PNG) for _ in range(3)))
    port = int(emulator.url.rsplit(":", 1)[1])
    base = {"http.request.method": "POST", "server.address": "127.0.0.1", "server.port": port}
    durations = {
        tuple(sorted(dict(p.attributes).items())): p
        for p in otel.points("http.client.request.duration")
    }
    ok = durations[tuple(sorted({**base, "http.response.status_code": 200}.items()))]
    failed = durations[
        tuple(
            sorted(
                {**base, "http.response.status_code": 503, "error.type": "ModelArts.4403"}.items()
            )
        )
    ]
    assert (ok.count, failed.count) == (3, 1)
    assert 0 < ok.sum < 5 and ok.explicit_bounds[:3] == (0.005, 0.01, 0.025)
    (in_flight,) = otel.points("aiocloudocr.in_flight")
    assert in_flight.value == 0 and dict(in_flight.attributes) == base


async def test_a_cancelled_call_ends_its_spans_without_an_error_status(
    emulator: Any, otel: Telemetry
) -> None:
    """Cancelled mid-request: both spans end, marked by error.type, not as failures."""
    emulator.inject("web_image", Fault(stall=2.0, status=None))
    sent = asyncio.Event()
    async with aksk_client(emulator.url, on_request=lambda request: sent.set()) as client:
        task = asyncio.ensure_future(client.web_image(PNG))
        await sent.wait()
        await asyncio.sleep(0.05)  # on the wire, inside the stall
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    (call,) = otel.spans("aiocloudocr.web_image")
    (attempt,) = children(otel.spans(), call)
    assert attributes(call)["error.type"] == "asyncio.exceptions.CancelledError"
    assert call.status.status_code is StatusCode.UNSET
    assert attempt.end_time is not None
    (in_flight,) = otel.points("aiocloudocr.in_flight")
    assert in_flight.value == 0


async def test_a_call_sampled_out_still_counts_in_the_metrics(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, fake_sleep: FakeSleep
) -> None:
    """Spans not recorded (sampled out): no span, no current-context change, metrics kept."""
    telemetry = Telemetry(sampler=ALWAYS_OFF)
    monkeypatch.setattr(otel_module, "default_observer", lambda: telemetry.observer)
    emulator.inject("web_image", Fault(status=503, code="ModelArts.4403"))
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        before = trace.get_current_span()
        await client.web_image(PNG)
        assert trace.get_current_span() is before
    assert telemetry.spans() == []
    assert sum(p.count for p in telemetry.points("http.client.request.duration")) == 2
    assert [p.value for p in telemetry.points("aiocloudocr.retries")] == [1]


async def test_tracing_false_makes_no_spans(emulator: Any, otel: Telemetry) -> None:
    """``Client(tracing=False)`` reports nothing, even with OpenTelemetry installed."""
    async with aksk_client(emulator.url, tracing=False) as client:
        await client.web_image(PNG)
    assert otel.spans() == []


def secrets_of(client: Client) -> list[str]:
    """Every secret a client holds or has sent."""
    found = list(client.credentials.secrets)
    if client.token_cache is not None and client.token_cache.current is not None:
        found.append(client.token_cache.current.value)
    return found


def everything_shown(spans: Sequence[ReadableSpan]) -> str:
    """All text a span exporter would ship: names, attributes, events, statuses."""
    parts: list[str] = []
    for span in spans:
        parts += [span.name, repr(dict(span.attributes or {})), str(span.status.description)]
        parts += [f"{e.name} {dict(e.attributes or {})!r}" for e in span.events]
    return "\n".join(parts)


@pytest.mark.parametrize("kind", ["aksk", "aksk+security-token", "password", "token"])
async def test_no_secret_reaches_a_span(
    emulator: Any, otel: Telemetry, kind: str, fake_sleep: FakeSleep
) -> None:
    """No SK, security token, password or IAM token in any span, even when echoed back."""
    credentials: Any = {
        "aksk": AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk),
        "aksk+security-token": AkSkCredentials(
            access_key=DEFAULT_KEY_PAIR.ak,
            secret_key=DEFAULT_KEY_PAIR.sk,
            security_token="SECURITYTOKEN-abcdef-0123456789",
        ),
        "password": PasswordCredentials(
            username=DEFAULT_USER.name,
            password=DEFAULT_USER.password,
            domain=DEFAULT_USER.domain,
            project_name=DEFAULT_USER.project_name,
        ),
        "token": TokenCredentials(token=emulator.issue_token()),
    }[kind]
    emulator.inject("web_image", Fault(status=500, code="ModelArts.4505", echo_headers="json"))
    emulator.inject("web_image", Fault(status=400, code="AIS.0101", echo_headers="text"))
    project = None if kind == "password" else DEFAULT_PROJECT_ID
    async with Client(
        credentials, endpoint=emulator.url, project_id=project, sleep=fake_sleep
    ) as client:
        with pytest.raises(APIError):
            await client.web_image(PNG)
        await client.web_image(PNG)
        secrets = secrets_of(client)
    assert len(otel.spans("POST")) >= 3
    shown = everything_shown(otel.spans())
    assert secrets and all(secret not in shown for secret in secrets)


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this one's), from the project root."""
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_importing_the_package_does_not_import_opentelemetry() -> None:
    """``import aiocloudocr`` leaves OpenTelemetry unimported (a client created later may)."""
    done = run_python("""
        import sys
        import aiocloudocr
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_opentelemetry_tracing_is_a_no_op() -> None:
    """OpenTelemetry not importable: calls work untraced; ``tracing=True`` says what to install."""
    done = run_python("""
        import asyncio, sys
        sys.modules["opentelemetry"] = None  # as if not installed
        from aiocloudocr import AkSkCredentials, Client, ConfigurationError
        from aiocloudocr.testing import MockTransport, json_response

        answer = {"result": {"words_block_count": 0, "words_block_list": []}}
        keys = AkSkCredentials(access_key="AKTESTEXAMPLE0000000", secret_key="S" * 40)

        async def main() -> None:
            transport = MockTransport(lambda request: json_response(answer))
            async with Client(keys, region="ap-southeast-1", project_id="p1",
                              transport=transport) as client:
                result = await client.web_image(url="https://example.com/a.png")
                print("call ok", result.words_block_count)
            try:
                Client(keys, region="ap-southeast-1", tracing=True, transport=transport)
            except ConfigurationError as error:
                print("refused:", error)

        asyncio.run(main())
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "call ok 0",
        "refused: tracing=True needs OpenTelemetry: pip install 'aiocloudocr[otel]'",
    ]


def test_tracing_is_on_by_default_through_the_global_providers() -> None:
    """A default client traces through a global provider, even one set after it was created."""
    done = run_python("""
        import asyncio, json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from aiocloudocr.testing import client_for
        from aiocloudocr.emulator import run_emulator
        from tests.fakes import make_png

        async def main() -> None:
            async with run_emulator() as running, client_for(running) as client:
                exporter = InMemorySpanExporter()
                provider = TracerProvider()
                provider.add_span_processor(SimpleSpanProcessor(exporter))
                trace.set_tracer_provider(provider)
                await client.web_image(make_png(32, 32))
            print(json.dumps([s.name for s in exporter.get_finished_spans()]))

        asyncio.run(main())
    """)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["POST", "aiocloudocr.web_image"]


def test_no_span_is_started_while_no_provider_is_set() -> None:
    """With the API installed but no SDK set up, calls open no span (nothing would record
    it); a provider set later is followed from the next call on."""
    done = run_python("""
        import asyncio, json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from aiocloudocr.testing import client_for
        from aiocloudocr.emulator import run_emulator
        from tests.fakes import make_png

        started = []
        original = trace.ProxyTracer.start_span
        def counting(self, *args, **kwargs):
            started.append(args[0] if args else kwargs.get("name"))
            return original(self, *args, **kwargs)
        trace.ProxyTracer.start_span = counting

        async def main() -> None:
            async with run_emulator() as running, client_for(running) as client:
                for _ in range(3):
                    await client.web_image(make_png(32, 32))
                before = len(started)
                trace.set_tracer_provider(TracerProvider())
                await client.web_image(make_png(32, 32))
            print(json.dumps([before, started[before:]]))

        asyncio.run(main())
    """)
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout)
    assert before == 0
    assert after[:1] == ["aiocloudocr.web_image"]


def test_tracing_takes_a_bool_or_none() -> None:
    """``tracing=`` is checked like any option: True, False or None (automatic)."""
    with pytest.raises(ConfigurationError):
        Client(
            AkSkCredentials(access_key="AK", secret_key="SK"),
            region="ap-southeast-1",
            tracing="yes",  # type: ignore[arg-type]
        )


async def test_a_failing_tracer_never_breaks_a_call(
    emulator: Any, otel: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """A tracer that raises is logged once at WARNING; every call still succeeds."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("exporter on fire")

    otel.observer.tracer.start_span = broken  # type: ignore[method-assign]
    async with aksk_client(emulator.url) as client:
        results = [await client.web_image(PNG) for _ in range(3)]
    assert all(r.words_block_list is not None for r in results)
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "RuntimeError" in warnings[0].getMessage()
