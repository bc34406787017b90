"""``aiocloudocr run``, before the first request: its flags, the checks of everything a user can
get wrong (one line each, exit status 2), and the plan of what the run will do."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from aiocloudocr._checkpoint import read_checkpoint, record_is_done
from aiocloudocr._requests import check_fields
from aiocloudocr.errors import (
    ConfigurationError,
    ValidationError,
)
from aiocloudocr.operations import AnyOperation, get_operation

PROG = "aiocloudocr run"
# aiocloudocr.emulator._engines.ENGINE_CHOICES, spelt out so that the command line does not
# import the emulator to build its parser (a test keeps the two equal).
EMULATOR_ENGINES = ("auto", "rapidocr", "synthetic")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 3
EXIT_PIPE = 128 + 13  # as a shell reports a process SIGPIPE ended
SIGNAL_EXITS = {signal.SIGINT: 130, signal.SIGTERM: 143}

EPILOG = """\
outcomes:
  one JSON line per input: {"key", "status": "ok"|"failed", "final", "attempts",
  "latency", "result" or "error", ...}. Without --output they stream to stdout, so
  `aiocloudocr run web-image imgs > out.jsonl` works (and out.jsonl can later be
  continued with --output out.jsonl --resume); the progress bar and the summary go to
  stderr.

exit status:
  0    every input succeeded
  1    some inputs failed: their own fault (bad image, bad field) or a transient
       error that outlasted the retries (rerun with --resume to retry those)
  2    usage error: bad flags or values, missing inputs, no credentials or region;
       nothing was sent
  3    stopped on an error no input can avoid (credentials refused, permission denied,
       API not subscribed or not found): fix what the message says, rerun with --resume
  130  interrupted (SIGINT, Ctrl-C); rerun with --resume to continue
  141  stdout was closed before the run ended (e.g. `| head`)
  143  terminated (SIGTERM); rerun with --resume to continue
"""


class UsageError(Exception):
    """A mistake on the command line or in the environment: one line, exit status 2."""


class Stopped(Exception):
    """The run cannot go on for a reason no input can avoid: one line, exit status 3."""


# Library messages name Python arguments; a shell user needs the flag or the variable.
_FLAG_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^no region and no endpoint for [^:]*: pass region= .*$"),
        "no region: pass --region (e.g. ap-southeast-1) or set HUAWEICLOUD_SDK_REGION; "
        "or give one URL for every service with --endpoint or AIOCLOUDOCR_ENDPOINT",
    ),
    (re.compile(r"pass region= or endpoints=\{[^}]*\}"), "pass --region or --endpoint"),
    (re.compile(r"pass endpoint= or endpoints="), "pass --endpoint"),
    (re.compile(r"^the run stopped: "), ""),
    (re.compile(r"check the access key and secret key"),
     "check the access key and secret key (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK)"),
    (re.compile(r"check the region \(or endpoint\) and the project id"),
     "check --region (or --endpoint) and --project-id"),
    (re.compile(r"^checkpoint ('[^']*')"), r"--output \1"),
    (re.compile(r"\bproject_id="), "--project-id"),
    (re.compile(r"\bregion="), "--region"),
    (re.compile(r"\bendpoints?="), "--endpoint"),
    (re.compile(r"^endpoint for \w+ must"), "--endpoint (or AIOCLOUDOCR_ENDPOINT) must"),
)  # fmt: skip


def cli_words(message: str) -> str:
    """``message`` with the library's argument names replaced by flags and variables."""
    for pattern, words in _FLAG_WORDS:
        message = pattern.sub(words, message)
    return message


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


def operation_name(text: str) -> AnyOperation:
    """An argparse type: an operation, by its name with ``_`` or ``-`` (``web-image``)."""
    try:
        return get_operation(text)
    except ConfigurationError as error:
        raise argparse.ArgumentTypeError(f"{error} (see: aiocloudocr operations)") from None


def add_parser(commands: Any, handler: Callable[[argparse.Namespace], int]) -> None:
    """Add the ``run`` subcommand, handled by ``handler``, to an argparse subparsers object."""
    run = commands.add_parser(
        "run",
        help="run one operation over many images",
        description="Run OPERATION over image files, folders (recursive, image files only),\n"
        "http(s) URLs, or '-' for paths on stdin. Credentials come from the environment\n"
        "(HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, ...) unless --emulator is given.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("operation", type=operation_name, metavar="OPERATION",
                     help="e.g. web-image or web_image (see: aiocloudocr operations)")  # fmt: skip
    run.add_argument("inputs", nargs="+", metavar="INPUT",
                     help="image file, folder, http(s) URL, or - (paths on stdin)")  # fmt: skip
    run.add_argument("--concurrency", type=positive_int, default=32, metavar="N",
                     help="requests at once (32)")  # fmt: skip
    run.add_argument("--output", "-o", type=Path, metavar="FILE",
                     help="checkpoint file, one line per input (default: stdout)")  # fmt: skip
    run.add_argument("--resume", action="store_true",
                     help="continue --output: skip the inputs it has done")  # fmt: skip
    run.add_argument("--retry-failed", action="store_true",
                     help="with --resume: also redo inputs that failed for good")  # fmt: skip
    where = run.add_mutually_exclusive_group()
    where.add_argument("--region", help="e.g. ap-southeast-1 (default: HUAWEICLOUD_SDK_REGION)")
    where.add_argument("--endpoint", metavar="URL",
                       help="one URL for all services (AIOCLOUDOCR_ENDPOINT)")  # fmt: skip
    where.add_argument("--emulator", action="store_true", help="use an in-process emulator")
    run.add_argument("--engine", choices=EMULATOR_ENGINES,
                     help="with --emulator: where Web Image's text comes from: rapidocr "
                     "reads the images (pip install 'aiocloudocr[ocr]'), synthetic picks "
                     "phrases from a hash of each image; auto (the default): rapidocr if "
                     "installed")  # fmt: skip
    run.add_argument("--project-id", help="default: HUAWEICLOUD_SDK_PROJECT_ID")
    run.add_argument("--set", dest="fields", action="append", default=[], metavar="FIELD=VALUE",
                     help="a request field for every input (repeatable; values are JSON "
                     "or text; see: aiocloudocr operations)")  # fmt: skip
    run.add_argument("--ordered", action="store_true", help="emit outcomes in input order")
    run.add_argument("--timeout", type=positive_seconds, metavar="SECONDS",
                     help="seconds per input, retries included")  # fmt: skip
    run.add_argument("--no-check", action="store_true", help="skip client-side image checks")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--verbose", "-v", action="store_true",
                     help="log each request (DEBUG, no secrets) to stderr")  # fmt: skip
    run.add_argument("--ray", nargs="?", const="local", type=_ray_address, metavar="ADDRESS",
                     help="run on Ray under one account-wide quota (aiocloudocr[ray]): a "
                     "local cluster, or ray://HOST:PORT, HOST:PORT, auto")  # fmt: skip
    run.add_argument("--workers", type=positive_int, metavar="N",
                     help="with --ray: workers, each with --concurrency (one per CPU)")  # fmt: skip
    run.set_defaults(handler=handler)


def _ray_address(text: str) -> str:
    from aiocloudocr._ray_run import ray_address

    return ray_address(text)


# --- inputs -----------------------------------------------------------------------------


def image_extensions() -> frozenset[str]:
    """File extensions Pillow knows as images (``.jpg``, ``.png``, ``.tga``, ...)."""
    from PIL import Image

    return frozenset(Image.registered_extensions())


def is_url(item: str) -> bool:
    """Whether an INPUT is an http(s) URL."""
    return item.startswith(("http://", "https://"))


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


def parse_assignments(assignments: Sequence[str]) -> dict[str, Any]:
    """``field=value`` pairs; values are JSON when they parse as JSON, else strings."""
    fields: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        if not sep or not name:
            raise UsageError(f"--set takes FIELD=VALUE, got {assignment!r}")
        try:
            fields[name] = json.loads(raw)
        except ValueError:
            fields[name] = raw
    return fields


def redone(record: Mapping[str, Any], *, retry_failed: bool) -> bool:
    """Whether ``--resume`` does again the input whose last checkpoint line is ``record``:
    a failure that is not final, or with ``--retry-failed`` any failure (as ``client.map``
    decides it)."""
    return not record_is_done(record, retry_failed=retry_failed)


@attrs.frozen(kw_only=True)
class Plan:
    """What a checked command line will do; counts are None when paths come from stdin.

    ``engine`` is the emulator's text engine, ``auto`` resolved (None without --emulator).
    """

    operation: AnyOperation
    fields: dict[str, Any]
    count: int | None
    todo: int | None
    engine: str | None = None


def plan_run(args: argparse.Namespace) -> Plan:
    """Check the command line and the inputs (nothing is sent); raise UsageError if wrong."""
    op: AnyOperation = args.operation
    fields = _checked_fields(op, args.fields)
    _check_output(args)
    _check_inputs(op, args.inputs)
    engine = _emulator_engine(args, op)
    if "-" in args.inputs:
        return Plan(operation=op, fields=fields, count=None, todo=None, engine=engine)
    done: set[Any] = set()
    if args.resume and args.output.exists():
        records = read_checkpoint(args.output).items()
        done = {k for k, r in records if not redone(r, retry_failed=args.retry_failed)}
    count = todo = 0
    for path in iter_paths(args.inputs, io.StringIO()):
        count += 1
        todo += path not in done
    if count == 0:
        shown = " ".join(args.inputs)
        raise UsageError(f"no image files in {shown} (looked for {_extension_list()})")
    return Plan(operation=op, fields=fields, count=count, todo=todo, engine=engine)


def _emulator_engine(args: argparse.Namespace, op: AnyOperation) -> str | None:
    """The emulator's text engine, loaded now (a missing extra is a usage error); None when
    there is no emulator, or no engine asked for and ``op``'s answers owe nothing to one."""
    if not args.emulator:
        if args.engine is not None:
            raise UsageError("--engine goes with --emulator")
        return None
    from aiocloudocr.emulator._behaviours import reads_text
    from aiocloudocr.emulator._engines import EngineUnavailableError, load_engine

    name = args.engine or "auto"
    if args.engine is None and not reads_text(op.name):
        return None
    try:
        return load_engine(name).name
    except EngineUnavailableError as error:
        raise UsageError(f"--engine {name}: {error}") from None


def synthetic_note(args: argparse.Namespace) -> str:
    """The line saying the emulator's text is synthetic, and how to have it read instead."""
    if args.engine == "synthetic":
        return (
            "note: the emulator's text is synthetic (--engine synthetic): not read from the images"
        )
    return (
        "note: the emulator's text is synthetic, not read from the images; "
        "pip install 'aiocloudocr[ocr]' to read them"
    )


def _extension_list() -> str:
    common = [".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"]
    return ", ".join(common) + ", ..."


def _checked_fields(op: AnyOperation, assignments: Sequence[str]) -> dict[str, Any]:
    fields = parse_assignments(assignments)
    sources = {"image", "url"} & set(fields)
    if sources:
        raise UsageError(f"--set {sorted(sources)[0]}=...: the image or URL comes from INPUT")
    for name, value in fields.items():
        _check_fields(op, {name: value}, f"--set {name}={json.dumps(value)}")
    _check_fields(op, fields, "--set")
    return fields


def _check_fields(op: AnyOperation, fields: Mapping[str, Any], flag: str) -> None:
    try:
        check_fields(op, fields)
    except ValidationError as error:
        raise UsageError(f"{flag}: {error.message}") from None
    except ConfigurationError as error:
        raise UsageError(f"{flag}: {error} (see: aiocloudocr operations)") from None
    except (TypeError, ValueError) as error:  # a converter that choked on the value
        raise UsageError(f"{flag}: not a value {op.name} takes ({error})") from None


def _check_output(args: argparse.Namespace) -> None:
    output: Path | None = args.output
    if args.retry_failed and not args.resume:
        raise UsageError("--retry-failed goes with --resume --output FILE")
    if output is None:
        if args.resume:
            raise UsageError("--resume needs --output FILE (the outcomes to resume from)")
        return
    if output.is_dir():
        raise UsageError(f"--output {output} is a folder: give a file, e.g. {output / 'out.jsonl'}")
    folder = output.parent
    if not folder.is_dir():
        raise UsageError(f"--output {output}: folder {folder} does not exist")
    if output.exists() and not args.resume:
        raise UsageError(
            f"--output {output} exists: pass --resume to continue it, or choose another file"
        )
    if not os.access(output if output.exists() else folder, os.W_OK):
        raise UsageError(f"--output {output}: not writable")


def _check_inputs(op: AnyOperation, inputs: Sequence[str]) -> None:
    if inputs.count("-") > 1:
        raise UsageError("'-' (paths on stdin) can be given once")
    missing = [i for i in inputs if i != "-" and not is_url(i) and not os.path.exists(i)]
    if missing:
        more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
        raise UsageError(f"no such file or folder: {', '.join(missing[:3])}{more}")
    if "url" not in op.fields:
        urls = [i for i in inputs if is_url(i)]
        if urls:
            raise UsageError(f"{op.name} takes image files, not URLs: {urls[0]}")
    if "image" not in op.fields:
        paths = [i for i in inputs if i != "-" and not is_url(i)]
        if paths:
            raise UsageError(f"{op.name} takes http(s) URLs only, not files: {paths[0]}")


# --- running ----------------------------------------------------------------------------
