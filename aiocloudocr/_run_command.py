"""``aiocloudocr run``: one operation over many images, from a shell.

Everything a user can get wrong is checked before the first request and reported in one
line (exit status 2); outcomes go to ``--output`` or, one JSON line each, to stdout; the
progress bar and the summary go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import shlex
import signal
import stat
import sys
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from aiocloudocr._batch import BatchRun, MapStats, Outcome
from aiocloudocr._run_plan import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_STOPPED,
    EXIT_USAGE,
    PROG,
    SIGNAL_EXITS,
    Plan,
    Stopped,
    UsageError,
    cli_words,
    iter_paths,
    plan_run,
    synthetic_note,
)
from aiocloudocr.errors import (
    APIError,
    CloudOcrError,
    ConfigurationError,
    RunAbortedError,
    TransportError,
)
from aiocloudocr.operations import AnyOperation


def run_command(args: argparse.Namespace) -> int:
    """Run the bulk job; see EPILOG for the exit statuses."""
    try:
        plan = plan_run(args)
        if plan.engine == "synthetic":
            print(f"{PROG}: {synthetic_note(args)}", file=sys.stderr)
        if args.verbose:
            _log_to_stderr()
        if args.ray is not None:
            from aiocloudocr._ray_run import run_on_ray

            return run_on_ray(args, plan)
        return asyncio.run(_run(args, plan))
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Stopped as error:
        print(f"{PROG}: stopped: {error}", file=sys.stderr)
        return EXIT_STOPPED
    except KeyboardInterrupt:  # outside the run's own handlers (or where there are none)
        print(f"{PROG}: interrupted; {_how_to_continue(args)}", file=sys.stderr)
        return SIGNAL_EXITS[signal.SIGINT]


class _AboveTheBar(logging.Handler):
    """Writes log lines to stderr above the progress bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)


def _log_to_stderr() -> None:
    handler = _AboveTheBar()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("aiocloudocr")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


@attrs.define
class _Signals:
    """Remembers the first SIGINT or SIGTERM and wakes whoever waits for a stop; until the
    run starts, a signal cancels the setup (an IAM lookup that retries, say) instead."""

    received: int | None = None
    event: asyncio.Event = attrs.field(factory=asyncio.Event)
    _setup: asyncio.Task[Any] | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._setup = asyncio.current_task()
        for number in SIGNAL_EXITS:
            # Not on every platform (Windows): there Ctrl-C ends asyncio.run instead.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(number, self._on_signal, number)

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        for number in SIGNAL_EXITS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(number)

    def started(self) -> None:
        """From now on a signal stops the run (see ``_drive``) rather than the setup."""
        self._setup = None

    def _on_signal(self, number: int) -> None:
        if self.received is None:
            self.received = number
        self.event.set()
        if self._setup is not None:
            self._setup.cancel()


@attrs.define
class _Tally:
    """What this run's outcomes came to, for the summary and the exit status."""

    ok: int = 0
    final: int = 0
    retryable: int = 0
    reached_service: bool = False
    codes: Counter[str] = attrs.field(factory=Counter)

    def add(self, outcome: Outcome[Any], record: Mapping[str, Any]) -> None:
        if outcome.ok:
            self.ok += 1
            self.reached_service = True
            return
        error = outcome.error
        final = record.get("final") is True
        self.final += final
        self.retryable += not final
        self.reached_service |= isinstance(error, (APIError, TransportError))
        self.codes[str(getattr(error, "code", None) or type(error).__name__)] += 1


@contextlib.asynccontextmanager
async def _client(args: argparse.Namespace, engine: str | None = None) -> AsyncIterator[Any]:
    from aiocloudocr._client import Client

    options: dict[str, Any] = {"concurrency": args.concurrency}
    if args.emulator:
        from aiocloudocr.emulator import EmulatorConfig
        from aiocloudocr.testing import emulated_client

        config = EmulatorConfig(engine=engine or "synthetic")
        async with emulated_client(config, **options) as client:
            yield client
        return
    if args.region:
        options["region"] = args.region
    if args.endpoint:
        options["endpoint"] = args.endpoint
    if args.project_id:
        options["project_id"] = args.project_id
    try:
        client = Client.from_env(**options)
    except ConfigurationError as error:
        raise UsageError(cli_words(str(error))) from None
    async with client:
        yield client


async def _ready(client: Any, op: AnyOperation) -> None:
    """Find the project id before the first input, so a missing one is a usage error."""
    if not op.needs_project_id:
        return
    try:
        await client.project_id()
    except ConfigurationError as error:
        raise UsageError(cli_words(str(error))) from None
    except CloudOcrError as error:
        raise Stopped(
            f"cannot look up the project id: {error}; pass --project-id or set "
            "HUAWEICLOUD_SDK_PROJECT_ID to skip the lookup"
        ) from None


async def _run(args: argparse.Namespace, plan: Plan) -> int:
    signals = _Signals()
    loop = asyncio.get_running_loop()
    signals.install(loop)
    try:
        async with _client(args, plan.engine) as client:
            await _ready(client, plan.operation)
            signals.started()
            return await _drive(args, plan, client, signals)
    except asyncio.CancelledError:
        if signals.received is None:
            raise
        number = signal.Signals(signals.received)
        print(f"{PROG}: stopped by {number.name} before starting; nothing was sent",
              file=sys.stderr)  # fmt: skip
        return SIGNAL_EXITS[number]
    finally:
        signals.uninstall(loop)


async def _drive(args: argparse.Namespace, plan: Plan, client: Any, signals: _Signals) -> int:
    op = plan.operation
    if op.deprecated:
        print(f"{PROG}: note: {op.name} is a deprecated API of the service", file=sys.stderr)
    # Known from the checkpoint before the run reaches those inputs.
    skipping = 0 if plan.count is None or plan.todo is None else plan.count - plan.todo
    bar = _progress_bar(plan.todo, skipping, disabled=args.no_progress)
    tally = _Tally()
    to_stdout = args.output is None
    # When stdout and the bar share a terminal, each line clears the bar first.
    above_bar = not bar.disable and sys.stdout.isatty()

    def progress(stats: MapStats, outcome: Outcome[Any]) -> None:
        skipped = max(stats.skipped, skipping)
        bar.set_postfix_str(_counters(stats.ok, stats.failed, skipped), refresh=False)
        bar.update(1)

    try:
        run: BatchRun = client.map(
            op,
            iter_paths(args.inputs, sys.stdin),
            concurrency=args.concurrency,
            ordered=args.ordered,
            item_timeout=args.timeout,
            progress=progress,
            checkpoint=args.output,
            retry_failed=args.retry_failed,
            check=not args.no_check,
            total=plan.count,
            **plan.fields,
        )
    except CloudOcrError as error:
        bar.close()
        raise UsageError(cli_words(str(error))) from None

    async def consume() -> None:
        async with run as outcomes:
            async for outcome in outcomes:
                record = outcome.record()
                if to_stdout:
                    _emit(record, bar if above_bar else None)
                tally.add(outcome, record)

    consumer = asyncio.ensure_future(consume())
    drained = True
    for signal_count in (1, 2):
        stop = asyncio.ensure_future(signals.event.wait())
        await asyncio.wait({consumer, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if consumer.done():
            break
        signals.event.clear()
        if signal_count == 1:
            # The first signal: start no further input and let the requests in flight
            # (already paid for) finish and be written.
            run.stop()
            bar.write(
                f"{PROG}: stopping: finishing the requests in flight (signal again to cancel them)",
                file=sys.stderr,
            )
        else:
            # The second: cancel them. The checkpoint keeps whole lines only, so --resume
            # redoes exactly the inputs it has no line for.
            drained = False
            consumer.cancel()
    await asyncio.wait({consumer})
    failure = None if consumer.cancelled() else consumer.exception()
    stats = run.stats
    try:
        status, reason = _verdict(failure, signals.received, tally, stats, drained=drained)
    except UsageError:
        bar.leave = False  # nothing was done: the one line saying why is all there is
        bar.close()
        raise
    bar.set_postfix_str(_counters(stats.ok, stats.failed, stats.skipped), refresh=False)
    if reason is None and bar.total is not None:
        bar.total = bar.n  # in case the estimate from the checkpoint was off: end at 100%
    bar.close()  # draws the final state
    lines = [_summary(plan, run.stats, tally, client, args)]
    if reason is not None:
        left = "" if plan.todo is None else f" ({max(plan.todo - run.stats.done, 0)} to go)"
        lines.append(f"{PROG}: {reason}{left}")
        if not isinstance(failure, BrokenPipeError):
            lines.append(_how_to_continue(args))
    elif tally.retryable and args.output is not None:
        lines.append(f"to retry the {tally.retryable} retryable: {_resume_line(args)}")
    print("\n".join(lines), file=sys.stderr)
    return status


def _verdict(
    error: BaseException | None,
    received: int | None,
    tally: _Tally,
    stats: MapStats,
    *,
    drained: bool = True,
) -> tuple[int, str | None]:
    """The exit status and, unless the run ended normally, a line saying why it stopped;
    UsageError when the run stopped before anything reached the service."""
    if isinstance(error, BrokenPipeError):
        with contextlib.suppress(OSError):
            # Python would fail again flushing stdout at exit; send the rest nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE, "stdout was closed; stopped sending"
    if received is not None:
        number = signal.Signals(received)
        what = "the requests in flight finished" if drained else "requests in flight cancelled"
        return SIGNAL_EXITS[number], f"stopped by {number.name}; {what}"
    if isinstance(error, RunAbortedError):
        if isinstance(error.cause, ConfigurationError) and not tally.reached_service:
            raise UsageError(cli_words(error.message))
        return EXIT_STOPPED, f"stopped: {cli_words(error.message)}"
    if isinstance(error, (CloudOcrError, OSError)):
        # e.g. the checkpoint is in use by another run, or its disk is full.
        if isinstance(error, ConfigurationError) and stats.done == 0:
            raise UsageError(cli_words(str(error)))
        return EXIT_STOPPED, f"stopped: {cli_words(str(error))}"
    if error is not None:
        raise error
    return (EXIT_OK if stats.failed == 0 else EXIT_FAILED), None


def _emit(record: Mapping[str, Any], bar: Any) -> None:
    # The checkpoint's own encoding, so a saved stdout can later be resumed with --output.
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    if bar is not None:
        bar.write(line, file=sys.stdout)
        return
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _counters(ok: int, failed: int, skipped: int) -> str:
    return f"ok={ok} failed={failed} skipped={skipped}"


def _progress_bar(total: int | None, skipped: int, *, disabled: bool) -> Any:
    from tqdm import tqdm

    columns = _columns()
    tty = sys.stderr.isatty()
    if total is None:
        layout = "{n_fmt} done{postfix} [{elapsed}, {rate_fmt}]"
    else:
        # The counters come before the times: a line too wide loses its tail, not them.
        layout = "{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{postfix} [{elapsed}<{remaining}]"
    return tqdm(total=total, unit="img", file=sys.stderr, disable=disabled or total == 0,
                bar_format=layout, ncols=columns, dynamic_ncols=columns is None,
                postfix=_counters(0, 0, skipped),
                mininterval=0.1 if tty else 5.0)  # fmt: skip


def _columns() -> int | None:
    """The bar's width: COLUMNS, else the terminal's (None: follow it), else 80."""
    with contextlib.suppress(ValueError):
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return columns
    return None if sys.stderr.isatty() else 80


def _where(args: argparse.Namespace) -> str:
    if args.output is not None:
        return f"outcomes in {args.output}"
    saved = _stdout_file()
    return f"outcomes on stdout ({saved})" if saved else "outcomes on stdout"


def _summary(
    plan: Plan, stats: MapStats, tally: _Tally, client: Any, args: argparse.Namespace
) -> str:
    op = plan.operation
    elapsed = stats.elapsed
    rate = stats.done / elapsed if elapsed > 0 else 0.0
    failed = tally.final + tally.retryable
    lines = [
        f"{op.name}: {tally.ok} ok, {failed} failed ({tally.final} final, {tally.retryable} "
        f"retryable), {stats.skipped} skipped in {elapsed:.1f}s, {rate:.1f}/s"
        + (f", {stats.retries} retries" if stats.retries else "")
        + f"; {_where(args)}"
    ]
    for code, count in tally.codes.most_common():
        lines.append(f"  {count} x {code}")
    limiter = client.limiter(op.service)
    if limiter is not None and limiter.state().throttles:
        state = limiter.state()
        pace = "unpaced" if state.rate is None else f"{state.rate:.1f}/s"
        lines.append(
            f"throttled {state.throttles} times; now {pace}, concurrency {state.concurrency}"
        )
    return "\n".join(lines)


def _resume_line(args: argparse.Namespace, output: str | None = None) -> str:
    given = [a for a in args.argv if a != "--resume"]
    extra = ["--output", output] if output is not None else []
    return shlex.join(["aiocloudocr", *given, *extra, "--resume"])


def _how_to_continue(args: argparse.Namespace) -> str:
    if args.output is not None:
        return f"to continue: {_resume_line(args)}"
    saved = _stdout_file()
    if saved is not None:
        return f"to continue (without redirecting into {saved} again): {_resume_line(args, saved)}"
    return "to be able to continue, save the outcomes with --output FILE, then --resume"


def _stdout_file() -> str | None:
    """The regular file stdout was redirected to, when the platform can say which."""
    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        path = os.readlink(f"/proc/self/fd/{fd}")
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    return path if os.path.isfile(path) else None
