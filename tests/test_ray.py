"""Bulk runs on Ray Data under one account-wide quota: the quota's books and the worker's
limiter in-process, then real runs on a local Ray cluster (2 CPUs) against the emulator."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr import ConfigurationError, RequestTimeout, ThrottledError
from aiocloudocr.ray import (
    AccountQuota,
    ClientSettings,
    OcrMapper,
    QuotaBooks,
    QuotaLimiter,
    Report,
    map_ocr,
    skip_done,
)
from aiocloudocr.ray._emulator import emulator_in_thread
from tests.fakes import make_png

# The test cluster is one node on loopback only (Ray reads this when it is imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[test,ray]'")
pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'ray[data]'")

# Ray Data's own configuration warns about its deprecated settings; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")

ROOT = Path(__file__).resolve().parent.parent
N = 2000
LIMIT = 100  # the emulator's quota: requests per 1 s window
REGISTRY = "aiocloudocr-test-registry"
NAMESPACE = "aiocloudocr-tests"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


def throttle(limit: int = LIMIT, retry_after: float = 1.0) -> ThrottledError:
    """An APIG.0308 answer stating ``limit`` per second."""
    message = f"The throttling threshold has been reached: limit:{limit},time:1 second"
    return ThrottledError(message, status=429, code="APIG.0308", retry_after=retry_after)


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the books, without Ray -------------------------------------------------------------


async def test_books_grant_no_more_than_the_starting_concurrency() -> None:
    """While the quota is unknown a lease holds at most initial_concurrency permits, due now."""
    books = QuotaBooks(AccountQuota(initial_concurrency=4, wait=0.01), monotonic=Clock())
    grant = await books.lease("w1", Report(), 16)
    assert grant.sends == (0.0, 0.0, 0.0, 0.0)
    assert (await books.lease("w2", Report(), 16)).sends == ()
    assert books.state().in_flight == 4


async def test_a_report_frees_permits_for_the_next_lease() -> None:
    """Permits reported back (used or not) are granted again; a stale epoch's report is not."""
    books = QuotaBooks(AccountQuota(initial_concurrency=4, wait=0.01), monotonic=Clock())
    first = await books.lease("w1", Report(), 4)
    books.report("w1", Report(epoch=first.epoch + 1, latencies=(0.01,) * 4))
    assert books.state().in_flight == 4
    books.report("w1", Report(epoch=first.epoch, latencies=(0.01, 0.01), unused=1))
    assert books.state().in_flight == 1
    assert len((await books.lease("w2", Report(), 16)).sends) >= 3


async def test_a_stated_limit_spaces_the_sends_of_every_worker() -> None:
    """After APIG.0308 with Retry-After, permits wait it out, then come 1/(0.95 x limit) apart."""
    clock = Clock()
    quota = AccountQuota(initial_concurrency=64, wait=0.01, horizon=0.25)
    books = QuotaBooks(quota, monotonic=clock)
    grant = await books.lease("w1", Report(), 1)
    books.report("w1", Report(epoch=grant.epoch, throttles=(throttle(),)))
    assert (await books.lease("w1", Report(epoch=grant.epoch), 16)).sends == ()
    clock.now += 1.0
    a = await books.lease("w1", Report(epoch=grant.epoch), 8)
    b = await books.lease("w2", Report(), 30)
    step = 1 / (0.95 * LIMIT)
    assert a.sends == pytest.approx([i * step for i in range(8)])
    assert b.sends == pytest.approx([i * step for i in range(8, 24)])  # no further than 0.25 s
    assert books.state().stated_rate == LIMIT


async def test_a_known_quota_paces_from_the_first_lease() -> None:
    """rate_limit= paces from the start, with no slow start."""
    books = QuotaBooks(AccountQuota(rate_limit=(10, 1.0), wait=0.01), monotonic=Clock())
    grant = await books.lease("w1", Report(), 16)
    assert grant.sends == pytest.approx([0.0, 1 / 9.5, 2 / 9.5])
    assert not books.state().slow_start


async def test_a_silent_worker_loses_its_permits() -> None:
    """A worker that stops calling (it died) gives its permits back after lease_ttl."""
    clock = Clock()
    books = QuotaBooks(AccountQuota(initial_concurrency=4, lease_ttl=5.0), monotonic=clock)
    await books.lease("dead", Report(), 4)
    clock.now += 4.0
    assert books.reap() == 0
    clock.now += 2.0
    assert books.reap() == 4
    assert books.state().in_flight == 0


async def test_concurrency_throttles_halve_the_account() -> None:
    """ModelArts.4401 from any worker halves the account's concurrency."""
    books = QuotaBooks(AccountQuota(max_concurrency=16, initial_concurrency=16), monotonic=Clock())
    grant = await books.lease("w1", Report(), 16)
    refusal = ThrottledError("too many concurrent requests", status=429, code="ModelArts.4401")
    books.report("w1", Report(epoch=grant.epoch, throttles=(refusal,), unused=15))
    assert books.state().concurrency == 8


# --- the worker's limiter, with the books in-process ------------------------------------


class _Method:
    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def remote(self, *args: Any) -> Awaitable[Any]:
        async def call() -> Any:
            answer = self._function(*args)
            return await answer if inspect.isawaitable(answer) else answer

        return call()


class LocalActor:
    """The quota actor's methods on books in this process (Ray's handle, minus Ray)."""

    def __init__(self, books: QuotaBooks) -> None:
        self.lease = _Method(books.lease)
        self.report = _Method(books.report)


def local_limiter(books: QuotaBooks) -> QuotaLimiter:
    """A worker's limiter talking to ``books`` directly."""
    actor = LocalActor(books)
    return QuotaLimiter(books.quota, connect=lambda quota: actor)


async def test_the_limiter_leases_permits_in_batches() -> None:
    """Many attempts through one worker need a few lease calls, not one per attempt."""
    books = QuotaBooks(AccountQuota(initial_concurrency=8, max_concurrency=8, wait=0.05))
    limiter = local_limiter(books)

    async def attempt() -> None:
        await limiter.acquire()
        await asyncio.sleep(0.001)
        limiter.release(None, 0.001)

    await asyncio.gather(*(attempt() for _ in range(200)))
    await asyncio.sleep(0.05)  # the last report goes out
    assert limiter.state().in_flight == 0
    assert books.state().in_flight == 0
    assert limiter.calls < 120
    await limiter.aclose()


async def test_the_limiter_gives_up_at_the_deadline() -> None:
    """With every permit held elsewhere, acquire raises RequestTimeout at its deadline."""
    books = QuotaBooks(AccountQuota(initial_concurrency=1, max_concurrency=1, wait=0.02))
    await books.lease("elsewhere", Report(), 1)
    limiter = local_limiter(books)
    with pytest.raises(RequestTimeout):
        await limiter.acquire(deadline=time.monotonic() + 0.1)
    await limiter.aclose()


async def test_a_throttle_reaches_the_account_at_once() -> None:
    """A throttled answer is reported without waiting for more news; the account paces."""
    books = QuotaBooks(AccountQuota(wait=0.02))
    limiter = local_limiter(books)
    await limiter.acquire()
    limiter.release(throttle(retry_after=0.2))
    for _ in range(50):
        await asyncio.sleep(0.005)
        if books.state().rate_throttles:
            break
    assert books.state().stated_rate == LIMIT
    assert books.state().rate == pytest.approx(0.95 * LIMIT)
    await limiter.aclose()


async def test_a_failing_quota_actor_fails_the_attempts_instead_of_hanging() -> None:
    """An error from the quota actor (a bug, mismatched versions) fails the waiting attempts."""

    class Broken:
        lease = report = _Method(lambda *args: 1 / 0)

    limiter = QuotaLimiter(AccountQuota(), connect=lambda quota: Broken())
    with pytest.raises(ConfigurationError, match="quota actor failed"):
        await limiter.acquire()
    with pytest.raises(ConfigurationError):
        await limiter.acquire()
    await limiter.aclose()


# --- on a local Ray cluster --------------------------------------------------------------


def within(seconds: float, work: Callable[[], Any]) -> Any:
    """``work()``'s result, or a failed test (never a hung suite) after ``seconds``."""
    done: list[Any] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(work())
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the Ray run did not end within {seconds} s")
    if failed:
        raise failed[0]
    return done[0]


class EmulatorProcess:
    """``python -m aiocloudocr.emulator`` on a free loopback port, out of the Ray driver's
    process so that its clock is not held up by the driver's threads."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "aiocloudocr.emulator", "--port", "0", "--quiet", *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert "listening on" in line, line
        self.url = line.split()[-1]

    def stats(self) -> dict[str, Any]:
        """The emulator's counters."""
        with _opener.open(f"{self.url}/_emulator/stats", timeout=10) as answer:
            stats: dict[str, Any] = json.load(answer)
        return stats

    def counts(self) -> dict[str, int]:
        """Requests, successes and throttled answers of web_image."""
        stats = self.stats()
        outcomes = [o for o in stats["outcomes"] if o["operation"] == "web_image"]
        return {
            "requests": int(stats["requests"].get("web_image", 0)),
            "ok": sum(o["count"] for o in outcomes if o["status"] == 200),
            "throttled": sum(o["count"] for o in outcomes if o["status"] == 429),
        }

    def reset(self) -> None:
        """Zero the counters."""
        request = urllib.request.Request(f"{self.url}/_emulator/stats/reset", method="POST")  # noqa: S310
        with _opener.open(request, timeout=10) as answer:
            answer.read()

    def stop(self) -> None:
        """Stop the process."""
        self.process.terminate()
        self.process.wait(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()


class Watch:
    """Polls the emulator's request count: when the first and the last request arrived."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.first: float | None = None
        self.last: float | None = None
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            seen = self.emulator.counts()["requests"]
            now = time.monotonic()
            if seen and self.first is None:
                self.first = now
            if seen != self.requests:
                self.requests, self.last = seen, now

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        time.sleep(0.05)
        self._stop.set()
        self._thread.join()

    @property
    def makespan(self) -> float:
        """Seconds from the first request the service saw to the last."""
        assert self.first is not None and self.last is not None
        return self.last - self.first


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray cluster of 2 CPUs for the whole module."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, namespace=NAMESPACE)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def limited() -> Iterator[EmulatorProcess]:
    """An emulator process whose account may make 100 requests per second."""
    emulator = EmulatorProcess("--rate-limit", str(LIMIT), "--rate-window", "1")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of 2,000 small PNGs."""
    folder = tmp_path_factory.mktemp("images")
    for index in range(N):
        (folder / f"img-{index:05d}.png").write_bytes(make_png(48, 32, seed=index))
    return folder


def quota_named(test: str, **changes: Any) -> AccountQuota:
    """A quota of its own for one test."""
    return AccountQuota(name=f"{test}-{uuid.uuid4().hex[:8]}", namespace=NAMESPACE, **changes)


def test_four_workers_stay_under_one_account_quota(
    cluster: None, limited: EmulatorProcess, images: Path
) -> None:
    """4 workers, 2,000 images, 100/s: makespan near N/limit, few throttles, each input once."""
    limited.reset()
    quota = quota_named("four")
    data = ray.data.read_binary_files(str(images), include_paths=True, override_num_blocks=40)
    settings = ClientSettings.for_emulator(limited.url, concurrency=32)
    outcomes = map_ocr(data, "web_image", settings=settings, quota=quota, workers=4, batch_size=50)
    try:
        with Watch(limited) as watch:
            started = time.monotonic()
            rows = within(180, outcomes.take_all)
            ended = time.monotonic()
        state = quota.state()
    finally:
        quota.reset()
    keys = [row["key"] for row in rows]
    assert sorted(keys) == sorted(str(path) for path in images.iterdir())
    assert {row["status"] for row in rows} == {"ok"}
    counts = limited.counts()
    assert counts["ok"] == N
    ideal = N / LIMIT
    print(
        f"\n4 workers, N={N}, limit {LIMIT}/s: service makespan {watch.makespan:.2f} s = "
        f"{watch.makespan / ideal:.3f} x N/limit; end to end (Ray Data starting 4 actors "
        f"included) {ended - started:.2f} s = {(ended - started) / ideal:.3f} x; throttled "
        f"{counts['throttled']}/{counts['requests']}; account {state}"
    )
    assert counts["throttled"] <= 0.05 * counts["requests"]
    assert state.stated_rate == LIMIT
    # The acceptance figure is 1.15 x N/limit (measured here: 1.07-1.16 on two
    # cores; end to end, Ray Data's start included, 1.3-1.5 x). The bounds are looser
    # against CI noise: a loaded machine stalls the emulator and the workers, and every
    # stray throttle parks the account for its Retry-After.
    assert watch.makespan <= 1.35 * ideal
    assert ended - started <= 1.35 * ideal + 20.0  # Ray Data starts the actors first
    row = rows[0]
    words = [block["words"] for block in json.loads(row["result"])["words_block_list"]]
    assert row["text"] == "\n".join(words)


class RegisteringMapper(OcrMapper):
    """An OcrMapper that tells the test registry its actor's handle, so a test can kill it."""

    async def __call__(self, batch: Any) -> Any:
        if not getattr(self, "_registered", False):
            self._registered = True
            registry = ray.get_actor(REGISTRY, namespace=NAMESPACE)
            registry.add.remote(ray.get_runtime_context().current_actor)
        async for table in super().__call__(batch):
            yield table


class Registry:
    """Collects actor handles."""

    def __init__(self) -> None:
        self.handles: list[Any] = []

    def add(self, handle: Any) -> None:
        """Keep ``handle``."""
        self.handles.append(handle)

    def all(self) -> list[Any]:
        """The handles kept so far."""
        return self.handles


def test_a_killed_worker_still_gives_every_input_once(
    cluster: None, limited: EmulatorProcess, images: Path
) -> None:
    """ray.kill on a map actor mid-run: Ray restarts it, reruns its batch; each input once."""
    limited.reset()
    paths = sorted(str(path) for path in images.iterdir())[:600]
    registry = ray.remote(Registry).options(name=REGISTRY, namespace=NAMESPACE).remote()
    quota = quota_named("kill", lease_ttl=2.0)
    data = ray.data.read_binary_files(paths, include_paths=True, override_num_blocks=24)
    settings = ClientSettings.for_emulator(limited.url, concurrency=32)
    outcomes = map_ocr(data, "web_image", settings=settings, quota=quota, workers=4,
                       batch_size=25, mapper=RegisteringMapper)  # fmt: skip
    killed: list[Any] = []

    def kill_one_mid_run() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and limited.counts()["requests"] < 200:
            time.sleep(0.05)
        handles = ray.get(registry.all.remote())
        ray.kill(handles[0], no_restart=False)
        killed.append(handles[0])

    killer = threading.Thread(target=kill_one_mid_run, daemon=True)
    try:
        killer.start()
        rows = within(180, outcomes.take_all)
        killer.join()
    finally:
        quota.reset()
        ray.kill(registry)
    keys = [row["key"] for row in rows]
    assert killed
    assert sorted(keys) == paths
    assert {row["status"] for row in rows} == {"ok"}
    assert limited.counts()["ok"] >= len(paths)


def test_a_rerun_skips_what_the_previous_output_holds(cluster: None, tmp_path: Path) -> None:
    """A rerun over the same inputs sends only those the previous output lacks or failed
    for a reason that may pass; final failures are redone with retry_failed."""
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(60):
        (folder / f"img-{index:03d}.png").write_bytes(make_png(48, 32, seed=index))
    (folder / "broken.png").write_bytes(make_png(48, 32)[:40])  # fails here, nothing sent
    first_paths = sorted(str(p) for p in folder.iterdir())[:25]  # a job killed early
    with emulator_in_thread() as running:
        settings = ClientSettings.for_emulator(running.url)
        first = ray.data.read_binary_files(first_paths, include_paths=True)
        first_out = map_ocr(first, "web_image", settings=settings)
        within(120, lambda: first_out.write_parquet(str(tmp_path / "out/1")))
        sent_first = running.stats.requests["web_image"]
        previous = ray.data.read_parquet(str(tmp_path / "out"))
        everything = ray.data.read_binary_files(str(folder), include_paths=True)
        rest = map_ocr(skip_done(everything, previous), "web_image", settings=settings)
        within(120, lambda: rest.write_parquet(str(tmp_path / "out/2")))
        sent_second = running.stats.requests["web_image"] - sent_first
    rows = ray.data.read_parquet(str(tmp_path / "out")).take_all()
    keys = [row["key"] for row in rows]
    assert sorted(keys) == sorted(str(p) for p in folder.iterdir())
    assert (sent_first, sent_second) == (24, 36)
    broken = next(row for row in rows if row["key"].endswith("broken.png"))
    assert (broken["status"], broken["final"], broken["error_code"]) == ("failed", True, "AIS.0104")
    again = ray.data.read_parquet(str(tmp_path / "out"))
    assert skip_done(everything, again).count() == 0
    assert skip_done(everything, again, retry_failed=True).count() == 1


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "aiocloudocr.cli", "run", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)  # noqa: S603


def _comparable(line: str) -> tuple[Any, ...]:
    record = json.loads(line)
    return record["key"], record["status"], record["final"], record.get("result")


def test_the_cli_runs_the_job_on_ray_with_the_same_outputs(cluster: None, tmp_path: Path) -> None:
    """``aiocloudocr run ... --ray ADDRESS`` writes what the same run without Ray writes,
    and ``--resume`` continues it."""
    address = ray.get_runtime_context().gcs_address
    plain, on_ray = tmp_path / "plain.jsonl", tmp_path / "ray.jsonl"
    common = ["web_image", "examples/images", "--emulator", "--no-progress"]
    done = _cli(*common, "--output", str(plain))
    assert done.returncode == 0, done.stderr
    done = _cli(*common, "--output", str(on_ray), "--ray", address, "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "16 ok, 0 failed" in done.stderr
    lines = on_ray.read_text().splitlines()
    assert sorted(map(_comparable, lines)) == sorted(
        map(_comparable, plain.read_text().splitlines())
    )
    again = _cli(*common, "--output", str(on_ray), "--resume", "--ray", address)
    assert again.returncode == 0, again.stderr
    assert "16 skipped" in again.stderr
    assert on_ray.read_text().splitlines() == lines


def test_ray_needs_an_address_that_looks_like_one() -> None:
    """``--ray`` followed by an input path is a usage error naming the fix."""
    done = _cli("web_image", "--ray", "examples/images", "examples/images/sample-00.png")
    assert done.returncode == 2
    assert "not a Ray address" in done.stderr
