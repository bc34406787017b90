"""``python -m benchmarks.ray_scale``: one job under one account quota, by 1, 2 and 4 Ray
workers sharing it through the quota actor, beside the same job through one process
(``client.map``) and by 4 workers that each pace themselves; prints a Markdown table.

Each run gets a fresh emulator process (``--rate-limit N --rate-window 1``, so no run
inherits another's window) and a fresh quota actor that does not know the quota: it learns it
from the first APIG.0308, as a job does. The makespan is the service's (first request to
last, polled from the emulator's counters every 50 ms); "end to end" adds what comes before
the first request (for Ray: starting the map actors). Ray runs on a local loopback-only
cluster of the machine's CPUs; each map actor takes a quarter of a CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
from PIL import Image

# Only loopback is ever contacted: no proxy from the environment may intercept these calls.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@attrs.frozen(kw_only=True)
class Run:
    """The figures of one run."""

    name: str
    workers: int | None
    n: int
    limit: int
    makespan: float
    end_to_end: float
    requests: int
    throttled: int
    failed: int
    quota_calls: int | None = None

    @property
    def ideal(self) -> float:
        """N / limit: the makespan of a job that uses every request of the quota."""
        return self.n / self.limit


class Emulator:
    """``python -m aiocloudocr.emulator`` on a free loopback port, with a rate limit."""

    def __init__(self, limit: int) -> None:
        command = [sys.executable, "-m", "aiocloudocr.emulator", "--port", "0", "--quiet",
                   "--rate-limit", str(limit), "--rate-window", "1"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 (fixed argv)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.url = line.split()[-1]

    def counts(self) -> dict[str, int]:
        """Requests, successes and throttled answers of web_image."""
        with _opener.open(f"{self.url}/_emulator/stats", timeout=10) as answer:
            stats = json.load(answer)
        outcomes = [o for o in stats["outcomes"] if o["operation"] == "web_image"]
        return {
            "requests": int(stats["requests"].get("web_image", 0)),
            "throttled": sum(o["count"] for o in outcomes if o["status"] == 429),
        }

    def stop(self) -> None:
        """Stop the process."""
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


class Watch:
    """When the emulator saw its first and its last request (polled)."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self.first: float | None = None
        self.last: float | None = None
        self._seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            seen = self._emulator.counts()["requests"]
            now = time.monotonic()
            if seen and self.first is None:
                self.first = now
            if seen != self._seen:
                self._seen, self.last = seen, now

    def makespan(self) -> float:
        """Stop polling; seconds from the first request to the last."""
        time.sleep(0.1)
        self._stop.set()
        self._thread.join()
        assert self.first is not None
        assert self.last is not None
        return self.last - self.first


@contextmanager
def emulator(limit: int) -> Iterator[Emulator]:
    """A fresh emulator for one run."""
    running = Emulator(limit)
    try:
        yield running
    finally:
        running.stop()


def make_images(folder: Path, n: int) -> list[str]:
    """``n`` small PNG files (a few hundred bytes, 8 distinct) in ``folder``."""
    pool = []
    for seed in range(8):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (seed * 30, 128, 64)).save(buffer, format="PNG")
        pool.append(buffer.getvalue())
    paths = []
    for index in range(n):
        path = folder / f"img-{index:06d}.png"
        path.write_bytes(pool[index % len(pool)])
        paths.append(str(path))
    return paths


def one_process(paths: list[str], limit: int, concurrency: int) -> Run:
    """The job through ``client.map`` in this process."""
    from aiocloudocr.ray import ClientSettings

    async def job(url: str) -> int:
        failed = 0
        settings = ClientSettings.for_emulator(url, concurrency=concurrency)
        async with settings.client() as client, client.map("web_image", paths) as outcomes:
            async for outcome in outcomes:
                failed += not outcome.ok
        return failed

    with emulator(limit) as running:
        watch = Watch(running)
        started = time.monotonic()
        failed = asyncio.run(job(running.url))
        ended = time.monotonic()
        makespan = watch.makespan()
        counts = running.counts()
    return Run(name="client.map, one process", workers=None, n=len(paths), limit=limit,
               makespan=makespan, end_to_end=ended - started, failed=failed, **counts)  # fmt: skip


def on_ray(
    ray: Any, paths: list[str], limit: int, workers: int, concurrency: int, *, shared: bool = True
) -> Run:
    """The job by ``workers`` map actors under one account quota (``shared``), or each
    pacing itself with its client's own limiter."""
    from aiocloudocr.ray import AccountQuota, ClientSettings, map_ocr

    with emulator(limit) as running:
        quota = AccountQuota(name=f"bench-{uuid.uuid4().hex[:8]}") if shared else None
        settings = ClientSettings.for_emulator(running.url, concurrency=concurrency)
        blocks = max(4 * workers, len(paths) // 50)
        data = ray.data.read_binary_files(paths, include_paths=True, override_num_blocks=blocks)
        outcomes = map_ocr(data, "web_image", settings=settings, quota=quota,
                           workers=workers, batch_size=50)  # fmt: skip
        watch = Watch(running)
        started = time.monotonic()
        failed = 0
        for batch in outcomes.iter_batches(batch_format="pyarrow", batch_size=None):
            failed += sum(status != "ok" for status in batch["status"].to_pylist())
        ended = time.monotonic()
        makespan = watch.makespan()
        counts = running.counts()
        calls = None
        if quota is not None:
            actor = quota.counts()
            calls = actor["leases"] + actor["reports"]
            print(f"quota actor: {actor}", file=sys.stderr)
            quota.reset()
    name = f"Ray, {workers} worker{'s' * (workers > 1)}"
    name += "" if shared else ", each pacing itself (no account quota)"
    return Run(name=name, workers=workers,
               n=len(paths), limit=limit, makespan=makespan, end_to_end=ended - started,
               failed=failed, quota_calls=calls, **counts)  # fmt: skip


def table(runs: Sequence[Run]) -> str:
    """The runs as a Markdown table."""
    lines = [
        "| run | N | limit/s | makespan s | makespan / (N/limit) | end to end s "
        "| throttled | failed | quota calls per input |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        share = run.throttled / run.requests if run.requests else 0.0
        calls = "-" if run.quota_calls is None else f"{run.quota_calls / run.n:.2f}"
        lines.append(
            f"| {run.name} | {run.n:,} | {run.limit} | {run.makespan:.2f} "
            f"| {run.makespan / run.ideal:.3f} | {run.end_to_end:.2f} "
            f"| {run.throttled}/{run.requests} = {share:.1%} | {run.failed} | {calls} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ray_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=2000, help="images per run (2000)")
    parser.add_argument("--limit", type=int, default=100, help="the account's requests/s (100)")
    parser.add_argument("--workers", default="1,2,4", help="Ray worker counts (1,2,4)")
    parser.add_argument("--concurrency", type=int, default=32, help="per client (32)")
    parser.add_argument(
        "--unshared", type=int, default=4, metavar="W",
        help="also W workers without the account quota (4; 0: no such run)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the runs to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args = parse_args(argv)
    # A single-node cluster on loopback only (read when Ray is imported).
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="ray-scale-") as folder:
        paths = make_images(Path(folder), args.n)
        runs.append(one_process(paths, args.limit, 64))
        print(table(runs[-1:]).splitlines()[-1], file=sys.stderr)
        ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        ray.data.DataContext.get_current().enable_progress_bars = False
        try:
            for workers in counts:
                runs.append(on_ray(ray, paths, args.limit, workers, args.concurrency))
                print(table(runs[-1:]).splitlines()[-1], file=sys.stderr)
            if args.unshared:
                run = on_ray(ray, paths, args.limit, args.unshared, args.concurrency, shared=False)
                runs.append(run)
                print(table(runs[-1:]).splitlines()[-1], file=sys.stderr)
        finally:
            ray.shutdown()
    print(f"\n{os.cpu_count()} CPUs; the quota is learnt from APIG.0308 in every run\n")
    print(table(runs))
    if args.json is not None:
        args.json.write_text(json.dumps([attrs.asdict(run) for run in runs], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
