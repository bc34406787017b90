"""``python -m benchmarks.emulator_engine``: the emulator's Web Image throughput per text engine.

Serves the emulator (``python -m aiocloudocr.emulator --engine NAME``) in a process of its own
for each engine, ``synthetic`` and ``rapidocr`` (the ``ocr`` extra), and posts the sample
images of ``examples/images`` to it, ``--concurrency`` at a time, ``-n`` requests per run.
Each round runs both engines (the first one alternating), so that drift of a shared machine
falls on both alike; every figure is the median of the rounds, with the lowest and highest.
Neither process is pinned to a CPU: the rapidocr engine recognises on as many threads as
the machine has cores, as it does for a user. Writes ``benchmarks/emulator_engine.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from aiocloudocr import Client
from benchmarks.machine import describe
from benchmarks.runners import Options, aiocloudocr_client
from benchmarks.server import EmulatorProcess
from benchmarks.stats import Spread

ENGINES = ("synthetic", "rapidocr")
SAMPLES = Path(__file__).parents[1] / "examples" / "images"
OUTPUT = Path(__file__).parent / "emulator_engine.json"


@contextlib.contextmanager
def emulator(engine: str) -> Iterator[str]:
    """An emulator process reading Web Image text with ``engine`` (on every core); its URL."""
    process = EmulatorProcess("--engine", engine, pinned=False)
    try:
        yield process.start()
    finally:
        process.stop()


def client(url: str, concurrency: int) -> Client:
    """A client of the emulator at ``url``, at ``concurrency`` from the start."""
    return aiocloudocr_client(url, concurrency, Options(initial_concurrency=concurrency))


async def one_run(url: str, images: Sequence[bytes], concurrency: int) -> dict[str, float]:
    """Post every image once, ``concurrency`` at a time: requests/s and latencies."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    blocks = 0

    async def post(image: bytes) -> None:
        nonlocal blocks
        async with gate:
            started = time.perf_counter()
            result = await ocr.web_image(image)
            latencies.append(time.perf_counter() - started)
            blocks += result.words_block_count or 0

    async with client(url, concurrency) as ocr:
        started = time.perf_counter()
        await asyncio.gather(*(post(image) for image in images))
        makespan = time.perf_counter() - started
    return {
        "n": len(images),
        "makespan_s": makespan,
        "requests_per_s": len(images) / makespan,
        "latency_median_ms": statistics.median(latencies) * 1000,
        "latency_p95_ms": statistics.quantiles(latencies, n=20)[-1] * 1000,
        "blocks": blocks,
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every round of every engine, then the medians."""
    samples = [path.read_bytes() for path in sorted(SAMPLES.iterdir())]
    images = [samples[i % len(samples)] for i in range(args.n)]
    runs: dict[str, list[dict[str, float]]] = {engine: [] for engine in ENGINES}
    with emulator(ENGINES[0]) as first, emulator(ENGINES[1]) as second:
        urls = dict(zip(ENGINES, (first, second), strict=True))
        for url in urls.values():  # warm-up: every image shape once, not measured
            await one_run(url, samples, args.concurrency)
        for round_ in range(args.rounds):
            order = ENGINES if round_ % 2 == 0 else ENGINES[::-1]
            for engine in order:
                run = await one_run(urls[engine], images, args.concurrency)
                runs[engine].append(run)
                print(f"round {round_ + 1} {engine:9} {run['requests_per_s']:8.1f} req/s  "
                      f"median {run['latency_median_ms']:7.1f} ms", file=sys.stderr)  # fmt: skip
    summary = {
        engine: {
            key: Spread.of([run[key] for run in engine_runs]).as_dict()
            for key in ("requests_per_s", "latency_median_ms", "latency_p95_ms")
        }
        for engine, engine_runs in runs.items()
    }
    return {"summary": summary, "runs": runs}


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for package in ("rapidocr", "onnxruntime"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def table(summary: dict[str, Any]) -> str:
    """The Markdown table of the medians (lowest-highest round)."""
    lines = [
        "| engine | requests/s | latency median (ms) | latency p95 (ms) |",
        "|---|---:|---:|---:|",
    ]
    for engine, figures in summary.items():
        cells = [
            Spread(**figures[key]).text(digits) if figures[key]["rounds"] else "-"
            for key, digits in (
                ("requests_per_s", 1),
                ("latency_median_ms", 1),
                ("latency_p95_ms", 1),
            )
        ]
        lines.append(f"| {engine} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure both engines, print the table and write the JSON file."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.emulator_engine", description=__doc__
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("-n", type=int, default=192, help="requests per run (default 192)")
    parser.add_argument("--concurrency", type=int, default=8, help="in flight (default 8)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default {OUTPUT.name}")
    args = parser.parse_args(argv)
    measured = asyncio.run(measure(args))
    report = {
        "machine": {**describe(), "engines": _versions()},
        "settings": {"rounds": args.rounds, "n": args.n, "concurrency": args.concurrency,
                     "images": f"examples/images ({len(list(SAMPLES.iterdir()))} images)"},
        **measured,
    }  # fmt: skip
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    machine = report["machine"]
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['python']}; "
          f"rapidocr {machine['engines']['rapidocr']}, onnxruntime "
          f"{machine['engines']['onnxruntime']}; {args.rounds} rounds of {args.n} requests "
          f"at concurrency {args.concurrency}")  # fmt: skip
    print(table(measured["summary"]))


if __name__ == "__main__":
    main()
