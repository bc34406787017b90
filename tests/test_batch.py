"""client.map: bulk runs with bounded memory, every input accounted for once, checkpoints."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr import ConfigurationError, RetryPolicy
from aiocloudocr._batch import MapStats, Outcome
from aiocloudocr._checkpoint import CheckpointWriter, read_checkpoint
from aiocloudocr.emulator import Fault
from tests.conftest import aksk_client
from tests.fakes import FakeSleep, make_png


def images(count: int) -> list[bytes]:
    """Distinct small PNGs."""
    return [make_png(32, 24, seed=i) for i in range(count)]


async def test_every_input_yields_one_outcome(emulator: Any) -> None:
    """N inputs give N outcomes, one per index, all ok."""
    async with aksk_client(emulator.url, concurrency=8) as client:
        outcomes = [o async for o in client.map("web_image", images(40))]
    assert sorted(o.index for o in outcomes) == list(range(40))
    assert all(o.ok and o.attempts == 1 for o in outcomes)
    assert emulator.stats.requests["web_image"] == 40


async def test_paths_are_keys_and_fields_apply_to_all(emulator: Any, tmp_path: Path) -> None:
    """A path input is its own key; request fields are applied to every input."""
    paths = []
    for i, data in enumerate(images(5)):
        path = tmp_path / f"img{i}.png"
        path.write_bytes(data)
        paths.append(path)
    async with aksk_client(emulator.url) as client:
        outcomes = [o async for o in client.map("web_image", paths, extract_type=["image_size"])]
    assert {o.key for o in outcomes} == {str(p) for p in paths}
    for outcome in outcomes:
        assert outcome.result is not None
        assert outcome.result.extracted_data.image_size.width == 32


async def test_bad_inputs_fail_alone_and_send_nothing(emulator: Any) -> None:
    """Bad inputs become failed outcomes without requests; the rest of the run goes on."""
    good = images(6)
    inputs: list[Any] = [*good[:3], b"", b"not an image at all", "missing.png", *good[3:]]
    async with aksk_client(emulator.url) as client:
        outcomes = [o async for o in client.map("web_image", inputs)]
    failed = {o.index: o for o in outcomes if not o.ok}
    assert sorted(failed) == [3, 4, 5]
    assert {o.error.code for o in failed.values()} == {"AIS.0101", "AIS.0102"}  # type: ignore[union-attr]
    assert all(o.attempts == 0 for o in failed.values())
    assert emulator.stats.requests["web_image"] == 6


async def test_ordered_output_follows_input_order(emulator: Any) -> None:
    """With ordered=True outcomes come in input order even when the first one is slowest."""
    emulator.inject("web_image", Fault(stall=0.3, status=None), times=1)
    async with aksk_client(emulator.url, concurrency=4) as client:
        ordered = [o.index async for o in client.map("web_image", images(12), ordered=True)]
    assert ordered == list(range(12))


async def test_inputs_are_read_lazily_with_bounded_holding(emulator: Any) -> None:
    """A long generator is pulled about 2 x concurrency ahead of the outcomes, never more."""
    pulled = 0
    data = make_png(32, 24)

    def generate() -> Iterator[bytes]:
        nonlocal pulled
        for _ in range(400):
            pulled += 1
            yield data

    seen = 0
    max_ahead = 0
    run = None
    async with aksk_client(emulator.url, concurrency=8) as client:
        run = client.map("web_image", generate())
        async for _ in run:
            seen += 1
            max_ahead = max(max_ahead, pulled - seen)
    assert seen == 400
    assert run.stats.max_held <= 16
    assert max_ahead <= 16 + 1


async def test_async_iterable_inputs(emulator: Any) -> None:
    """An async iterable of inputs works like a sync one."""

    async def stream() -> AsyncIterator[bytes]:
        for data in images(10):
            yield data

    async with aksk_client(emulator.url) as client:
        outcomes = [o async for o in client.map("web_image", stream())]
    assert len(outcomes) == 10


async def test_faults_are_retried_and_every_input_accounted_once(
    emulator: Any, fake_sleep: FakeSleep
) -> None:
    """With 5xx, throttles and dropped connections injected, each input ends exactly once."""
    for _ in range(25):  # 75 faults, interleaved
        emulator.inject("web_image", Fault(status=503))
        emulator.inject("web_image", Fault(status=429, code="ModelArts.4401"))
        emulator.inject("web_image", Fault(drop=True))
    data = make_png(32, 24)
    policy = RetryPolicy(max_attempts=20)
    async with aksk_client(emulator.url, concurrency=16, sleep=fake_sleep, retry=policy) as client:
        outcomes = [o async for o in client.map("web_image", [data] * 300)]
    assert Counter(o.index for o in outcomes) == Counter(range(300))
    assert all(o.ok for o in outcomes)
    assert sum(o.attempts for o in outcomes) == 300 + 75
    assert emulator.stats.requests["web_image"] == 375


async def test_progress_callback_sees_every_outcome(emulator: Any) -> None:
    """The progress callback is called once per outcome with live counters."""
    calls: list[tuple[int, int]] = []

    def progress(stats: MapStats, outcome: Outcome[Any]) -> None:
        calls.append((stats.done, stats.ok))

    async with aksk_client(emulator.url) as client:
        async for _ in client.map("web_image", images(7), progress=progress):
            pass
    assert calls == [(i, i) for i in range(1, 8)]


async def test_checkpoint_resume_skips_done_inputs(emulator: Any, tmp_path: Path) -> None:
    """A stopped run resumes from its checkpoint: done inputs are not sent again."""
    checkpoint = tmp_path / "run.jsonl"
    inputs = [(f"item-{i}", data) for i, data in enumerate(images(20))]
    async with aksk_client(emulator.url, concurrency=4) as client:
        first = []
        async with client.map("web_image", inputs, checkpoint=checkpoint) as outcomes:
            async for outcome in outcomes:
                first.append(outcome.key)
                if len(first) == 8:
                    break
        second = [o.key async for o in client.map("web_image", inputs, checkpoint=checkpoint)]
    recorded = read_checkpoint(checkpoint)
    assert set(recorded) == {f"item-{i}" for i in range(20)}
    assert all(r["status"] == "ok" for r in recorded.values())
    done_first = set(read_keys(checkpoint)[: len(recorded)]) - set(second)
    assert set(first) <= done_first
    lines = read_keys(checkpoint)
    assert len(lines) == len(set(lines)) == 20
    assert emulator.stats.requests["web_image"] <= 20 + 4


async def test_failed_inputs_are_retried_only_when_asked(emulator: Any, tmp_path: Path) -> None:
    """Failed inputs stay failed on resume unless retry_failed is set."""
    checkpoint = tmp_path / "run.jsonl"
    inputs: list[Any] = [("good", make_png(32, 24)), ("bad", b"")]
    async with aksk_client(emulator.url) as client:
        assert len([o async for o in client.map("web_image", inputs, checkpoint=checkpoint)]) == 2
        assert [o async for o in client.map("web_image", inputs, checkpoint=checkpoint)] == []
        again = [
            o
            async for o in client.map("web_image", inputs, checkpoint=checkpoint, retry_failed=True)
        ]
    assert [o.key for o in again] == ["bad"]


async def test_torn_last_line_is_ignored_and_cut(emulator: Any, tmp_path: Path) -> None:
    """A line torn by kill -9 is ignored, and the next append starts on a fresh line."""
    checkpoint = tmp_path / "run.jsonl"
    checkpoint.write_text('{"key": "a", "status": "ok"}\n{"key": "b", "stat')
    inputs = [("a", make_png(32, 24)), ("b", make_png(32, 24, seed=1))]
    async with aksk_client(emulator.url) as client:
        outcomes = [o async for o in client.map("web_image", inputs, checkpoint=checkpoint)]
    assert [o.key for o in outcomes] == ["b"]
    assert read_keys(checkpoint) == ["a", "b"]


async def test_secrets_never_reach_the_checkpoint(emulator: Any, tmp_path: Path) -> None:
    """The checkpoint holds results and error text, never the key pair."""
    from aiocloudocr.emulator import DEFAULT_KEY_PAIR

    checkpoint = tmp_path / "run.jsonl"
    emulator.inject("web_image", Fault(status=400, code="AIS.0103",
                                       message=f"echo {DEFAULT_KEY_PAIR.sk}"))  # fmt: skip
    async with aksk_client(emulator.url) as client:
        async for _ in client.map("web_image", images(3), checkpoint=checkpoint):
            pass
    assert DEFAULT_KEY_PAIR.sk not in checkpoint.read_text()


async def test_unknown_fields_fail_before_the_run(emulator: Any) -> None:
    """A misspelt or invalid field is refused once, up front."""
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ConfigurationError, match="no field detect_fnt"):
            client.map("web_image", [], detect_fnt=True)
        with pytest.raises(ValueError, match="limit"):
            client.map("image_tagging", [], limit=500)


def read_keys(path: Path) -> list[Any]:
    """The keys of the complete lines of a checkpoint, in file order."""
    return [json.loads(line)["key"] for line in path.read_text().splitlines() if line.strip()]


async def test_a_failing_input_iterable_ends_the_run_with_its_error(emulator: Any) -> None:
    """An exception raised by the inputs themselves reaches the caller; nothing hangs."""

    def broken() -> Iterator[bytes]:
        yield make_png(32, 24)
        raise RuntimeError("source went away")

    async with aksk_client(emulator.url) as client:
        with pytest.raises(RuntimeError, match="source went away"):
            async for _ in client.map("web_image", broken()):
                pass


async def test_a_failing_checkpoint_ends_the_run(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint that cannot be written (disk full) stops the run with that error."""

    async def disk_full(self: CheckpointWriter, record: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(CheckpointWriter, "write", disk_full)
    async with aksk_client(emulator.url) as client:
        run = client.map("web_image", images(3), checkpoint=tmp_path / "run.jsonl")
        with pytest.raises(OSError, match="No space left"):
            async for _ in run:
                pass


async def test_abandoned_run_then_resume_never_duplicates(emulator: Any, tmp_path: Path) -> None:
    """Breaking out without `async with` and resuming at once still writes each input once."""
    checkpoint = tmp_path / "run.jsonl"
    inputs = [(f"item-{i}", data) for i, data in enumerate(images(30))]
    async with aksk_client(emulator.url, concurrency=4) as client:
        count = 0
        async for _ in client.map("web_image", inputs, checkpoint=checkpoint):
            count += 1
            if count == 5:
                break
        rest = [o.key async for o in client.map("web_image", inputs, checkpoint=checkpoint)]
    lines = read_keys(checkpoint)
    assert len(lines) == len(set(lines)) == 30
    assert set(rest) | set(lines[: 30 - len(rest)]) == {f"item-{i}" for i in range(30)}


async def test_a_run_is_iterated_once(emulator: Any) -> None:
    """Iterating the same run twice is refused rather than silently re-sending everything."""
    async with aksk_client(emulator.url) as client:
        run = client.map("web_image", images(2))
        assert len([o async for o in run]) == 2
        with pytest.raises(RuntimeError, match="iterated once"):
            run.__aiter__()


async def test_a_throttled_run_adapts_to_the_stated_limit() -> None:
    """Under a rate limit the run learns the stated rate: few throttles, nothing fails."""
    from aiocloudocr.emulator import EmulatorConfig, run_emulator

    config = EmulatorConfig(rate_limit=50, rate_window=0.5)
    data = [make_png(32, 24, seed=i) for i in range(200)]
    async with run_emulator(config) as emulator:
        async with aksk_client(emulator.url, concurrency=16) as client:
            outcomes = [o async for o in client.map("web_image", data)]
            limiter = client.limiter("ocr")
            assert limiter is not None
            state = limiter.state()
        throttled = emulator.stats.throttled
        sent = emulator.stats.requests["web_image"]
    assert all(o.ok for o in outcomes)
    assert len(outcomes) == 200
    assert state.stated_rate == 100.0
    assert sent == 200 + throttled
    # The first wave (about `concurrency` requests) meets the limit blind; after that the
    # pacing keeps refusals rare (generous: a loaded CI machine bunches some sends).
    assert throttled <= 16 + 200 * 0.1


async def test_a_known_quota_avoids_the_first_wave_of_throttles() -> None:
    """With rate_limit= the client paces from the first request: (almost) never refused."""
    from aiocloudocr.emulator import EmulatorConfig, run_emulator

    config = EmulatorConfig(rate_limit=50, rate_window=0.5)
    data = [make_png(32, 24, seed=i) for i in range(120)]
    async with run_emulator(config) as emulator:
        async with aksk_client(emulator.url, concurrency=16, rate_limit=(50, 0.5)) as client:
            outcomes = [o async for o in client.map("web_image", data)]
        # Zero on a quiet machine; a loaded one can delay and bunch a few paced sends.
        assert emulator.stats.throttled <= 120 * 0.05
    assert all(o.ok for o in outcomes)


async def test_two_thousand_items_with_random_faults_each_end_once(fake_sleep: FakeSleep) -> None:
    """2,000 inputs through 5xx, dropped connections and stalls: every input ends once, ok."""
    from aiocloudocr.emulator import EmulatorConfig, run_emulator

    config = EmulatorConfig(
        fault_rate=0.08, fault_rates={"drop": 0.03, "stall": 0.005}, stall=3.0, seed=7
    )
    data = make_png(32, 24)
    policy = RetryPolicy(max_attempts=8)
    async with run_emulator(config) as emulator:
        async with aksk_client(emulator.url, concurrency=32, sleep=fake_sleep, retry=policy,
                               timeout=1.0) as client:  # fmt: skip
            outcomes = [o async for o in client.map("web_image", [data] * 2000)]
        faults = emulator.stats.faults
        sent = emulator.stats.requests["web_image"]
    assert Counter(o.index for o in outcomes) == Counter(range(2000))
    assert all(o.ok for o in outcomes)
    assert faults["drop"] > 0 and faults["stall"] > 0 and faults["5xx"] > 0
    assert sum(o.attempts for o in outcomes) == sent
    # Every fault costs one more attempt; on a loaded machine an ordinary answer slower than
    # the timeout can cost one too.
    assert sent >= 2000 + sum(faults.values())
