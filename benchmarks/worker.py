"""One measured run in a fresh interpreter: ``python -m benchmarks.worker URL JOB_JSON``.

Every run of every client gets a process of its own (started pinned to the client CPU), so
no run inherits another's heap, threads, connection pools or shared limiters, and the
garbage collector's share is that client's alone. The worker prints one JSON line: the run's
figures (among them the CPU masks of all its threads as the run ended) and which
``aiocloudocr`` it imported (``--compare`` points ``PYTHONPATH`` at another revision's copy).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from benchmarks.inputs import image_list
from benchmarks.runners import (
    WARMUP,
    Options,
    RunResult,
    run_aiocloudocr_gather,
    run_aiocloudocr_map,
    run_ceiling,
    run_raw,
)

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("raw", "raw-pybase64", "ceiling", "gather", "map", "sdk-threads", "sdk-async")


def _quota(value: Sequence[float] | None) -> tuple[int, float] | None:
    # JSON gives the (calls, window) pair back as a list.
    return None if value is None else (int(value[0]), float(value[1]))


@attrs.frozen(kw_only=True)
class Job:
    """What one worker runs: a client kind over ``n`` images at ``concurrency``."""

    kind: str = attrs.field(validator=attrs.validators.in_(KINDS))
    n: int
    large: bool
    concurrency: int
    warmup: int = WARMUP
    # aiocloudocr only; None keeps the library's default.
    initial_concurrency: int | None = None
    rate_limit: tuple[int, float] | None = attrs.field(default=None, converter=_quota)
    trust_env: bool | None = None
    one_call_first: bool = False
    # SDK sync only: its opt-in with_retry.
    retry: bool = False

    def to_json(self) -> str:
        """The job as the worker's command-line argument."""
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        """The job back from its command-line argument."""
        return cls(**json.loads(text))


def run_job(job: Job, url: str) -> RunResult:
    """Run ``job`` against the emulator at ``url``."""
    images = image_list(job.n, large=job.large)
    c, warmup = job.concurrency, job.warmup
    if job.kind in ("sdk-threads", "sdk-async"):
        from benchmarks import sdk  # the bench extra; only its own jobs need it

        if job.kind == "sdk-async":
            return sdk.run_sdk_async(url, images, warmup=warmup)
        return sdk.run_sdk_threads(url, images, threads=c, warmup=warmup, retry=job.retry)
    if job.kind in ("raw", "raw-pybase64"):
        fast = job.kind == "raw-pybase64"
        return asyncio.run(run_raw(url, images, concurrency=c, warmup=warmup, fast_base64=fast))
    if job.kind == "ceiling":
        return asyncio.run(run_ceiling(url, images, concurrency=c, warmup=warmup))
    options = Options(
        rate_limit=job.rate_limit,
        initial_concurrency=job.initial_concurrency,
        trust_env=job.trust_env,
        one_call_first=job.one_call_first,
    )
    run = run_aiocloudocr_gather if job.kind == "gather" else run_aiocloudocr_map
    return asyncio.run(run(url, images, concurrency=c, warmup=warmup, options=options))


def launch(
    job: Job, url: str, *, cwd: Path = ROOT, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Run ``job`` in a fresh worker process and return its JSON line as data."""
    command = [sys.executable, "-m", "benchmarks.worker", url, job.to_json()]
    done = subprocess.run(  # noqa: S603 (our own interpreter, fixed argv)
        command,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=None if env is None else dict(env),
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {job} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Run the job given on the command line and print its JSON line."""
    url, text = (argv if argv is not None else sys.argv[1:])[:2]
    result = run_job(Job.from_json(text), url)
    import aiocloudocr

    print(
        json.dumps(
            {
                **result.as_dict(),
                "aiocloudocr": str(Path(aiocloudocr.__file__ or "").resolve().parent),
            }
        )
    )


if __name__ == "__main__":
    main()
