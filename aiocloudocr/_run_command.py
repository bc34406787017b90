"""``aiocloudocr run`` and ``aiocloudocr operations``: the bulk job and the table, from a shell."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from aiocloudocr._batch import MapStats, Outcome
from aiocloudocr.errors import CloudOcrError, ConfigurationError
from aiocloudocr.operations import OPERATIONS, AnyOperation


def image_extensions() -> frozenset[str]:
    """File extensions Pillow knows as images (``.jpg``, ``.png``, ``.tga``, ...)."""
    from PIL import Image

    return frozenset(Image.registered_extensions())


def iter_paths(inputs: Sequence[str], stdin: TextIO) -> Iterator[str]:
    """Yield files as given, image files under directories (recursively, sorted), and for
    ``-`` one path per line of ``stdin``; URLs pass through. Nothing is listed up front."""
    extensions = image_extensions()
    for item in inputs:
        if item == "-":
            for line in stdin:
                if line.strip():
                    yield line.strip()
        elif os.path.isdir(item):
            for root, dirs, files in os.walk(item):
                dirs.sort()
                for name in sorted(files):
                    if os.path.splitext(name)[1].lower() in extensions:
                        yield os.path.join(root, name)
        else:
            yield item


def count_paths(inputs: Sequence[str]) -> int | None:
    """Count what iter_paths will yield, without holding the paths; None when stdin is used."""
    if "-" in inputs:
        return None
    return sum(1 for _ in iter_paths(inputs, sys.stdin))


def parse_assignments(assignments: Sequence[str]) -> dict[str, Any]:
    """``field=value`` pairs; values are JSON when they parse as JSON, else strings."""
    fields: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        if not sep or not name:
            raise ConfigurationError(f"--set takes field=value, got {assignment!r}")
        try:
            fields[name] = json.loads(raw)
        except ValueError:
            fields[name] = raw
    return fields


def add_parsers(commands: Any) -> None:
    """Add the ``run`` and ``operations`` subcommands to an argparse subparsers object."""
    run = commands.add_parser(
        "run",
        help="run one operation over many images",
        description="Run OPERATION over files, folders (recursive, image files only), URLs, "
        "or '-' for paths on stdin. Credentials come from the environment "
        "(HUAWEICLOUD_SDK_AK/SK, ...) unless --emulator is given.",
    )
    run.add_argument("operation", choices=sorted(OPERATIONS), metavar="OPERATION")
    run.add_argument("inputs", nargs="+", metavar="INPUT")
    run.add_argument("--concurrency", type=int, default=32, help="requests at once (32)")
    run.add_argument("--output", "-o", type=Path, help="JSON Lines file, one line per input")
    run.add_argument("--resume", action="store_true", help="skip inputs --output has done")
    run.add_argument("--retry-failed", action="store_true", help="with --resume: redo failures")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--region", help="e.g. ap-southeast-1")
    where.add_argument("--endpoint", help="one URL for every service, e.g. a proxy")
    where.add_argument("--emulator", action="store_true", help="use an in-process emulator")
    run.add_argument("--project-id", help="default: HUAWEICLOUD_SDK_PROJECT_ID")
    run.add_argument("--set", dest="fields", action="append", default=[], metavar="FIELD=VALUE",
                     help="a request field for every input (repeatable)")  # fmt: skip
    run.add_argument("--ordered", action="store_true", help="write outcomes in input order")
    run.add_argument("--timeout", type=float, help="seconds per input, retries included")
    run.add_argument("--no-check", action="store_true", help="skip client-side image checks")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.set_defaults(handler=run_command)
    listing = commands.add_parser("operations", help="list the operations and their fields")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=operations_command)


def _field_lines(op: AnyOperation) -> list[str]:
    lines = []
    for field in attrs.fields(op.request_type):
        kind = str(field.type).replace("typing.", "")
        lines.append(f"    {field.name}: {kind}")
    return lines


def operations_command(args: argparse.Namespace) -> int:
    """Print the operation table."""
    if args.json:
        table = [
            {
                "name": op.name,
                "service": op.service,
                "method": op.method,
                "path": op.path,
                "deprecated": op.deprecated,
                "summary": op.summary,
                "fields": {f.name: str(f.type) for f in attrs.fields(op.request_type)},
            }
            for op in OPERATIONS.values()
        ]
        print(json.dumps(table, indent=2))
        return 0
    for op in OPERATIONS.values():
        flag = " (deprecated)" if op.deprecated else ""
        print(f"{op.name}{flag}  {op.method} {op.path}  [{op.service}]")
        if op.summary:
            print(f"  {op.summary}")
        print("\n".join(_field_lines(op)))
    return 0


def run_command(args: argparse.Namespace) -> int:
    """Run the bulk job; exit status 0 only if every input succeeded."""
    try:
        return asyncio.run(_run(args))
    except CloudOcrError as error:
        print(f"aiocloudocr: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aiocloudocr: interrupted; rerun with --resume to continue", file=sys.stderr)
        return 130


@contextlib.asynccontextmanager
async def _client(args: argparse.Namespace) -> AsyncIterator[Any]:
    from aiocloudocr._client import Client

    options: dict[str, Any] = {"concurrency": args.concurrency}
    if args.emulator:
        from aiocloudocr.testing import emulated_client

        async with emulated_client(**options) as client:
            yield client
        return
    if args.region:
        options["region"] = args.region
    if args.endpoint:
        options["endpoint"] = args.endpoint
    if args.project_id:
        options["project_id"] = args.project_id
    async with Client.from_env(**options) as client:
        yield client


async def _run(args: argparse.Namespace) -> int:
    if args.output is not None and args.output.exists() and not args.resume:
        raise ConfigurationError(
            f"{args.output} exists: pass --resume to continue it, or choose another --output"
        )
    if args.resume and args.output is None:
        raise ConfigurationError("--resume needs --output (the file to resume from)")
    fields = parse_assignments(args.fields)
    total = count_paths(args.inputs)
    failures: Counter[str] = Counter()
    async with _client(args) as client:
        bar = _progress_bar(total, disabled=args.no_progress)

        def progress(stats: MapStats, outcome: Outcome[Any]) -> None:
            if not outcome.ok:
                code = getattr(outcome.error, "code", None) or type(outcome.error).__name__
                failures[str(code)] += 1
            limiter = client.limiter(OPERATIONS[args.operation].service)
            throttles = limiter.state().throttles if limiter is not None else 0
            bar.set_postfix(ok=stats.ok, failed=stats.failed, retries=stats.retries,
                            throttles=throttles, refresh=False)  # fmt: skip
            bar.update(1)

        run = client.map(
            args.operation,
            iter_paths(args.inputs, sys.stdin),
            concurrency=args.concurrency,
            ordered=args.ordered,
            item_timeout=args.timeout,
            progress=progress,
            checkpoint=args.output,
            retry_failed=args.retry_failed,
            check=not args.no_check,
            total=total,
            **fields,
        )
        async with run as outcomes:
            async for _ in outcomes:
                pass
        bar.close()
        _summary(run.stats, failures, client, args)
    return 0 if run.stats.failed == 0 else 1


def _progress_bar(total: int | None, *, disabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="img", dynamic_ncols=True, disable=disabled, file=sys.stderr)


def _summary(
    stats: MapStats, failures: Counter[str], client: Any, args: argparse.Namespace
) -> None:
    elapsed = stats.elapsed
    rate = stats.done / elapsed if elapsed > 0 else 0.0
    lines = [
        f"{args.operation}: {stats.done} done in {elapsed:.1f}s ({rate:.1f}/s): "
        f"{stats.ok} ok, {stats.failed} failed, {stats.skipped} skipped (already done), "
        f"{stats.retries} retries",
    ]
    limiter = client.limiter(OPERATIONS[args.operation].service)
    if limiter is not None and limiter.state().throttles:
        state = limiter.state()
        pace = "unpaced" if state.rate is None else f"{state.rate:.1f}/s"
        lines.append(
            f"throttled {state.throttles} times; now {pace}, concurrency {state.concurrency}"
        )
    for code, count in failures.most_common():
        lines.append(f"  {count} x {code}")
    if args.output is not None:
        lines.append(f"outcomes: {args.output}")
    print("\n".join(lines), file=sys.stderr)
