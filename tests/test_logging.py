"""Structured log records of each attempt and retry, and the AIOCLOUDOCR_LOG switch."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from typing import Any

import pytest

from aiocloudocr import NO_RETRY, TransportError
from aiocloudocr.emulator import Fault
from tests.conftest import aksk_client
from tests.fakes import FakeSleep, make_png

PNG = make_png(40, 30)
FIELDS = ("operation", "service", "status", "code", "error", "attempt", "latency_ms", "request_id")


def extra(record: logging.LogRecord) -> SimpleNamespace:
    """The record's attributes, those given as ``extra=`` included, by name."""
    return SimpleNamespace(**record.__dict__)


def attempt_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The per-attempt DEBUG records."""
    return [r for r in caplog.records if " status=" in r.getMessage()]


async def test_each_attempt_logs_its_fields_as_extra(
    emulator: Any, caplog: pytest.LogCaptureFixture, fake_sleep: FakeSleep
) -> None:
    """The per-attempt line keeps its text and carries its fields; the retry line too."""
    caplog.set_level(logging.DEBUG, logger="aiocloudocr")
    emulator.inject("web_image", Fault(status=503, code="ModelArts.4403"))
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        result = await client.web_image(PNG)
    assert result.meta is not None
    failed_record, answered_record = attempt_records(caplog)
    failed, answered = extra(failed_record), extra(answered_record)
    assert re.fullmatch(
        r"web_image status=503 code=ModelArts\.4403 attempt=1 latency_ms=\d+\.\d request_id=\w+",
        failed_record.getMessage(),
    )
    assert answered_record.getMessage() == (
        f"web_image status=200 code=- attempt=2 latency_ms={answered.latency_ms:.1f} "
        f"request_id={result.meta.request_id}"
    )
    fields = {name: getattr(answered, name) for name in FIELDS}
    assert fields == {
        "operation": "web_image", "service": "ocr", "status": 200, "code": None, "error": None,
        "attempt": 2, "latency_ms": answered.latency_ms, "request_id": result.meta.request_id,
    }  # fmt: skip
    assert isinstance(answered.latency_ms, float) and answered.latency_ms >= 0
    assert (failed.status, failed.code, failed.attempt) == (503, "ModelArts.4403", 1)
    (wait,) = [extra(r) for r in caplog.records if "retry in" in r.getMessage()]
    assert (wait.operation, wait.attempt, wait.delay, wait.error) == (
        "web_image", 1, fake_sleep.waits[0], "ServerError",
    )  # fmt: skip


async def test_an_attempt_without_an_answer_logs_the_failure(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """No answer: ``status`` is None and ``error`` names the failure, as the text does."""
    caplog.set_level(logging.DEBUG, logger="aiocloudocr")
    emulator.inject("web_image", Fault(drop=True))
    async with aksk_client(emulator.url, retry=NO_RETRY) as client:
        with pytest.raises(TransportError) as info:
            await client.web_image(PNG)
    (logged,) = attempt_records(caplog)
    name = type(info.value).__name__
    assert logged.getMessage().startswith(f"web_image status={name} code=- attempt=1")
    record = extra(logged)
    assert (record.status, record.error, record.request_id) == (None, name, None)
    assert record.latency_ms is not None


def run_with_env(value: str | None, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """One call in a fresh interpreter with AIOCLOUDOCR_LOG set to ``value``."""
    code = textwrap.dedent(f"""
        import asyncio, logging
        {prelude}
        from aiocloudocr import AkSkCredentials, Client
        from aiocloudocr.testing import MockTransport, json_response

        answer = {{"result": {{"words_block_count": 0, "words_block_list": []}}}}
        keys = AkSkCredentials(access_key="AKTESTEXAMPLE0000000", secret_key="S" * 40)

        async def main() -> None:
            transport = MockTransport(lambda request: json_response(answer))
            async with Client(keys, region="ap-southeast-1", project_id="p1",
                              transport=transport, tracing=False) as client:
                await client.web_image(url="https://example.com/a.png")

        asyncio.run(main())
    """)
    env = {k: v for k, v in os.environ.items() if k != "AIOCLOUDOCR_LOG"}
    if value is not None:
        env["AIOCLOUDOCR_LOG"] = value
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.mark.parametrize(
    ("value", "shown"), [("debug", True), ("DEBUG", True), ("info", False), (None, False)]
)
def test_aiocloudocr_log_sends_the_logger_to_stderr(value: str | None, shown: bool) -> None:
    """AIOCLOUDOCR_LOG=debug prints the per-attempt lines on stderr; info and unset do not."""
    done = run_with_env(value)
    assert done.returncode == 0, done.stderr
    assert ("web_image status=200 code=- attempt=1" in done.stderr) is shown
    if not shown:
        assert done.stderr == ""


def test_aiocloudocr_log_leaves_a_configured_logger_alone() -> None:
    """A logger that already has a handler gets no second one and keeps its level."""
    prelude = 'logging.getLogger("aiocloudocr").addHandler(logging.NullHandler())'
    done = run_with_env("debug", prelude)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
