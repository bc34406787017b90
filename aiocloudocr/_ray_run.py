"""``aiocloudocr run ... --ray [ADDRESS]``: the same job on a Ray cluster (a local one when no
address is given), every worker under one account-wide quota, with the same outputs: JSON
Lines to ``--output`` (resumable with ``--resume``) or stdout, progress and summary on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import math
import os
import re
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import IO, Any

import attrs

from aiocloudocr._checkpoint import _cut_torn_tail, read_checkpoint, record_is_done
from aiocloudocr._config import ClientConfig
from aiocloudocr._run_plan import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    PROG,
    SIGNAL_EXITS,
    Plan,
    UsageError,
    cli_words,
    iter_paths,
)
from aiocloudocr.auth.credentials import credentials_from_env
from aiocloudocr.errors import ConfigurationError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

LOCAL = "local"
_ADDRESS = re.compile(r"^(ray://.+|auto|local|\[?[\w.:-]+\]?:\d+)$")
# Error types a whole run stops on (see aiocloudocr.errors.is_systemic), by name as rows
# carry them.
_SYSTEMIC = frozenset(
    {
        "AuthenticationError",
        "PermissionDeniedError",
        "NotSubscribedError",
        "NotFoundError",
        "ConfigurationError",
    }
)
# Outcomes reach the driver a block at a time, and a stop loses the blocks in flight:
# small blocks keep both the wait and the loss small.
_BATCH = 16


def ray_address(text: str) -> str:
    """An argparse type for ``--ray ADDRESS``: ``local``, ``auto``, ``HOST:PORT`` or
    ``ray://HOST:PORT``."""
    if not _ADDRESS.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Ray address (ray://HOST:PORT, HOST:PORT, auto or local); "
            "for a local cluster, put --ray after the inputs"
        )
    return text


class _Terminated(Exception):
    """SIGTERM arrived while the driver was consuming outcomes."""


@attrs.define
class _Tally:
    """What this run's outcomes came to, for the summary and the exit status."""

    ok: int = 0
    final: int = 0
    retryable: int = 0
    codes: Counter[str] = attrs.field(factory=Counter)
    stop: str | None = None

    def add(self, record: Mapping[str, Any]) -> None:
        if record["status"] == "ok":
            self.ok += 1
            return
        self.final += record["final"] is True
        self.retryable += record["final"] is not True
        error = record.get("error") or {}
        self.codes[str(error.get("code") or error.get("type"))] += 1
        if error.get("type") in _SYSTEMIC and self.stop is None:
            self.stop = str(error.get("message") or error.get("type"))

    @property
    def done(self) -> int:
        return self.ok + self.final + self.retryable


@attrs.define
class _Appender:
    """Appends whole JSON lines to ``--output`` (locked, torn tail cut), or writes stdout."""

    path: Path | None
    _handle: IO[bytes] | None = None
    _lock_fd: int | None = None

    def open(self) -> None:
        if self.path is None:
            return
        if fcntl is not None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise UsageError(f"--output {self.path} is in use by another run") from None
            self._lock_fd = fd
        _cut_torn_tail(self.path)
        self._handle = open(self.path, "ab")  # noqa: SIM115 - closed in close()

    def write(self, record: Mapping[str, Any], bar: Any) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        if self._handle is None:
            if bar is not None:
                bar.write(line, file=sys.stdout)
            else:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            return
        self._handle.write(line.encode() + b"\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _todo(args: argparse.Namespace) -> tuple[list[str], int]:
    paths = list(iter_paths(args.inputs, sys.stdin))
    done: set[Any] = set()
    if args.output is not None and args.resume and args.output.exists():
        records = read_checkpoint(args.output).items()
        done = {k for k, r in records if record_is_done(r, retry_failed=args.retry_failed)}
    todo = [p for p in paths if p not in done]
    return todo, len(paths) - len(todo)


def _settings(args: argparse.Namespace, url: str | None, local: bool) -> Any:
    from aiocloudocr.ray import ClientSettings

    if url is not None:
        return ClientSettings.for_emulator(url, concurrency=args.concurrency)
    given = {"region": args.region, "endpoint": args.endpoint, "project_id": args.project_id}
    settings = ClientSettings.from_env(
        concurrency=args.concurrency, **{k: v for k, v in given.items() if v is not None}
    )
    try:
        settings.check()
        if local:  # the workers read the same environment: a missing key is said now
            credentials_from_env()
    except ConfigurationError as error:
        raise UsageError(cli_words(str(error))) from None
    return settings


def _quota_name(url: str | None) -> str:
    if url is not None:  # a new emulator each run: a quota of its own
        return f"aiocloudocr-emulator-{uuid.uuid4().hex[:12]}"
    try:
        identity = ClientConfig(credentials=credentials_from_env()).identity()
    except ConfigurationError:
        return "aiocloudocr-quota"
    return "aiocloudocr-" + hashlib.sha256(identity.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _cluster(address: str) -> Iterator[Any]:
    from aiocloudocr.ray._import import import_ray

    local = address == LOCAL
    if local:
        # A throwaway single-node cluster: on loopback only (read when Ray is imported).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        ray = import_ray()
    except ImportError as error:
        raise UsageError(str(error)) from None
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    quiet = "RAY_BACKEND_LOG_LEVEL" not in os.environ
    if quiet:
        # Ray's core logs a line per map actor (its arguments live in the object store) over
        # the progress bar, and a line saying it will not; failures still surface as
        # exceptions. Setting RAY_BACKEND_LOG_LEVEL (e.g. to info) shows them all.
        os.environ["RAY_BACKEND_LOG_LEVEL"] = "fatal"
    with _stderr_silenced(quiet):
        ray.init(
            address=None if local else address,
            include_dashboard=False if local else None,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    with contextlib.suppress(AttributeError):
        context.print_on_execution_start = False
    try:
        yield ray
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _stderr_silenced(silenced: bool) -> Iterator[None]:
    """File descriptor 2 to /dev/null (the C++ core writes there, not to sys.stderr)."""
    if not silenced:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


@contextlib.contextmanager
def _maybe_emulator(wanted: bool, engine: str | None) -> Iterator[str | None]:
    if not wanted:
        yield None
        return
    from aiocloudocr.emulator import EmulatorConfig
    from aiocloudocr.ray._emulator import emulator_in_thread

    with emulator_in_thread(EmulatorConfig(engine=engine or "synthetic")) as running:
        yield running.url


def _on_sigterm(number: int, frame: FrameType | None) -> None:
    raise _Terminated


def run_on_ray(args: argparse.Namespace, plan: Plan) -> int:
    """Run the planned job on Ray; the exit statuses are those of ``aiocloudocr run``."""
    from aiocloudocr._run_command import _how_to_continue

    address = args.ray or LOCAL
    todo, skipped = _todo(args)
    if not todo:
        print(_summary(plan, _Tally(), skipped, 0.0, args, 0), file=sys.stderr)
        return EXIT_OK
    tally = _Tally()
    status: int | None = None
    reason: str | None = None
    state: str | None = None
    workers = 0
    started = time.monotonic()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        with _maybe_emulator(args.emulator, plan.engine) as url:
            settings = _settings(args, url, address == LOCAL)
            appender = _Appender(args.output)
            appender.open()
            try:
                with _cluster(address) as ray:
                    # After ray.init, whose core installs a handler that ends the process.
                    signal.signal(signal.SIGTERM, _on_sigterm)
                    workers = args.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
                    quota, outcomes = _pipeline(ray, args, plan, todo, settings, url, workers)
                    _consume(outcomes, appender, tally, len(todo), skipped, args)
                    state = _state_line(quota, url)
            finally:
                appender.close()
    except (KeyboardInterrupt, _Terminated) as stop:
        number = signal.SIGINT if isinstance(stop, KeyboardInterrupt) else signal.SIGTERM
        status = SIGNAL_EXITS[number]
        reason = f"stopped by {number.name}; the requests in flight were cancelled"
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if tally.stop is not None:
        status, reason = EXIT_STOPPED, f"stopped: {cli_words(tally.stop)}"
    elapsed = time.monotonic() - started
    lines = [_summary(plan, tally, skipped, elapsed, args, workers)]
    lines += [f"  {count} x {code}" for code, count in tally.codes.most_common()]
    if state:
        lines.append(state)
    if reason is not None:
        lines.append(f"{PROG}: {reason} ({max(len(todo) - tally.done, 0)} to go)")
        lines.append(_how_to_continue(args))
    print("\n".join(lines), file=sys.stderr)
    if status is not None:
        return status
    return EXIT_OK if tally.final + tally.retryable == 0 else EXIT_FAILED


def _consume(
    outcomes: Any,
    appender: _Appender,
    tally: _Tally,
    total: int,
    skipped: int,
    args: argparse.Namespace,
) -> None:
    """Write each outcome as it arrives, with the progress bar; stop at a systemic error."""
    from aiocloudocr._run_command import _counters, _progress_bar

    bar = _progress_bar(total, skipped, disabled=args.no_progress)
    above_bar = not bar.disable and sys.stdout.isatty()
    try:
        for batch in outcomes.iter_batches(batch_format="pyarrow", batch_size=None):
            for row in batch.to_pylist():
                record = _record(row)
                appender.write(record, bar if above_bar else None)
                tally.add(record)
                failed = tally.final + tally.retryable
                bar.set_postfix_str(_counters(tally.ok, failed, skipped), refresh=False)
                bar.update(1)
            if tally.stop is not None:
                return
    finally:
        bar.close()


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    from aiocloudocr.ray import record_of_row

    return record_of_row(row)


def _pipeline(
    ray: Any,
    args: argparse.Namespace,
    plan: Plan,
    todo: list[str],
    settings: Any,
    url: str | None,
    workers: int,
) -> tuple[Any, Any]:
    from aiocloudocr.ray import AccountQuota, map_ocr

    if args.ordered:
        ray.data.DataContext.get_current().execution_options.preserve_order = True
    quota = AccountQuota(name=_quota_name(url))
    blocks = min(len(todo), max(workers, math.ceil(len(todo) / _BATCH)))
    items = [{"path": path} for path in todo]
    try:
        inputs = ray.data.from_items(items, override_num_blocks=blocks)
    except TypeError:  # Ray Data before 2.10 called it parallelism
        inputs = ray.data.from_items(items, parallelism=blocks)
    outcomes = map_ocr(
        inputs,
        plan.operation.name,
        settings=settings,
        quota=quota,
        fields=plan.fields,
        workers=workers,
        batch_size=_BATCH,
        item_timeout=args.timeout,
        check=not args.no_check,
    )
    return quota, outcomes


def _state_line(quota: Any, url: str | None) -> str | None:
    state = quota.state()
    if url is not None:
        quota.reset()  # that emulator is gone with this run
    if not state.throttles:
        return None
    pace = "unpaced" if state.rate is None else f"{state.rate:.1f}/s"
    return (
        f"the account was throttled {state.throttles} times; now {pace}, "
        f"concurrency {state.concurrency}"
    )


def _summary(
    plan: Plan,
    tally: _Tally,
    skipped: int,
    elapsed: float,
    args: argparse.Namespace,
    workers: int,
) -> str:
    rate = tally.done / elapsed if elapsed > 0 else 0.0
    failed = tally.final + tally.retryable
    where = f"outcomes in {args.output}" if args.output is not None else "outcomes on stdout"
    cluster = "a local Ray cluster" if (args.ray or LOCAL) == LOCAL else f"Ray at {args.ray}"
    return (
        f"{plan.operation.name}: {tally.ok} ok, {failed} failed ({tally.final} final, "
        f"{tally.retryable} retryable), {skipped} skipped in {elapsed:.1f}s, {rate:.1f}/s; "
        f"{where}" + (f"; {workers} workers on {cluster}" if workers else "")
    )
