"""The emulator in a separate process, so that its CPU time is never charged to a client."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

EMULATOR_CPU = 0
"""The core the emulator is pinned to when the machine has two or more; clients get the rest."""

# Only loopback is ever contacted: no proxy from the environment may intercept these calls.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def pin_client_process() -> set[int] | None:
    """Keep this process (and its children) off the emulator's core; return the cores used."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    cores = set(os.sched_getaffinity(0)) - {EMULATOR_CPU}
    if not cores:
        return None
    os.sched_setaffinity(0, cores)
    return cores


class EmulatorProcess:
    """``python -m aiocloudocr.emulator`` on a free loopback port; ``url`` is where it listens."""

    def __init__(self, *extra_args: str) -> None:
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
        self._process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)  # noqa: S603 (fixed argv)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
            os.sched_setaffinity(self._process.pid, {EMULATOR_CPU})
        self.url = line.split()[-1]
        return self.url

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

    def cpu_seconds(self) -> float:
        """CPU time the emulator process has used so far (0.0 where /proc is not available)."""
        if self._process is None:
            return 0.0
        try:
            with open(f"/proc/{self._process.pid}/stat", encoding="ascii") as stat:
                # Fields 14 and 15 (utime, stime) follow the parenthesised command name.
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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
