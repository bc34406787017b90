"""The ``aiocloudocr`` command: a thin dispatcher over its subcommands, and the table."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import attrs

from aiocloudocr._run_command import run_command
from aiocloudocr._run_plan import add_parser as add_run_parser
from aiocloudocr.errors import ValidationError
from aiocloudocr.operations import OPERATIONS, AnyOperation


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (status 2), no usage dump."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` in one line and exit with status 2."""
        hint = "" if "(see: " in message else f" (see: {self.prog} --help)"
        self.exit(2, f"{self.prog}: error: {message}{hint}\n")


def _emulator(args: argparse.Namespace) -> int:
    from aiocloudocr.emulator._cli import main as emulator_main

    return emulator_main(args.forwarded)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each subcommand sets ``handler`` (and may take ``forwarded``)."""
    parser = Parser(
        prog="aiocloudocr", description="Asyncio client for the cloud OCR and Image APIs."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    emulator = commands.add_parser(
        "emulator",
        help="serve a local emulator of the service (see: aiocloudocr emulator --help)",
        # Its options belong to the emulator's own parser, which gets them verbatim.
        add_help=False,
    )
    emulator.set_defaults(handler=_emulator, forwards=True)
    add_run_parser(commands, run_command)
    listing = commands.add_parser(
        "operations",
        help="list the operations, their inputs and their fields",
        description="List every operation: its names (web_image or web-image), endpoint, "
        "the images it takes, and each --set field with the values it accepts.",
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=operations_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aiocloudocr`` command line; return the exit status."""
    given = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(given)
    if getattr(args, "forwards", False):
        args.forwarded = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.argv = given
    try:
        status: int = args.handler(args)
    except BrokenPipeError:  # `aiocloudocr operations | head -1`: the reader has had enough
        _quiet_stdout()
        return 0
    return status


def _quiet_stdout() -> None:
    # Python would fail again flushing stdout at exit; send what is left nowhere.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# --- aiocloudocr operations -------------------------------------------------------------


class _Probe:
    def __repr__(self) -> str:
        return "<probe>"


# Inside a tuple it fails every validator the models use, list ones included.
_PROBE = (_Probe(),)


def field_rule(field: attrs.Attribute[Any]) -> str | None:
    """What a request field accepts, in its own validator's words; None if it says nothing.

    The validator is handed a value no field accepts, and its refusal is the description:
    the rule then cannot drift from what the client checks.
    """
    if field.validator is None:
        return None
    try:
        field.validator(None, field, _PROBE)
    except ValidationError as error:
        rule = error.message.split(", got ")[0]
    except Exception:
        return None
    else:
        return None
    return rule.removeprefix(f"{field.name} ")


def _type_name(field: attrs.Attribute[Any]) -> str:
    return str(field.type).replace("typing.", "").replace(" | None", "")


def _inputs(op: AnyOperation) -> str:
    if "image" not in op.fields:
        return "http(s) URLs only"
    return "image files or folders" + (", or http(s) URLs" if "url" in op.fields else " (no URLs)")


def _limits(op: AnyOperation) -> str | None:
    limits = op.limits
    if limits is None:
        return None
    formats = ", ".join(sorted(limits.formats))
    return (
        f"{formats}; sides {limits.min_side}-{limits.max_side} px; "
        f"at most {limits.max_bytes // (1024 * 1024)} MB"
    )


def _options(op: AnyOperation) -> list[attrs.Attribute[Any]]:
    return [f for f in attrs.fields(op.request_type) if f.name not in ("image", "url")]


def operations_command(args: argparse.Namespace) -> int:
    """Print the operation table."""
    if args.json:
        table = [
            {
                "name": op.name,
                "names": sorted({op.name, op.name.replace("_", "-")}),
                "service": op.service,
                "method": op.method,
                "path": op.path,
                "deprecated": op.deprecated,
                "summary": op.summary,
                "inputs": _inputs(op),
                "images": _limits(op),
                "fields": {f.name: str(f.type) for f in attrs.fields(op.request_type)},
                "rules": {f.name: field_rule(f) for f in _options(op) if field_rule(f)},
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
        print(f"  INPUT: {_inputs(op)}")
        if _limits(op):
            print(f"  images: {_limits(op)}")
        options = _options(op)
        if options:
            print("  --set FIELD=VALUE:")
        for field in options:
            rule = (field_rule(field) or "").removeprefix("must be ")
            print(f"    {field.name} ({_type_name(field)})" + (f": {rule}" if rule else ""))
    print("\nNames take - or _ alike: web-image is web_image. Run: aiocloudocr run NAME INPUT...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
