"""The benchmark harness's emulator process does not outlive the benchmark that started it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PARENT = """
import time
from benchmarks.server import EmulatorProcess
emulator = EmulatorProcess(pinned=False)
emulator.start()
print(emulator.pid, flush=True)
time.sleep(120)
"""


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_the_emulator_stops_when_its_benchmark_is_killed() -> None:
    """SIGKILL runs no cleanup in the benchmark; the emulator it started still stops."""
    parent = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed argv)
        [sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    emulator = int(parent.stdout.readline())
    assert running(emulator)
    parent.kill()
    parent.wait()
    parent.stdout.close()
    for _ in range(400):  # bounded wait for the kernel's signal and the emulator's exit
        if not running(emulator):
            break
        time.sleep(0.025)
    assert not running(emulator)
