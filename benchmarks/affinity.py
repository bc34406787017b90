"""CPU pinning: the emulator on CPU 0, the clients on CPU 1, and a check that it really holds.

``os.sched_setaffinity(0, ...)`` pins the calling *thread* only (threads started later inherit
it), so the emulator is pinned before it execs (every thread it starts inherits the mask) and
each check reads the mask of every thread of a process from ``/proc/PID/task/*/status``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

EMULATOR_CPU = 0
CLIENT_CPU = 1
# The CPUs this process could use when first imported, before any pinning narrowed its mask.
_AVAILABLE = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def can_pin() -> bool:
    """Whether this machine has the two CPUs (and the call) the pinning needs."""
    if _AVAILABLE is None:
        return False
    return EMULATOR_CPU in _AVAILABLE and CLIENT_CPU in _AVAILABLE


def pin_self(cpu: int) -> None:
    """Pin the calling thread (and every thread and process it starts from now) to ``cpu``."""
    os.sched_setaffinity(0, {cpu})


def pinned_to(cpu: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins a child to ``cpu`` before it execs, or None if we cannot pin."""
    if not can_pin():
        return None
    return lambda: pin_self(cpu)


def threads_of(pid: int | str = "self") -> dict[str, Any]:
    """The CPU masks of every thread of ``pid`` and the CPUs they last ran on.

    ``allowed``: the distinct ``Cpus_allowed_list`` values; ``last_cpus``: the distinct
    ``processor`` fields of ``/proc/PID/task/TID/stat`` (the CPU each thread last ran on).
    """
    masks: set[str] = set()
    last: set[int] = set()
    count = 0
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            status = (task / "status").read_text(encoding="ascii")
            stat = (task / "stat").read_text(encoding="ascii")
        except OSError:
            continue  # the thread ended while we looked
        count += 1
        for line in status.splitlines():
            if line.startswith("Cpus_allowed_list:"):
                masks.add(line.split(":", 1)[1].strip())
        # Field 39 (processor) counts from 1; fields after the ")" of the name start at 3.
        last.add(int(stat.rpartition(")")[2].split()[36]))
    return {"threads": count, "allowed": sorted(masks), "last_cpus": sorted(last)}


def holds(check: dict[str, Any], cpu: int) -> bool:
    """Whether every thread in ``check`` (from :func:`threads_of`) was allowed only ``cpu``."""
    return check.get("threads", 0) > 0 and check.get("allowed") == [str(cpu)]


def summary(emulator: Iterable[dict[str, Any]], clients: Iterable[dict[str, Any]]) -> str:
    """One sentence on whether the pinning held in every check made during the run."""
    server, client = list(emulator), list(clients)
    if not server and not client:
        return "CPU pinning not applied (needs CPUs 0 and 1 and sched_setaffinity)"
    bad_server = [c for c in server if not holds(c, EMULATOR_CPU)]
    bad_client = [c for c in client if not holds(c, CLIENT_CPU)]
    threads = sum(c["threads"] for c in client)
    if bad_server or bad_client:
        return (
            f"CPU pinning NOT as intended in {len(bad_server)} of {len(server)} emulator checks "
            f"and {len(bad_client)} of {len(client)} client runs"
        )
    return (
        f"pinning checked from /proc/PID/task/*/status: every emulator thread allowed only "
        f"CPU {EMULATOR_CPU} ({len(server)} checks), every thread of all {len(client)} client "
        f"processes allowed only CPU {CLIENT_CPU} ({threads:,} threads in all)"
    )
