"""Interleaved rounds: every contender once per round, each run in a fresh worker process.

Drift of a shared, noisy machine then falls on every client alike, and a ratio is taken
between runs of the same round (paired), not between medians of different moments.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.observer import Observer, server_view
from benchmarks.server import EmulatorProcess, operation_counts
from benchmarks.stats import Spread, ratios
from benchmarks.worker import Job, launch

Run = dict[str, Any]
Row = dict[str, Any]
Launcher = Callable[[Job, str], Run]

METRICS = (
    "wall",
    "requests_per_s",
    "emulator_rps",
    "cpu_ms_per_request",
    "gc_share",
    "emulator_busy",
    "failed",
    "max_in_flight",
    "sent",
    "throttled",
    "late_throttles",
    "peak_rss",
    "vs_raw",
    "vs_ceiling",
    "vs_ideal",
    "vs_sdk",
    "vs_base",
)
"""Every figure summarised over rounds (each row has those its runs carry)."""


def log(message: str) -> None:
    """Progress on stderr, so stdout carries only the table."""
    print(message, file=sys.stderr, flush=True)


def rotated(count: int, round_: int) -> list[int]:
    """The order of ``count`` contenders in round ``round_``: each round starts one later, so
    that no client always runs first after a pause or last before one."""
    if count == 0:
        return []
    start = round_ % count
    return [*range(start, count), *range(start)]


def measure(
    emulator: EmulatorProcess,
    job: Job,
    *,
    observer: Observer | None = None,
    launcher: Launcher = launch,
) -> Run:
    """One run of ``job`` in a worker, with the emulator's counters (and observer's view)."""
    emulator.reset_stats()
    since = time.perf_counter()
    run = launcher(job, emulator.url)
    stats = emulator.stats()
    counts = operation_counts(stats)
    run.update(
        sent=counts["requests"],
        throttled=counts["throttled"],
        max_in_flight=stats["max_in_flight"],
    )
    if observer is not None:
        observer.wait_past(run["started"] + run["wall"])
        run.update(
            server_view(
                observer.samples(),
                since=since,
                base=min(job.warmup, job.n),
                n=job.n,
                started=run["started"],
                wall=run["wall"],
            )
        )
    return run


def run_rounds(
    emulator: EmulatorProcess,
    jobs: Sequence[Job],
    rounds: int,
    *,
    observer: Observer | None = None,
    launcher: Launcher = launch,
) -> list[list[Run]]:
    """Run every job once per round, in rotated order; the runs of each job, by round."""
    runs: list[list[Run]] = [[] for _ in jobs]
    for round_ in range(rounds):
        for i in rotated(len(jobs), round_):
            run = measure(emulator, jobs[i], observer=observer, launcher=launcher)
            run["round"] = round_
            runs[i].append(run)
            log(describe(run, round_))
    return runs


def describe(run: Run, round_: int) -> str:
    """One progress line for a run."""
    extra = ""
    if run.get("emulator_rps"):
        extra = f", {run['emulator_rps']:.0f} req/s at the emulator"
    return (
        f"  round {round_ + 1}: {run['client']} c={run['concurrency']} N={run['n']}: "
        f"{run['wall']:.2f} s, {run['requests_per_s']:.0f} req/s{extra}, "
        f"{run['cpu_ms_per_request']:.3f} CPU ms/req, GC {run['gc_share']:.1%}, "
        f"failed {run['failed']}"
    )


def make_row(scenario: str, runs: list[Run], **extra: Any) -> Row:
    """A table row from one contender's runs (every round kept under ``runs``)."""
    first = runs[0]
    return {
        "scenario": scenario,
        "client": first["client"],
        "concurrency": first["concurrency"],
        "n": first["n"],
        "runs": runs,
        **extra,
    }


def series(row: Row, key: str) -> list[float]:
    """``key`` of each of ``row``'s runs, in round order (NaN where a run lacks it)."""
    out = []
    for run in sorted(row["runs"], key=lambda r: r.get("round", 0)):
        value = run.get(key)
        out.append(math.nan if value is None else float(value))
    return out


def set_ratio(row: Row, name: str, key: str, reference: Row) -> None:
    """Store round-by-round ``row[key] / reference[key]`` as ``name`` in each run."""
    values = ratios(series(row, key), series(reference, key))
    for run, value in zip(
        sorted(row["runs"], key=lambda r: r.get("round", 0)), values, strict=True
    ):
        run[name] = None if math.isnan(value) else round(value, 5)


def summarise(row: Row) -> Row:
    """Add ``summary``: the median and spread over rounds of every figure the runs carry."""
    row["summary"] = {
        key: Spread.of(series(row, key)).as_dict()
        for key in METRICS
        if any(run.get(key) is not None for run in row["runs"])
    }
    return row


def spread(row: Row, key: str) -> Spread:
    """A row's summarised figure ``key`` (rounds 0 when it has none)."""
    data = row.get("summary", {}).get(key)
    if data is None:
        return Spread.of([])

    def number(value: float | None) -> float:
        return math.nan if value is None else value

    return Spread(
        median=number(data["median"]),
        low=number(data["low"]),
        high=number(data["high"]),
        rounds=data["rounds"],
    )
