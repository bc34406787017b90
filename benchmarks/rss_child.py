"""``python -m benchmarks.rss_child URL FOLDER N CONCURRENCY``: one client.map run, peak RSS.

Prints one JSON line: counts, wall time, and the process's peak resident set size before
and after the run.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import affinity
from benchmarks.inputs import iter_files
from benchmarks.runners import aiocloudocr_client


def peak_rss() -> int:
    """This process's peak resident set size in bytes.

    On Linux, VmHWM of /proc/self/status: ``ru_maxrss`` would not do, because the kernel
    carries it over from the forked parent across exec, so every child would report at
    least the (larger) benchmark process's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, else KiB


async def run(url: str, folder: Path, n: int, concurrency: int) -> dict[str, Any]:
    """Map web_image over the first ``n`` files of ``folder`` and count the outcomes."""
    ok = failed = 0
    async with aiocloudocr_client(url, concurrency) as client:
        await client.web_image(folder / "00000.png")  # first-use imports count as baseline
        baseline = peak_rss()
        started = time.perf_counter()
        async for outcome in client.map(
            "web_image", iter_files(folder, n), concurrency=concurrency
        ):
            ok += outcome.ok
            failed += not outcome.ok
        wall = time.perf_counter() - started
    return {
        "n": n,
        "concurrency": concurrency,
        "ok": ok,
        "failed": failed,
        "wall": wall,
        "requests_per_s": n / wall,
        "baseline_rss": baseline,
        "peak_rss": peak_rss(),
        "pinning": affinity.threads_of(),
    }


def main() -> None:
    """Parse the four positional arguments, run, print the JSON line."""
    url, folder, n, concurrency = sys.argv[1:5]
    print(json.dumps(asyncio.run(run(url, Path(folder), int(n), int(concurrency)))))


if __name__ == "__main__":
    main()
