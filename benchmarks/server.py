"""The emulator in a separate process, so that its CPU time is never charged to a client."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks import affinity
from benchmarks.affinity import CLIENT_CPU, EMULATOR_CPU

# Only loopback is ever contacted: no proxy from the environment may intercept these calls.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


_PR_SET_PDEATHSIG = 1


def _dies_with_parent() -> None:
    # Linux: SIGTERM when the process that started us exits, however it exits. A benchmark
    # killed with SIGTERM runs no ``finally``, and the idle emulators it left behind took CPU
    # from later runs.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_setup(pinned: bool) -> Callable[[], None] | None:
    """The emulator's ``preexec_fn``: tied to this process's life (Linux) and pinned."""
    pin = affinity.pinned_to(EMULATOR_CPU) if pinned else None
    tie = _dies_with_parent if sys.platform == "linux" else None

    def setup() -> None:
        if tie is not None:
            tie()
        if pin is not None:
            pin()

    return setup if pin is not None or tie is not None else None


def pin_client_process() -> set[int] | None:
    """Pin this process (and the clients it starts) to CPU 1; return the CPUs, None if not."""
    if not affinity.can_pin():
        return None
    affinity.pin_self(CLIENT_CPU)
    return set(os.sched_getaffinity(0))


class EmulatorProcess:
    """``python -m aiocloudocr.emulator`` on a free loopback port; ``url`` is where it listens."""

    def __init__(self, *extra_args: str, pinned: bool = True) -> None:
        # pinned: to CPU 0 (the clients run on CPU 1); unpinned for a benchmark of the
        # emulator itself, whose text engine uses every core.
        self.pinned = pinned
        self.args = [
            sys.executable,
            "-m",
            "aiocloudocr.emulator",
            "--port",
            "0",
            "--quiet",
            *extra_args,
        ]
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> str:
        """Start the emulator, wait for its listening line and return its URL."""
        # Pinned before exec, so that every thread the emulator starts inherits CPU 0; and
        # stopped with this process even when it is killed.
        self._process = subprocess.Popen(  # noqa: S603 (fixed argv)
            self.args,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_child_setup(self.pinned),
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.url = line.split()[-1]
        return self.url

    @property
    def pid(self) -> int:
        """The emulator's process id (0 when it is not running)."""
        return self._process.pid if self._process is not None else 0

    def pinning(self) -> dict[str, Any]:
        """The CPU masks of every emulator thread (see :func:`affinity.threads_of`)."""
        return affinity.threads_of(self.pid)

    def stop(self) -> None:
        """Stop the emulator (SIGTERM, then SIGKILL if it lingers)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def stats(self) -> dict[str, Any]:
        """The emulator's counters (``GET /_emulator/stats``)."""
        with _opener.open(f"{self.url}/_emulator/stats", timeout=10) as answer:
            data: dict[str, Any] = json.load(answer)
        return data

    def reset_stats(self) -> None:
        """Zero the emulator's counters."""
        request = urllib.request.Request(f"{self.url}/_emulator/stats/reset", method="POST")  # noqa: S310 (the emulator's http URL)
        with _opener.open(request, timeout=10) as answer:
            answer.read()


@contextlib.contextmanager
def emulator_process(*extra_args: str) -> Iterator[EmulatorProcess]:
    """Run an emulator process with the given command-line options for the ``with`` block."""
    emulator = EmulatorProcess(*extra_args)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


def operation_counts(stats: dict[str, Any], operation: str = "web_image") -> dict[str, int]:
    """Requests, successes and throttled answers of one operation, from a stats document."""
    outcomes = [o for o in stats["outcomes"] if o["operation"] == operation]
    return {
        "requests": int(stats["requests"].get(operation, 0)),
        "ok": sum(o["count"] for o in outcomes if o["status"] == 200),
        "throttled": sum(o["count"] for o in outcomes if o["status"] == 429),
    }
