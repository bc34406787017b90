"""Bulk runs stop at once on errors no input can avoid, and resume exactly what is left."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr import (
    AkSkCredentials,
    AuthenticationError,
    Client,
    NotSubscribedError,
    Outcome,
    PasswordCredentials,
    RetryPolicy,
    RunAbortedError,
)
from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    DEFAULT_USER,
    EmulatorConfig,
    RunningEmulator,
    run_emulator,
)
from aiocloudocr.emulator._faults import Fault
from tests.fakes import FakeSleep, make_png

PNG = make_png(32, 32)
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.002)


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    """A fresh emulator per test."""
    async with run_emulator() as running:
        yield running


def inputs(n: int) -> list[tuple[str, bytes]]:
    """``n`` keyed PNG inputs."""
    return [(f"img-{i:04d}", PNG) for i in range(n)]


async def run_map(
    client: Client, items: list[tuple[str, bytes]], **options: object
) -> tuple[list[Outcome[Any]], BaseException | None]:
    """Drive a map to its end; return its outcomes and the error that ended it, if any."""
    outcomes: list[Outcome[Any]] = []
    error: BaseException | None = None
    try:
        async for outcome in client.map("web_image", items, **options):  # type: ignore[arg-type]
            outcomes.append(outcome)
    except RunAbortedError as caught:
        error = caught
    return outcomes, error


@pytest.mark.parametrize("concurrency", [1, 64])
async def test_wrong_secret_key_sends_at_most_five_requests(
    emulator: RunningEmulator, concurrency: int
) -> None:
    """A wrong SK stops a 300-input run after at most 5 requests (the lockout threshold)."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key="wrong-" + "s" * 34)
    async with Client(
        credentials, endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID, retry=FAST
    ) as client:
        outcomes, error = await run_map(client, inputs(300), concurrency=concurrency)
    assert isinstance(error, RunAbortedError)
    assert isinstance(error.cause, AuthenticationError)
    assert "check the access key and secret key" in str(error)
    assert emulator.stats.requests["web_image"] <= 5
    assert 1 <= len(outcomes) <= concurrency
    assert all(not o.ok and not o.final for o in outcomes)


async def test_rejected_key_is_remembered_for_single_calls(emulator: RunningEmulator) -> None:
    """After the service refused a key, further calls raise without sending anything."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key="wrong-" + "s" * 34)
    async with Client(
        credentials, endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID, retry=FAST
    ) as client:
        for _ in range(10):
            with pytest.raises(AuthenticationError):
                await client.web_image(PNG)
    assert emulator.stats.requests["web_image"] == 1


async def test_wrong_password_stops_the_run_after_one_login(emulator: RunningEmulator) -> None:
    """A wrong IAM password: at most 2 IAM requests, no OCR request, the run stops."""
    credentials = PasswordCredentials(
        username=DEFAULT_USER.name,
        password="not-the-password",
        domain=DEFAULT_USER.domain,
        project_id=DEFAULT_PROJECT_ID,
    )
    async with Client(credentials, endpoint=emulator.url, retry=FAST) as client:
        outcomes, error = await run_map(client, inputs(200), concurrency=32)
    assert isinstance(error, RunAbortedError)
    assert emulator.stats.requests["iam"] <= 2
    assert emulator.stats.requests["web_image"] == 0
    assert all(not o.final for o in outcomes)


async def test_unsubscribed_operation_stops_the_run_after_one_request() -> None:
    """ModelArts.4204 on the first request stops the run; the others are not sent."""
    config = EmulatorConfig(unsubscribed=("web_image",))
    async with run_emulator(config) as running:
        credentials = AkSkCredentials(
            access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk
        )
        async with Client(
            credentials, endpoint=running.url, project_id=DEFAULT_PROJECT_ID, retry=FAST
        ) as client:
            outcomes, error = await run_map(client, inputs(200), concurrency=64)
        sent = running.stats.requests["web_image"]
    assert isinstance(error, RunAbortedError)
    assert isinstance(error.cause, NotSubscribedError)
    assert "subscribe to it in the console" in str(error)
    assert sent == 1
    assert outcomes and all(not o.final for o in outcomes)


async def test_missing_project_id_stops_the_run_before_sending(
    emulator: RunningEmulator,
) -> None:
    """No project id (and no way to find one) stops the run once, nothing sent."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    async with Client(credentials, endpoint=emulator.url) as client:
        outcomes, error = await run_map(client, inputs(100), concurrency=16)
    assert isinstance(error, RunAbortedError)
    assert "project id" in str(error)
    assert sum(emulator.stats.requests.values()) == 0
    assert len(outcomes) <= 16


async def test_resume_redoes_systemic_failures_and_keeps_final_ones(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """A resumed run redoes what the configuration failed, not the inputs' own faults."""
    checkpoint = tmp_path / "run.jsonl"
    bad = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key="wrong-" + "s" * 34)
    items = [*inputs(30), ("broken", b"not an image at all")]
    async with Client(bad, endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID) as client:
        _, error = await run_map(client, items, concurrency=8, checkpoint=checkpoint)
    assert isinstance(error, RunAbortedError)
    good = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    async with Client(good, endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID) as client:
        second, error = await run_map(client, items, concurrency=8, checkpoint=checkpoint)
        third, _ = await run_map(client, items, concurrency=8, checkpoint=checkpoint)
        fourth, _ = await run_map(
            client, items, concurrency=8, checkpoint=checkpoint, retry_failed=True
        )
    assert error is None
    assert sorted(str(o.key) for o in second if o.ok) == sorted(k for k, _ in inputs(30))
    assert [o.key for o in second if not o.ok] == ["broken"]
    assert third == []  # everything left is final
    assert [o.key for o in fourth] == ["broken"]  # --retry-failed redoes the final failures
    lines = [json.loads(line) for line in checkpoint.read_text().splitlines()]
    last = {line["key"]: line for line in lines}
    assert Counter(line["final"] for line in last.values()) == Counter({True: 31})


async def test_transient_failures_after_retries_are_not_final(
    emulator: RunningEmulator,
) -> None:
    """An input that kept failing with 503 is recorded as retryable, not final."""
    emulator.inject("web_image", Fault(status=503, code="ModelArts.4403"), times=3)
    async with Client(
        AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk),
        endpoint=emulator.url,
        project_id=DEFAULT_PROJECT_ID,
        retry=FAST,
        sleep=FakeSleep(),
    ) as client:
        outcomes, error = await run_map(client, inputs(1), concurrency=1)
    assert error is None
    (outcome,) = outcomes
    assert not outcome.ok and not outcome.final
    assert outcome.record()["final"] is False


async def test_stop_lets_in_flight_inputs_finish_and_ends_quietly(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """stop() starts no further input; what was in flight is yielded and checkpointed."""
    checkpoint = tmp_path / "run.jsonl"
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    async with Client(credentials, endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID) as client:
        run = client.map("web_image", inputs(200), concurrency=4, checkpoint=checkpoint)
        seen = []
        async for outcome in run:
            seen.append(outcome)
            if len(seen) == 10:
                run.stop()
        rest, error = await run_map(client, inputs(200), concurrency=4, checkpoint=checkpoint)
    assert error is None
    assert 10 <= len(seen) <= 10 + 2 * 4 and all(o.ok for o in seen)
    lines = checkpoint.read_text().splitlines()
    assert len(lines) == 200
    assert sorted(str(o.key) for o in [*seen, *rest]) == sorted(k for k, _ in inputs(200))
