"""The four scenarios: each runs its clients in interleaved rounds and judges the targets."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from benchmarks import sdk
from benchmarks.inputs import write_files
from benchmarks.observer import observing
from benchmarks.rounds import (
    Row,
    describe,
    log,
    make_row,
    measure,
    rotated,
    run_rounds,
    series,
    set_ratio,
    summarise,
)
from benchmarks.runners import LATE_AFTER
from benchmarks.server import EmulatorProcess, emulator_process
from benchmarks.stats import Verdict, verdict
from benchmarks.worker import Job

AIO_DEFAULT = ("aiocloudocr gather", "aiocloudocr map")


@attrs.frozen(kw_only=True)
class Sizes:
    """How much work each scenario does; ``quick`` shrinks it for a smoke run."""

    rounds: int = 3
    a_n: int = 2000
    a_concurrency: int = 64
    b_latency: float = 0.1
    # (concurrency, N) groups; the first is the one the targets are set for.
    b_groups: tuple[tuple[int, int], ...] = ((256, 5000), (64, 2000))
    # Groups that also run aiocloudocr with initial_concurrency = concurrency (no slow
    # start), and with trust_env=False.
    b_variants: tuple[int, ...] = (256,)
    c_n: int = 500
    c_limit: int = 50
    c_window: float = 1.0
    c_concurrency: int = 64
    d_ns: tuple[int, int] = (1000, 10_000)
    d_concurrency: int = 64

    @classmethod
    def quick(cls) -> Sizes:
        """Small numbers for a smoke run of about a minute and a half."""
        return cls(rounds=2, a_n=200, b_groups=((256, 800), (64, 300)), c_n=100, d_ns=(200, 2000))


@attrs.define
class Outcome:
    """What a scenario produced: rows, verdicts and the emulator pinning checks."""

    rows: list[Row] = attrs.field(factory=list)
    verdicts: list[Verdict] = attrs.field(factory=list)
    emulator_checks: list[dict[str, Any]] = attrs.field(factory=list)


def _aio(kind: str, n: int, large: bool, c: int, **options: Any) -> Job:
    return Job(kind=kind, n=n, large=large, concurrency=c, **options)


def _clients(n: int, large: bool, c: int, *, variants: bool) -> list[Job]:
    jobs = [_aio(kind, n, large, c) for kind in ("raw", "ceiling", "gather", "map")]
    if variants:
        # What the slow start costs, and what reading proxies from the environment (the
        # library's default trust_env=True) costs.
        jobs += [_aio(k, n, large, c, initial_concurrency=c) for k in ("gather", "map")]
        jobs.append(_aio("map", n, large, c, trust_env=False))
        # What the credential probe (the first call of an operation, sent alone) costs: the
        # same client with one call behind it when the clock starts.
        jobs += [_aio(k, n, large, c, one_call_first=True) for k in ("gather", "map")]
    return jobs


def _rows(scenario: str, runs: list[list[dict[str, Any]]], **extra: Any) -> list[Row]:
    return [make_row(scenario, r, **extra) for r in runs]


def _by_client(rows: list[Row], client: str, concurrency: int | None = None) -> Row:
    return next(
        r
        for r in rows
        if r["client"] == client and (concurrency is None or r["concurrency"] == concurrency)
    )


def scenario_a(sizes: Sizes) -> Outcome:
    """Zero latency, ~100 KB images: throughput and client CPU per request."""
    n, c = sizes.a_n, sizes.a_concurrency
    # "raw, pybase64": the loop with aiocloudocr's codec, so that what the codec saves and
    # what the library costs beyond it can both be read off the table.
    jobs = [*_clients(n, True, c, variants=False), _aio("raw-pybase64", n, True, c)]
    if sdk.available():
        jobs += [Job(kind="sdk-threads", n=n, large=True, concurrency=t) for t in (64, 256)]
        jobs.append(Job(kind="sdk-async", n=n, large=True, concurrency=8))
    outcome = Outcome()
    with emulator_process() as emulator, observing(emulator.url, emulator.pid) as observer:
        runs = run_rounds(emulator, jobs, sizes.rounds, observer=observer)
        outcome.emulator_checks.append(emulator.pinning())
    rows = _rows("a", runs)
    raw, ceiling = _by_client(rows, "raw"), _by_client(rows, "ceiling")
    for row in rows:
        set_ratio(row, "vs_raw", "cpu_ms_per_request", raw)
        set_ratio(row, "vs_ceiling", "cpu_ms_per_request", ceiling)
        summarise(row)
        if row["client"] in AIO_DEFAULT:
            outcome.verdicts.append(
                verdict("a", row["client"], "CPU/req <= 1.10x raw", series(row, "vs_raw"), 1.10)
            )
    outcome.rows = rows
    return outcome


def scenario_b(sizes: Sizes) -> Outcome:
    """100 ms added latency, small images: makespan against raw, the ceiling and the ideal."""
    latency = sizes.b_latency
    groups: list[list[Job]] = []
    for c, n in sizes.b_groups:
        jobs = _clients(n, False, c, variants=c in sizes.b_variants)
        if sdk.available():
            jobs.append(Job(kind="sdk-threads", n=n, large=False, concurrency=c))
        groups.append(jobs)
    jobs = [job for group in groups for job in group]
    outcome = Outcome()
    with (
        emulator_process("--latency", str(latency)) as emulator,
        observing(emulator.url, emulator.pid) as observer,
    ):
        runs = run_rounds(emulator, jobs, sizes.rounds, observer=observer)
        outcome.emulator_checks.append(emulator.pinning())
    rows = _rows("b", runs)
    for row in rows:
        c = row["concurrency"]
        ideal = row["n"] * latency / c
        row["ideal"] = ideal
        for run in row["runs"]:
            run["vs_ideal"] = round(run["wall"] / ideal, 5)
        set_ratio(row, "vs_raw", "wall", _by_client(rows, "raw", c))
        set_ratio(row, "vs_ceiling", "wall", _by_client(rows, "ceiling", c))
    sdk_rows = [r for r in rows if r["client"].startswith("SDK")]
    for row in rows:
        summarise(row)  # medians first: the SDK's best is chosen by its median req/s
    best = max(sdk_rows, key=lambda r: r["summary"]["requests_per_s"]["median"], default=None)
    top_c = sizes.b_groups[0][0]
    for row in rows:
        if best is not None and row["concurrency"] == top_c:
            set_ratio(row, "vs_sdk", "requests_per_s", best)
            row["sdk_best"] = best["client"]
            summarise(row)
        if row["client"] in AIO_DEFAULT and row["concurrency"] == top_c:
            name, values = row["client"], series(row, "vs_raw")
            outcome.verdicts.append(
                verdict("b", name, "makespan <= 1.05x raw", values, 1.05, concurrency=top_c)
            )
            if best is not None:
                outcome.verdicts.append(
                    verdict(
                        "b",
                        name,
                        f"req/s >= 3x SDK's best ({best['client']})",
                        series(row, "vs_sdk"),
                        3.0,
                        at_most=False,
                        concurrency=top_c,
                    )
                )
    outcome.rows = rows
    return outcome


def scenario_c(sizes: Sizes) -> Outcome:
    """A rate-limited service: makespan against N / limit, throttled answers, failed items."""
    n, c = sizes.c_n, sizes.c_concurrency
    quota = (sizes.c_limit, sizes.c_window)
    # No warm-up: it would spend the rate window, and nothing here is about CPU.
    jobs = [
        _aio("gather", n, False, c, warmup=0),
        _aio("map", n, False, c, warmup=0),
        _aio("map", n, False, c, warmup=0, rate_limit=quota),
        _aio("raw", n, False, c, warmup=0),
    ]
    if sdk.available():
        jobs += [
            Job(kind="sdk-threads", n=n, large=False, concurrency=c, warmup=0),
            Job(kind="sdk-async", n=n, large=False, concurrency=8, warmup=0),
            Job(kind="sdk-threads", n=n, large=False, concurrency=c, warmup=0, retry=True),
        ]
    ideal = n / sizes.c_limit * sizes.c_window
    limit_args = ("--rate-limit", str(sizes.c_limit), "--rate-window", str(sizes.c_window))
    outcome = Outcome()
    runs: list[list[dict[str, Any]]] = [[] for _ in jobs]
    for round_ in range(sizes.rounds):
        for i in rotated(len(jobs), round_):
            job = jobs[i]
            # A fresh emulator per run: an empty rate window, and no limiter state shared
            # between aiocloudocr clients (the limiter is per credential *and endpoint*).
            with emulator_process(*limit_args) as emulator:
                run = measure(emulator, job)
                outcome.emulator_checks.append(emulator.pinning())
            run["round"] = round_
            log(describe(run, round_))
            run["vs_ideal"] = round(run["wall"] / ideal, 5)
            runs[i].append(run)
    rows = [summarise(row) for row in _rows("c", runs, ideal=ideal)]
    most = 2 * 8  # the quota unknown, the slow start meets it with 8 in flight
    for row in rows:
        name = row["client"]
        if not name.startswith("aiocloudocr"):
            continue
        outcome.verdicts += [
            verdict("c", name, "makespan <= 1.10x N/limit", series(row, "vs_ideal"), 1.10),
            verdict("c", name, f"throttled <= {most}", series(row, "throttled"), most, digits=0),
            verdict(
                "c",
                name,
                f"none after {LATE_AFTER:g} s",
                series(row, "late_throttles"),
                0,
                digits=0,
            ),
            verdict("c", name, "zero failed", series(row, "failed"), 0, digits=0),
        ]
    outcome.rows = rows
    return outcome


def scenario_d(sizes: Sizes) -> Outcome:
    """client.map over N files from disk: peak RSS of a fresh process per N."""
    outcome = Outcome()
    runs: list[list[dict[str, Any]]] = [[] for _ in sizes.d_ns]
    with tempfile.TemporaryDirectory(prefix="aiocloudocr-bench-") as tmp, emulator_process() as emu:
        folder = Path(tmp)
        write_files(folder, max(sizes.d_ns))
        for round_ in range(sizes.rounds):
            for i, n in enumerate(sizes.d_ns):
                child = _rss_child(emu, folder, n, sizes.d_concurrency)
                child.update(client="aiocloudocr map", round=round_)
                runs[i].append(child)
                log(
                    f"  round {round_ + 1}: N={n}: peak RSS {child['peak_rss'] / 2**20:.1f} MB "
                    f"(after the first call: {child['baseline_rss'] / 2**20:.1f} MB)"
                )
        outcome.emulator_checks.append(emu.pinning())
    rows = _rows("d", runs)
    base = rows[0]
    base["is_base"] = True
    for row in rows:
        set_ratio(row, "vs_base", "peak_rss", base)
        summarise(row)
    last = rows[-1]
    text = f"peak RSS at {last['n']:,} <= 1.15x at {base['n']:,}"
    outcome.verdicts.append(verdict("d", "aiocloudocr map", text, series(last, "vs_base"), 1.15))
    outcome.rows = rows
    return outcome


def _rss_child(emulator: EmulatorProcess, folder: Path, n: int, concurrency: int) -> Row:
    # A fresh interpreter per N, so that one run's peak cannot hide inside the other's.
    command = [
        sys.executable,
        "-m",
        "benchmarks.rss_child",
        emulator.url,
        str(folder),
        str(n),
        str(concurrency),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603 (our own interpreter, no shell)
    child: Row = json.loads(done.stdout.strip().splitlines()[-1])
    return child


SCENARIOS: dict[str, Callable[[Sizes], Outcome]] = {
    "a": scenario_a,
    "b": scenario_b,
    "c": scenario_c,
    "d": scenario_d,
}
