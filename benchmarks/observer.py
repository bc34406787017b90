"""A second, independent timing of every run, from the emulator's side.

``python -m benchmarks.observer URL PID FILE`` runs as its own process next to the emulator
(CPU 0) and, every :data:`INTERVAL` seconds, appends one line to FILE: the time
(``time.perf_counter``, CLOCK_MONOTONIC on Linux, shared by all processes), the requests
the emulator has seen arrive and answered (``GET /_emulator/stats``) and its CPU seconds.
A run's makespan as the emulator saw it runs from its first request's arrival to its last
answer; requests counted there over that time are the emulator-side requests/s, which owe
nothing to the client's own clock or counts. Each poll costs the emulator ~0.13 ms of CPU.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from benchmarks import affinity
from benchmarks.affinity import EMULATOR_CPU

INTERVAL = 0.02
"""Seconds between polls: each end of a run is placed within half of this."""


@attrs.frozen
class Sample:
    """The emulator's counters at one instant."""

    t: float
    arrived: int
    answered: int
    cpu: float


def parse(text: str) -> list[Sample]:
    """The samples of an observer file (a last line not yet ended by a newline is skipped)."""
    samples = []
    for line in text.split("\n")[:-1]:
        fields = line.split()
        if len(fields) == 4:
            samples.append(
                Sample(float(fields[0]), int(fields[1]), int(fields[2]), float(fields[3]))
            )
    return samples


def _crossing(samples: Sequence[Sample], field: str, value: int, after: float) -> float | None:
    # Midway between the last sample below ``value`` and the first at or above it: the
    # crossing is equally likely anywhere in between.
    previous: Sample | None = None
    for sample in samples:
        if sample.t < after:
            continue
        if getattr(sample, field) >= value:
            return sample.t if previous is None else (previous.t + sample.t) / 2
        previous = sample
    return None


def _cpu_at(samples: Sequence[Sample], t: float) -> float | None:
    for before, after in itertools.pairwise(samples):
        if before.t <= t <= after.t:
            share = (t - before.t) / (after.t - before.t) if after.t > before.t else 0.0
            return before.cpu + share * (after.cpu - before.cpu)
    return None


def server_view(
    samples: Sequence[Sample], *, since: float, base: int, n: int, started: float, wall: float
) -> dict[str, float | None]:
    """The emulator's view of one run of ``n`` requests.

    ``since``: when its counters were reset; ``base``: requests before the measured ones
    (the warm-up); ``started``/``wall``: the client's measured interval, used only to read
    the emulator's CPU time over it.
    """
    first = _crossing(samples, "arrived", base + 1, since)
    last = _crossing(samples, "answered", base + n, since)
    span = last - first if first is not None and last is not None else None
    cpu0, cpu1 = _cpu_at(samples, started), _cpu_at(samples, started + wall)
    busy = (cpu1 - cpu0) / wall if cpu0 is not None and cpu1 is not None and wall > 0 else None
    return {
        "emulator_makespan": span,
        "emulator_rps": n / span if span else None,
        "emulator_busy": busy,
    }


class Observer:
    """The observer process of one emulator, and the samples it has written so far."""

    def __init__(self, url: str, pid: int) -> None:
        handle, name = tempfile.mkstemp(prefix="aiocloudocr-observer-", suffix=".txt")
        os.close(handle)
        self.path = Path(name)
        self._process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed argv)
            [sys.executable, "-m", "benchmarks.observer", url, str(pid), str(self.path)],
            preexec_fn=affinity.pinned_to(EMULATOR_CPU),
        )

    def samples(self) -> list[Sample]:
        """Every sample written so far."""
        return parse(self.path.read_text(encoding="ascii"))

    def wait_past(self, t: float) -> None:
        """Return once a sample later than ``t`` is written (so a run's end is bracketed)."""
        deadline = time.perf_counter() + 2.0
        while time.perf_counter() < deadline:
            samples = self.samples()
            if samples and samples[-1].t > t:
                return
            time.sleep(INTERVAL)

    def stop(self) -> None:
        """Stop the observer and delete its file."""
        self._process.terminate()
        self._process.wait()
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def observing(url: str, pid: int) -> Iterator[Observer]:
    """An observer of the emulator at ``url`` (process ``pid``) for the ``with`` block."""
    observer = Observer(url, pid)
    try:
        yield observer
    finally:
        observer.stop()


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _counts(stats: dict[str, Any]) -> tuple[int, int]:
    arrived = int(stats["requests"].get("web_image", 0))
    answered = sum(o["count"] for o in stats["outcomes"] if o["operation"] == "web_image")
    return arrived, answered


def main(argv: Sequence[str] | None = None) -> None:
    """Poll until terminated (or until the emulator goes away)."""
    url, pid, path = (argv if argv is not None else sys.argv[1:])[:3]
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    tick = time.perf_counter()
    with open(path, "a", encoding="ascii") as out:
        while True:
            before = time.perf_counter()
            try:
                connection.request("GET", "/_emulator/stats")
                stats = json.loads(connection.getresponse().read())
                cpu = _cpu_seconds(int(pid))
            except (OSError, http.client.HTTPException):
                return
            arrived, answered = _counts(stats)
            t = (before + time.perf_counter()) / 2
            out.write(f"{t:.6f} {arrived} {answered} {cpu:.3f}\n")
            out.flush()
            tick += INTERVAL
            time.sleep(max(0.0, tick - time.perf_counter()))


if __name__ == "__main__":
    main()
